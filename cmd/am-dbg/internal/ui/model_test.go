package ui

import (
	"testing"
)

func TestScreen(t *testing.T) {
	l := startLive(t)
	runOrders(t, l.addr, false)
	m := newTestModel(t, l)
	t.Log("\n" + screen(m))
}
