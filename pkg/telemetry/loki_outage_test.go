package amtele_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// outageHeapLimit bounds the heap growth of a machine logging through a
// Loki outage: the queues are bounded, so nothing may pile up.
const outageHeapLimit = 16 << 20

// hugeBody is the size of the error bodies of TestLokiOutageHugeErrors.
const hugeBody = 100 << 20

// lokiBackend is a fake Loki on 127.0.0.1 taking JSON pushes. While
// failing is set, it answers that status with a body of hugeBody bytes,
// streamed, which a client must not read.
type lokiBackend struct {
	*httptest.Server
	failing  atomic.Int32 // a status, or 0 to accept
	failures atomic.Int32 // requests answered with failing

	mu    sync.Mutex
	lines []string
}

func newLokiBackend(t *testing.T) *lokiBackend {
	b := &lokiBackend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status := int(b.failing.Load()); status != 0 {
			b.failures.Add(1)
			w.WriteHeader(status)
			chunk := []byte(strings.Repeat("x", 64<<10))
			for n := 0; n < hugeBody; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return // the client hung up, as it should
				}
			}
			return
		}
		var req struct {
			Streams []struct{ Values [][]any }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		for _, s := range req.Streams {
			for _, v := range s.Values {
				if line, ok := v[1].(string); ok {
					b.lines = append(b.lines, line)
				}
			}
		}
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(b.Close)
	return b
}

// received returns the lines taken so far that contain substr.
func (b *lokiBackend) received(substr string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.lines {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// outageClient is a client for url made to live through outages within a
// test's time: short timeout and backoff, a small queue.
func outageClient(t *testing.T, url string) *loki.Client {
	t.Helper()
	client, err := loki.New(loki.Options{
		URL:        url,
		Labels:     map[string]string{"service_name": "outage"},
		Encoding:   loki.JSON,
		BatchWait:  20 * time.Millisecond,
		QueueSize:  256,
		Timeout:    200 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
		ErrorLog:   log.New(testLogWriter{t}, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Close(ctx)
	})
	return client
}

// testLogWriter logs to the test, for failures a test expects.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestLokiOutageHang logs through a proxy that takes pushes and never
// answers them, as a hanging Loki does. The op goes on while a push
// hangs: proof, with no clock, that the machine does not wait for it.
func TestLokiOutageHang(t *testing.T) {
	backend := newLokiBackend(t)
	proxy := e2e.NewOutage(t, backend.URL)
	client := outageClient(t, proxy.URL)
	testLokiOutage(t, client, backend,
		func() { proxy.SetDown(true) },
		func() { proxy.SetDown(false) },
		func() bool { return proxy.Held() > 0 },
		proxy.RunWhileHeld)
}

// TestLokiOutageHugeErrors logs through a Loki that answers 500, then
// 429, each with a body of 100 MB, which must be neither read nor kept.
func TestLokiOutageHugeErrors(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusTooManyRequests} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			backend := newLokiBackend(t)
			client := outageClient(t, backend.URL)
			testLokiOutage(t, client, backend,
				func() { backend.failing.Store(int32(status)) },
				func() { backend.failing.Store(0) },
				func() bool { return backend.failures.Load() > 0 },
				func(_ testing.TB, ops func()) { ops() })
		})
	}
}

// outageOps is how many ops testLokiOutage runs during an outage: enough
// entries to fill the client's queue many times over.
const outageOps = 100_000

// testLokiOutage runs machtest's op, logging state changes through
// client, with the backend up, down, and up again. During the outage,
// during runs a burst of ops and proves what it can of them (that they
// did not wait for a hanging push); then outageOps more run. The op
// allocates no more during the outage than around it, the heap stays
// within outageHeapLimit, and every entry is accounted for, as sent,
// failed or dropped. Once the backend is up again, new entries arrive.
func testLokiOutage(t *testing.T, client *loki.Client, backend *lokiBackend, down, up func(), noticed func() bool,
	during func(t testing.TB, ops func())) {
	var logged atomic.Uint64
	mach, _ := machtest.NewMutationsMachine(t, &am.Opts{
		ID:       "outage",
		LogLevel: am.LogLevelChanges,
		Logger:   am.LogSinkFunc(func(*am.LogEntry) { logged.Add(1) }),
	})
	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		t.Fatal(err)
	}
	op := func() { machtest.Op(mach) }
	// a burst short next to outageClient's 200 ms timeout, as
	// e2e.Outage.RunWhileHeld needs
	burst := func() {
		for range 1000 {
			op()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	upAllocs := testing.AllocsPerRun(5000, op)
	if err := logger.Flush(ctx); err != nil {
		t.Fatalf("flush with the backend up: %v", err)
	}

	down()
	dropped := logger.Dropped()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	during(t, burst)
	for range outageOps / 1000 {
		burst()
	}
	downAllocs := testing.AllocsPerRun(5000, op)
	runtime.GC()
	runtime.ReadMemStats(&after)

	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("allocs per op with the backend up: %v, down: %v; %d entries dropped during the outage; heap grew by %d bytes",
		upAllocs, downAllocs, logger.Dropped()-dropped, grew)
	if !noticed() || logger.Dropped() == dropped {
		t.Errorf("the outage went unnoticed: %d entries dropped", logger.Dropped()-dropped)
	}
	if grew > outageHeapLimit {
		t.Errorf("heap grew by %d bytes during the outage, over %d", grew, outageHeapLimit)
	}

	up()
	// what was held during the outage is sent or given up; the losses
	// are reported once
	var lost *loki.LostError
	if err := logger.Flush(ctx); err != nil && !errors.As(err, &lost) {
		t.Fatalf("flush after the outage: %v", err)
	}
	againAllocs := testing.AllocsPerRun(5000, op)
	if err := logger.Flush(ctx); err != nil {
		t.Fatalf("flush with the backend up again: %v", err)
	}
	// entries the client drops cost no more than those it sends;
	// compared with the larger count around the outage, as the client's
	// own goroutine allocates too, and AllocsPerRun counts it
	if upAllocs := max(upAllocs, againAllocs); downAllocs > upAllocs {
		t.Errorf("the op allocates more during the outage: %v allocs, from %v", downAllocs, upAllocs)
	}
	var want []string
	for i := range 20 {
		mach.Log("after the outage %d", i)
		want = append(want, fmt.Sprintf("after the outage %d", i))
	}
	if err := logger.Flush(ctx); err != nil {
		t.Fatalf("flush of the entries made after the outage: %v", err)
	}
	if got := backend.received("after the outage"); !slices.Equal(got, want) {
		t.Errorf("after the outage, the backend got %q, want %q", got, want)
	}
	st := client.Stats()
	if n := logged.Load(); n != st.Sent+st.Failed+logger.Dropped() {
		t.Errorf("%d entries logged, %d sent + %d failed + %d dropped (%+v)", n, st.Sent, st.Failed, logger.Dropped(), st)
	}
}
