// Package hostile runs misbehaving backends for tests of telemetry
// clients, and measures what they cost the process: an HTTP server that
// answers every request with an error and a huge body, one that never
// answers, OTLP/gRPC servers that hang, refuse or answer too much (see
// OTLPGRPC), the heap's growth meanwhile, and what was logged.
package hostile

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// HugeBody is the size of the error body of Huge500.
const HugeBody = 100 << 20

// Huge500 starts a server that reads each request and answers it with
// status 500 and a HugeBody-byte body, written in chunks so that the
// server itself stays small. It returns its URL and a counter of the
// requests it answered.
func Huge500(t testing.TB) (url string, requests *atomic.Int64) {
	t.Helper()
	requests = &atomic.Int64{}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		requests.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		for sent := 0; sent < HugeBody; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client stopped reading
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// Hang starts a server that reads each request and then never answers,
// until the client gives up or the test ends. It returns its URL and a
// counter of the requests it received.
func Hang(t testing.TB) (url string, requests *atomic.Int64) {
	t.Helper()
	requests = &atomic.Int64{}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		requests.Add(1)
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	// LIFO: the handlers return before Close waits for them
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv.URL, requests
}

// HeapWatch samples the live heap until Stop and reports its largest
// growth over the live heap at the start. The live heap is what the last
// garbage collection found reachable: garbage awaiting collection, which
// depends on when the collector ran, does not count.
type HeapWatch struct {
	base uint64
	max  atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

// liveHeap is the runtime metric HeapWatch samples.
const liveHeap = "/gc/heap/live:bytes"

// WatchHeap collects garbage, notes the live heap, and samples it every
// few milliseconds.
func WatchHeap() *HeapWatch {
	runtime.GC()
	h := &HeapWatch{base: readLiveHeap(), stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
				h.sample()
			}
		}
	}()
	return h
}

func (h *HeapWatch) sample() {
	if live := readLiveHeap(); live > h.base && live-h.base > h.max.Load() {
		h.max.Store(live - h.base)
	}
}

func readLiveHeap() uint64 {
	s := []metrics.Sample{{Name: liveHeap}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Stop ends sampling, collects garbage and samples once more, so that a
// short run is measured too, and returns the largest growth seen, in
// bytes.
func (h *HeapWatch) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	runtime.GC()
	h.sample()
	return h.max.Load()
}

// LogBytes counts what is written through log and slog's default logger
// until the test ends, so a test can bound what a failing backend makes a
// client log to standard error.
type LogBytes struct{ n atomic.Int64 }

// CaptureLogs sends the standard logger's and slog's default output to the
// returned counter for the rest of the test.
func CaptureLogs(t testing.TB) *LogBytes {
	t.Helper()
	c := &LogBytes{}
	prevOut, prevFlags := log.Writer(), log.Flags()
	prevSlog := slog.Default()
	log.SetOutput(c)
	slog.SetDefault(slog.New(slog.NewTextHandler(c, nil)))
	t.Cleanup(func() {
		slog.SetDefault(prevSlog)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})
	return c
}

// Write counts p.
func (c *LogBytes) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// Len returns the bytes written so far.
func (c *LogBytes) Len() int64 { return c.n.Load() }
