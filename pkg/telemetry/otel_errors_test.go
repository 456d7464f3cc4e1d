package amtele_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// lineWriter collects log lines and signals each.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.lines <- struct{}{}
	return len(p), nil
}

func (w *lineWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRateLimitedErrorHandler: a burst of huge errors gives one line at
// once and one summary line after the interval, each short, with the
// count of the errors it stands for.
func TestRateLimitedErrorHandler(t *testing.T) {
	w := &lineWriter{lines: make(chan struct{}, 16)}
	h := amtele.NewRateLimitedErrorHandler(50*time.Millisecond, slog.New(slog.NewTextHandler(w, nil)))
	huge := errors.New("failed to send: 500 " + strings.Repeat("x", 1<<20))
	const burst = 1000
	for range burst {
		h.Handle(huge)
	}
	for range 2 {
		select {
		case <-w.lines:
		case <-time.After(10 * time.Second):
			t.Fatalf("lines so far:\n%s", w.text())
		}
	}
	lines := strings.Split(strings.TrimSpace(w.text()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), w.text())
	}
	if !strings.Contains(lines[0], "errors=1 ") || !strings.Contains(lines[1], "errors=999 ") {
		t.Errorf("lines do not count 1 and %d errors:\n%s", burst-1, w.text())
	}
	for _, l := range lines {
		if len(l) > 1024 {
			t.Errorf("line of %d bytes", len(l))
		}
	}
	if h.Errors() != burst {
		t.Errorf("Errors() = %d, want %d", h.Errors(), burst)
	}
}
