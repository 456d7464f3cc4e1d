package loki

import (
	"log"
	"time"
)

// reporter writes delivery failures to the error log, at most one line
// per interval, so that an outage of hours costs a few lines: the first
// failure at once, then a summary of those since the last line. It is
// used by the client's goroutine only.
type reporter struct {
	log   *log.Logger
	every time.Duration

	last     time.Time // of the last line
	attempts int       // requests failed since the last line
	failed   uint64    // entries given up since the last line
	dropped  uint64    // Stats.Dropped at the last line
	err      error     // the last failure not written yet
}

// attemptFailed counts a failed request.
func (r *reporter) attemptFailed() { r.attempts++ }

// gaveUp counts n entries given up.
func (r *reporter) gaveUp(n uint64) { r.failed += n }

// maybe notes err as the latest failure and writes a line, unless one was
// written less than an interval ago.
func (r *reporter) maybe(err error, st Stats) {
	r.err = err
	if now := time.Now(); r.last.IsZero() || now.Sub(r.last) >= r.every {
		r.write(st)
		r.last = now
	}
}

// flush writes what was not written yet, when the client closes.
func (r *reporter) flush(st Stats) {
	if r.err != nil || st.Dropped > r.dropped {
		r.write(st)
	}
}

func (r *reporter) write(st Stats) {
	if r.err == nil {
		r.log.Printf("loki: %d entries dropped (queue full) since the last report", st.Dropped-r.dropped)
	} else {
		r.log.Printf("loki: %d failed requests, %d entries given up, %d dropped (queue full) since the last report; last error: %v",
			r.attempts, r.failed, st.Dropped-r.dropped, r.err)
	}
	r.attempts, r.failed, r.dropped, r.err = 0, 0, st.Dropped, nil
}
