package dbg_test

import (
	"context"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// The benchmarks run the machine's BenchmarkMutations op (3 transitions)
// bare, and with a dbg tracer bound; per-transition overhead is the
// difference divided by machtest.TransitionsPerOp.

func BenchmarkMutations(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, nil)
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// BenchmarkMutationsDbgLive sends every transition to a live server on
// loopback, whose handler discards the batches.
func BenchmarkMutationsDbgLive(b *testing.B) {
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	benchDbg(b, srv.Addr().String())
}

// BenchmarkMutationsDbgNoServer sends to an address nothing listens on:
// the queue fills and transitions are dropped.
func BenchmarkMutationsDbgNoServer(b *testing.B) {
	benchDbg(b, freeAddr(b))
}

func benchDbg(b *testing.B, addr string) {
	tracer := dbg.NewTracer(addr, nil)
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
	b.StopTimer()
	b.ReportMetric(float64(tracer.Dropped())/float64(b.N*machtest.TransitionsPerOp), "dropped/tx")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// with no server, Close gives up when ctx ends
	_ = tracer.Close(ctx)
}
