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

// BenchmarkMutationsNoOpTracer binds a tracer that does nothing: what any
// tracer costs the machine, before dbg's own work.
func BenchmarkMutationsNoOpTracer(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{&am.NoOpTracer{}}})
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

// BenchmarkMutationsDbgNoServerAdded measures what the tracer adds per
// transition with nothing listening, next to a machine without it, on a
// machine shared with other work (see machtest.RunMutationsAdded).
func BenchmarkMutationsDbgNoServerAdded(b *testing.B) {
	tracer := dbg.NewTracer(freeAddr(b), nil)
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	machtest.RunMutationsAdded(b, plain, measured)
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = tracer.Close(ctx)
}

// TestNoAllocsWithoutServer holds the promise that a tracer with nothing
// listening allocates nothing per transition, once its queue is full.
func TestNoAllocsWithoutServer(t *testing.T) {
	// a single dial, which fails: the sender then waits out the backoff,
	// and allocates nothing while the op is counted. Before that it takes
	// at most MaxBatch transitions off the queue, which may be counted ops'.
	tracer := dbg.NewTracer(freeAddr(t), &dbg.Opts{QueueSize: 8, MaxBatch: 2, MinBackoff: time.Hour})
	plain, _ := machtest.NewMutationsMachine(t, nil)
	measured, _ := machtest.NewMutationsMachine(t, &am.Opts{Tracers: []am.Tracer{tracer}})
	for tracer.Dropped() == 0 {
		machtest.Op(measured)
	}
	base := testing.AllocsPerRun(1000, func() { machtest.Op(plain) })
	with := testing.AllocsPerRun(1000, func() { machtest.Op(measured) })
	if with != base {
		t.Errorf("an op allocates %v times with the tracer, %v without", with, base)
	}
	if tracer.Dropped() < 1000*machtest.TransitionsPerOp-2 {
		t.Errorf("Dropped() = %d, want every transition of the counted ops", tracer.Dropped())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = tracer.Close(ctx)
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

// BenchmarkDbgDelivery measures delivery rather than overhead: the
// BenchmarkMutations op, flushing to a live server every 100 ops, so that
// nothing is dropped and ns/op includes getting every transition to the
// server. It drives the op itself, as machtest.RunMutationsOp cannot
// pause for flushes.
func BenchmarkDbgDelivery(b *testing.B) {
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	mach, _ := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	ab, acd := am.S{"A", "B"}, am.S{"A", "C", "D"}
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		mach.Add(ab, nil)
		mach.Add1("D", nil)
		mach.Remove(acd, nil)
		if n++; n%100 == 0 {
			if err := tracer.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tracer.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(tracer.Dropped())/float64(n*machtest.TransitionsPerOp), "dropped/tx")
}
