package drops_test

import (
	"sync/atomic"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

func TestRegister(t *testing.T) {
	const name = "test_register"
	var a, b atomic.Uint64
	unA := drops.Register(name, a.Load)
	unB := drops.Register(name, b.Load)
	a.Add(3)
	b.Add(4)
	if got := drops.Total(name); got != 7 {
		t.Fatalf("total = %d, want 7", got)
	}
	unA()
	unA()
	a.Add(100) // no longer read
	if got := drops.Total(name); got != 7 {
		t.Errorf("after unregistering a: total = %d, want 7, a's final count kept", got)
	}
	unB()
	seen := map[string]uint64{}
	drops.Each(func(exporter string, total uint64) { seen[exporter] = total })
	if seen[name] != 7 {
		t.Errorf("Each: %s = %d, want 7 (all unregistered)", name, seen[name])
	}
}
