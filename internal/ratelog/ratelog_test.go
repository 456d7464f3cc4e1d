package ratelog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/ratelog"
)

// TestLimiter: a burst gives the first failure at once and the rest in one
// line after the interval, with their count and the last text, cut short.
func TestLimiter(t *testing.T) {
	type line struct {
		n    uint64
		text string
	}
	lines := make(chan line, 4)
	l := ratelog.New(20*time.Millisecond, func(n uint64, text string) { lines <- line{n, text} })
	for i := range 100 {
		l.Report(errors.New(strings.Repeat("x", i*100)))
	}
	first, second := <-lines, <-lines
	if first.n != 1 || first.text != "" {
		t.Errorf("first line %d %q, want the first error alone", first.n, first.text)
	}
	if second.n != 99 || len(second.text) > ratelog.MaxText+len("…") || !strings.HasSuffix(second.text, "…") {
		t.Errorf("second line: %d errors, %d bytes of text", second.n, len(second.text))
	}
	select {
	case extra := <-lines:
		t.Errorf("a third line: %+v", extra)
	case <-time.After(50 * time.Millisecond):
	}
}
