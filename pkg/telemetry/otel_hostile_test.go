package amtele_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"go.opentelemetry.io/otel"

	"github.com/amkit-dev/amkit/internal/hostile"
	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// hostileEnv points the providers at url, exporting often and giving up
// soon, so that a test sees many failed exports.
func hostileEnv(url string) map[string]string {
	return map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": url,
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "300",
		"OTEL_BSP_SCHEDULE_DELAY":     "10",
		"OTEL_BSP_EXPORT_TIMEOUT":     "600",
		"OTEL_BLRP_SCHEDULE_DELAY":    "10",
		"OTEL_BLRP_EXPORT_TIMEOUT":    "600",
	}
}

// captureOtelLog counts what the SDK's internal logger writes, until the
// test ends.
func captureOtelLog(t *testing.T) *atomic.Int64 {
	n := &atomic.Int64{}
	otel.SetLogger(funcr.New(func(prefix, args string) { n.Add(int64(len(prefix) + len(args))) }, funcr.Options{}))
	t.Cleanup(func() { otel.SetLogger(funcr.New(func(string, string) {}, funcr.Options{})) })
	return n
}

// TestOtelHostileBackends runs a traced and logging machine against an
// OTLP/HTTP backend that answers 500 with 100 MB, and one that never
// answers: the heap stays within 16 MB of where it was, what is logged
// stays small, and the losses are counted.
func TestOtelHostileBackends(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) (string, *atomic.Int64)
		// exports is how many failed exports to wait for: a hanging
		// backend fails one per timeout
		exports int64
	}{
		{"huge-500", hostile.Huge500, 50},
		{"hang", hostile.Hang, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, requests := tc.start(t)
			runHostile(t, hostileEnv(url), requests, tc.exports, 16<<20)
		})
	}
}

// TestOtelHostileGRPCBackends is TestOtelHostileBackends over OTLP/gRPC:
// a backend that never answers, one that answers Unavailable (which the
// exporters retry), and one whose answers are over gRPC's 4 MiB receive
// limit. The heap stays bounded, what is logged stays small, and the
// losses are counted.
func TestOtelHostileGRPCBackends(t *testing.T) {
	for _, tc := range []struct {
		name     string
		behavior hostile.GRPCBehavior
		exports  int64
		// maxHeap bounds the live heap's growth. gRPC takes in up to
		// its flow-control window of an answer (up to 16 MiB a stream
		// once it has measured the link) before it refuses the answer
		// as too large: 100 oversized answers, 500 MB in all, leave
		// about 13 MB live.
		maxHeap uint64
	}{
		{"hang", hostile.GRPCHang, 6, 16 << 20},
		{"unavailable", hostile.GRPCUnavailable, 20, 16 << 20},
		{"oversized", hostile.GRPCOversized, 100, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoint, requests := hostile.OTLPGRPC(t, tc.behavior)
			env := hostileEnv(endpoint)
			env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
			runHostile(t, env, requests, tc.exports, tc.maxHeap)
		})
	}
}

// runHostile runs a traced and logging machine with the OTLP providers of
// env until the backend has received exports exports, then checks that
// the heap grew by at most maxHeap bytes, that little was logged and that
// the losses were counted.
func runHostile(t *testing.T, env map[string]string, requests *atomic.Int64, exports int64, maxHeap uint64) {
	t.Helper()
	logged := hostile.CaptureLogs(t)
	sdkLogged := captureOtelLog(t)
	p := providers(t, nil, env)
	mach, _ := otelMutationsMachine(t, p)

	heap := hostile.WatchHeap()
	// run until the backend has had several exports to answer
	deadline := time.Now().Add(30 * time.Second)
	ops := 0
	for requests.Load() < exports && time.Now().Before(deadline) {
		mach.Add(am.S{"A", "B"}, nil)
		mach.Add1("D", nil)
		mach.Remove(am.S{"A", "C", "D"}, nil)
		ops++
	}
	grew := heap.Stop()
	if n := requests.Load(); n < exports {
		t.Fatalf("the backend got %d exports in 30 s", n)
	}
	t.Logf("live heap grew by %d KB over %d ops and %d exports", grew>>10, ops, requests.Load())
	if grew > maxHeap {
		t.Errorf("heap grew by %d MB over %d ops, want at most %d MB", grew>>20, ops, maxHeap>>20)
	}
	// the rate-limited handler logs one line at first, and the
	// next after 10 s
	if n := logged.Len() + sdkLogged.Load(); n > 4<<10 {
		t.Errorf("%d bytes logged for %d failed exports", n, requests.Load())
	}
	s := p.Stats()
	if s.SpansFailed+s.SpansDropped == 0 || s.LogsFailed+s.LogsDropped == 0 {
		t.Errorf("losses not counted: %+v", s)
	}
}

