package dbg

import (
	"sync"
	"sync/atomic"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// logBuffer is a log sink keeping the entries made outside transitions,
// until the next transition takes them. Entries made during a transition
// are skipped: the transition carries them already.
type logBuffer struct {
	max int
	n   atomic.Int32
	mu  sync.Mutex
	buf []am.LogEntry
}

// LogEntry keeps e if it was made outside a transition, discarding the
// oldest entry when the buffer is full.
func (b *logBuffer) LogEntry(e *am.LogEntry) {
	if e.TxID != 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) == b.max {
		b.buf = append(b.buf[:0], b.buf[1:]...)
	}
	b.buf = append(b.buf, *e)
	b.n.Store(int32(len(b.buf)))
}

// take returns the kept entries and empties the buffer. With nothing kept
// it costs one atomic load, which is the common case on the hot path.
func (b *logBuffer) take() []am.LogEntry {
	if b.n.Load() == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.buf
	b.buf = nil
	b.n.Store(0)
	return out
}
