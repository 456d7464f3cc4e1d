package web

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// broker tells the open pages that the store changed, as Server-Sent
// Events. A page that hears of a change fetches the view it shows, so an
// event carries only a count of the changes so far. However fast transitions
// arrive, a page gets at most one event per gap: the first change after a
// quiet spell goes out at once, later ones wait for the gap to pass and
// go out as one. The server's cost is then bounded by pages × 1/gap view
// renders a second, not by the transition rate.
type broker struct {
	gap       time.Duration
	maxPages  int
	heartbeat time.Duration
	writeWait time.Duration
	// done ends every stream, when the server closes: http.Server.Shutdown
	// waits for streams that would never end by themselves.
	done <-chan struct{}
	// rev counts the changes notified.
	rev atomic.Uint64

	mu    sync.Mutex
	pages map[chan struct{}]struct{}
}

// notify records a change and wakes every stream. It never blocks: a
// stream still waiting out its gap takes the change with the next event.
func (b *broker) notify() {
	b.rev.Add(1)
	b.mu.Lock()
	for c := range b.pages {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
}

// join adds a page's wake-up channel, unless maxPages are open.
func (b *broker) join(c chan struct{}) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pages) >= b.maxPages {
		return false
	}
	b.pages[c] = struct{}{}
	return true
}

func (b *broker) leave(c chan struct{}) {
	b.mu.Lock()
	delete(b.pages, c)
	b.mu.Unlock()
}

// ServeHTTP streams "rev" events until the page goes away, a write to it
// stalls past writeWait, or the server closes.
func (b *broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wake := make(chan struct{}, 1)
	if !b.join(wake) {
		http.Error(w, "too many pages open on this am-dbg", http.StatusServiceUnavailable)
		return
	}
	defer b.leave(wake)
	rc := http.NewResponseController(w)
	// the server's read timeout is for requests; a stream outlives it, and
	// a read deadline passing would end the stream
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 64)
	send := func(p []byte) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(b.writeWait)); err != nil {
			return false
		}
		if _, err := w.Write(p); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	event := func() bool {
		buf = append(buf[:0], "event: rev\ndata: "...)
		buf = strconv.AppendUint(buf, b.rev.Load(), 10)
		buf = append(buf, "\n\n"...)
		return send(buf)
	}
	// the page reconnects a second after losing the stream, and starts
	// from the current revision
	if !send([]byte("retry: 1000\n\n")) || !event() {
		return
	}
	last := time.Now()
	beat := time.NewTicker(b.heartbeat)
	defer beat.Stop()
	gapTimer := time.NewTimer(0)
	<-gapTimer.C
	for {
		select {
		case <-r.Context().Done():
			return
		case <-b.done:
			return
		case <-beat.C:
			// a comment line keeps proxies from closing an idle stream,
			// and finds pages that went away without a word
			if !send([]byte(": ping\n\n")) {
				return
			}
		case <-wake:
			if wait := b.gap - time.Since(last); wait > 0 {
				gapTimer.Reset(wait)
				select {
				case <-gapTimer.C:
				case <-r.Context().Done():
					return
				case <-b.done:
					return
				}
				// what arrived during the wait is in this event already
				select {
				case <-wake:
				default:
				}
			}
			if !event() {
				return
			}
			last = time.Now()
		}
	}
}