// otelMutationsMachine is the mutations machine traced and logging, at
// LogLevelChanges, through p.
func otelMutationsMachine(tb testing.TB, p *amtele.OtelProviders) (*am.Machine, *machtest.Handlers) {
	tb.Helper()
	mach, h := machtest.NewMutationsMachine(tb, &am.Opts{
		LogLevel: am.LogLevelChanges,
		Logger:   am.LogSinkFunc(func(*am.LogEntry) {}),
		Tracers:  []am.Tracer{amtele.NewOtelMachTracer(p.Tracer.Tracer("hostile"), nil)},
	})
	if err := amtele.BindOtelLogger(mach, p.Logger, "hostile"); err != nil {
		tb.Fatal(err)
	}
	return mach, h
}

// BenchmarkOtelHostile runs the op traced and logging over OTLP/HTTP to a
// backend that accepts everything, to one answering 500 with 100 MB, and
// to one that never answers. Exporting happens off the machine's
// goroutine, so the three must cost the same per op.
func BenchmarkOtelHostile(b *testing.B) {
	run := func(b *testing.B, p *amtele.OtelProviders) {
		mach, h := otelMutationsMachine(b, p)
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
	}
	for _, bc := range []struct {
		name  string
		start func(testing.TB) (string, *atomic.Int64)
	}{
		{"ok", func(tb testing.TB) (string, *atomic.Int64) { return newFakeCollector(tb, nil).URL(), nil }},
		{"huge-500", hostile.Huge500},
		{"hang", hostile.Hang},
	} {
		b.Run(bc.name, func(b *testing.B) {
			url, _ := bc.start(b)
			// the SDK's default batching: exports when a batch is full
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
			b.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300")
			p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "hostile")
			if err != nil {
				b.Fatal(err)
			}
			otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
			b.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = p.Shutdown(ctx)
			})
			run(b, p)
		})
	}
}

// BenchmarkOtelHostileTurns is BenchmarkOtelHostile with the three
// machines running in turns, each op timed, and the medians compared:
// changes in load, the exporters' own work included, hit all three alike,
// so the ratios show what a hostile backend costs the machine's goroutine.
func BenchmarkOtelHostileTurns(b *testing.B) {
	backends := []struct {
		name  string
		start func(testing.TB) (string, *atomic.Int64)
	}{
		{"ok", func(tb testing.TB) (string, *atomic.Int64) { return newFakeCollector(tb, nil).URL(), nil }},
		{"huge-500", hostile.Huge500},
		{"hang", hostile.Hang},
	}
	machs := make([]*am.Machine, len(backends))
	for i, bc := range backends {
		url, _ := bc.start(b)
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
		b.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300")
		p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "hostile")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = p.Shutdown(ctx)
		})
		machs[i], _ = otelMutationsMachine(b, p)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	times := make([][]time.Duration, len(machs))
	turn := 0
	for b.Loop() {
		// rotate who goes first, so that no machine always follows another
		for k := range machs {
			i := (turn + k) % len(machs)
			t0 := time.Now()
			machs[i].Add(am.S{"A", "B"}, nil)
			machs[i].Add1("D", nil)
			machs[i].Remove(am.S{"A", "C", "D"}, nil)
			times[i] = append(times[i], time.Since(t0))
		}
		turn++
	}
	base := medianDuration(times[0])
	for i, bc := range backends {
		m := medianDuration(times[i])
		b.ReportMetric(float64(m), bc.name+"-ns/op")
		if i > 0 {
			b.ReportMetric(float64(m)/float64(base), bc.name+"/ok")
		}
	}
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
