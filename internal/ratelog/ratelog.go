// Package ratelog logs repeated failures at most once per interval: the
// first at once, then one line per interval with the number of failures
// since and the last one's text, cut short. An exporter whose backend is
// down fails several times a second; a line each would flood the log.
package ratelog

import (
	"sync"
	"time"
	"unicode/utf8"
)

// MaxText bounds the error text of one line: a backend's error body can be
// megabytes, and clients quote it in their errors.
const MaxText = 512

// Limiter calls its log function at most once per interval.
type Limiter struct {
	interval time.Duration
	log      func(n uint64, text string)

	mu sync.Mutex
	// lastLog is when a line was logged last; suppressed counts the
	// failures since, of which last is the latest, logged by flush.
	lastLog    time.Time
	suppressed uint64
	last       string
	flush      *time.Timer
}

// New returns a limiter that calls log with the number of failures a line
// stands for and the last one's text, at most once per interval. Calls
// are serialized, so lines keep their order.
func New(interval time.Duration, log func(n uint64, text string)) *Limiter {
	return &Limiter{interval: interval, log: log}
}

// Report logs err now, or with the next line.
func (l *Limiter) Report(err error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.flush == nil && (l.lastLog.IsZero() || now.Sub(l.lastLog) >= l.interval) {
		l.lastLog = now
		l.log(1, Text(err))
		return
	}
	l.suppressed++
	l.last = Text(err)
	if l.flush == nil {
		l.flush = time.AfterFunc(l.lastLog.Add(l.interval).Sub(now), l.flushSuppressed)
	}
}

// flushSuppressed logs the failures held back since the last line.
func (l *Limiter) flushSuppressed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flush = nil
	if l.suppressed == 0 {
		return
	}
	l.lastLog = time.Now()
	l.log(l.suppressed, l.last)
	l.suppressed, l.last = 0, ""
}

// Text returns err's text cut to MaxText bytes, on a rune boundary.
func Text(err error) string {
	s := err.Error()
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
