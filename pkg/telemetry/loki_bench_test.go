package amtele_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// The benchmarks below give the Loki logger's cost to a machine:
//
//   - BenchmarkLokiLogger runs machtest's op logging state changes to a
//     sink that only counts entries (the base), and through
//     BindLokiLogger to a real client posting to a local server that
//     discards. The difference of the two ns/op, divided by entries/op,
//     is what the whole path costs per entry on a machine whose cores
//     are shared with the delivery.
//   - BenchmarkLokiSinkEntry (logspans_internal_test.go) calls the
//     logger's sink alone, the part that runs on the machine's goroutine,
//     with the delivery running: ns/op and allocs/op are per entry.
//   - BenchmarkMutationsLokiLoggerAdded gives what a bound logger costs
//     per transition in its hooks alone, nothing logged.

// discardLoki returns a client posting to a local server that discards,
// closed when b ends.
func discardLoki(b *testing.B) *loki.Client {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	client, err := loki.New(loki.Options{
		URL:      srv.URL,
		Labels:   map[string]string{"service_name": "bench"},
		ErrorLog: log.New(io.Discard, "", 0),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close(context.Background()) })
	return client
}

// countingSink counts entries, as the base of both benchmarks.
func countingSink(n *atomic.Uint64) am.LogSink {
	return am.LogSinkFunc(func(*am.LogEntry) { n.Add(1) })
}

func BenchmarkLokiLogger(b *testing.B) {
	b.Run("sink", func(b *testing.B) {
		var n atomic.Uint64
		mach, h := machtest.NewMutationsMachine(b, &am.Opts{LogLevel: am.LogLevelChanges, Logger: countingSink(&n)})
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
		b.ReportMetric(float64(n.Load())/float64(b.N), "entries/op")
	})
	b.Run("loki", func(b *testing.B) {
		client := discardLoki(b)
		var n atomic.Uint64
		mach, h := machtest.NewMutationsMachine(b, &am.Opts{LogLevel: am.LogLevelChanges, Logger: countingSink(&n)})
		logger, err := amtele.BindLokiLogger(mach, client)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
		b.StopTimer()
		b.ReportMetric(float64(n.Load())/float64(b.N), "entries/op")
		if err := logger.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(logger.Dropped()), "dropped")
	})
}

// BenchmarkMutationsLokiLoggerAdded measures what a bound Loki logger
// costs per transition in its hooks, next to a machine without it: neither
// machine logs, so no entry is made (see machtest.RunMutationsAdded).
func BenchmarkMutationsLokiLoggerAdded(b *testing.B) {
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, nil)
	if _, err := amtele.BindLokiLogger(measured, discardLokiClient{}); err != nil {
		b.Fatal(err)
	}
	machtest.RunMutationsAdded(b, plain, measured)
}
