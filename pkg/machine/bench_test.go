package machine_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// BenchmarkMutations: one op is Add([A,B]), Add1(D), Remove([A,C,D]) on
// the schema {A, B: Require A, C: Remove B, D: Add C}.
func BenchmarkMutations(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, nil)
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// BenchmarkMutationsNoOpTracer is BenchmarkMutations with a NoOpTracer bound.
func BenchmarkMutationsNoOpTracer(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{&am.NoOpTracer{}}})
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// borrowingNoOp is a NoOpTracer that lets the machine reuse its records.
type borrowingNoOp struct{ am.NoOpTracer }

func (*borrowingNoOp) BorrowsTransitions() bool { return true }

// BenchmarkMutationsBorrower is BenchmarkMutations with a tracer that does
// nothing and borrows records: what the machine charges any exporter that
// keeps nothing, before the exporter's own work.
func BenchmarkMutationsBorrower(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{&borrowingNoOp{}}})
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// endOnly is borrowingNoOp taking only TransitionEnd of the hot path's
// hooks, as the Prometheus and dbg exporters do.
type endOnly struct{ borrowingNoOp }

func (*endOnly) TracerHooks() am.TracerHooks { return am.HookTransitionEnd }

// BenchmarkMutationsEndOnly is BenchmarkMutationsBorrower with a tracer
// that filters its hooks down to TransitionEnd ([am.HookFilter]).
func BenchmarkMutationsEndOnly(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{&endOnly{}}})
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// BenchmarkChain measures how the cost of one Add grows with the number of
// states it touches: a 64-state schema where state i requires i-1 and adds
// i+1 up to the chain length, so adding the chain's head touches all of it.
func BenchmarkChain(b *testing.B) {
	const total = 64
	for _, touched := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("touched=%d", touched), func(b *testing.B) {
			schema := am.Schema{}
			for i := range total {
				st := am.State{}
				if i > 0 && i < touched {
					st.Require = am.S{chainState(i - 1)}
				}
				if i+1 < touched {
					st.Add = am.S{chainState(i + 1)}
				}
				schema[chainState(i)] = st
			}
			mach, err := am.New(context.Background(), schema, nil)
			if err != nil {
				b.Fatal(err)
			}
			all := mach.StateNames()[1 : touched+1]
			b.ReportAllocs()
			for b.Loop() {
				mach.Add1(chainState(0), nil)
				mach.Remove(all, nil)
			}
			if mach.Is1(chainState(0)) {
				b.Fatal("chain head still active")
			}
		})
	}
}

func chainState(i int) string { return fmt.Sprintf("S%02d", i) }

// idleSchema is a 20-state schema with a few relations of each kind.
func idleSchema() am.Schema { return idleSchemaNamed("S") }

// idleSchemaNamed is idleSchema with its states named prefix00 to
// prefix19: schemas of one prefix are identical, of two prefixes distinct.
func idleSchemaNamed(prefix string) am.Schema {
	name := func(i int) string { return fmt.Sprintf("%s%02d", prefix, i) }
	schema := am.Schema{}
	for i := range 20 {
		st := am.State{Auto: i == 7, Multi: i%5 == 0}
		if i > 0 {
			st.Require = am.S{name(i - 1)}
		}
		if i%3 == 0 && i+1 < 20 {
			st.Add = am.S{name(i + 1)}
		}
		if i%4 == 1 && i+2 < 20 {
			st.Remove = am.S{name(i + 2)}
		}
		schema[name(i)] = st
	}
	return schema
}

// BenchmarkNewMachine measures creating a machine for a 20-state schema,
// and reports the heap an idle machine keeps (heap-B/machine) with 100
// machines of one schema alive.
func BenchmarkNewMachine(b *testing.B) {
	const alive = 100
	ctx := context.Background()
	var before, after runtime.MemStats
	machs := make([]*am.Machine, alive)
	runtime.GC()
	runtime.ReadMemStats(&before)
	for k := range machs {
		m, err := am.New(ctx, idleSchema(), &am.Opts{ID: fmt.Sprint("idle-", k)})
		if err != nil {
			b.Fatal(err)
		}
		machs[k] = m
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perMachine := float64(after.HeapAlloc-before.HeapAlloc) / alive
	for _, m := range machs {
		m.Dispose()
	}

	schema := idleSchema()
	b.ReportAllocs()
	for b.Loop() {
		m, err := am.New(ctx, schema, nil)
		if err != nil {
			b.Fatal(err)
		}
		m.Dispose()
	}
	b.ReportMetric(perMachine, "heap-B/machine")
}

// BenchmarkQueued: one op is 8 goroutines adding a Multi state 10,000
// times each, so that most mutations wait in the queue. B/mutation is the
// memory allocated per mutation, executing it included.
func BenchmarkQueued(b *testing.B) {
	const goroutines, adds = 8, 10_000
	mach, err := am.New(context.Background(), am.Schema{"M": {Multi: true}}, &am.Opts{QueueLimit: goroutines * adds})
	if err != nil {
		b.Fatal(err)
	}
	defer mach.Dispose()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range adds {
					if mach.Add1("M", nil) == am.Canceled {
						b.Error(mach.LastCancel())
						return
					}
				}
			})
		}
		wg.Wait()
		<-mach.WhenQueueDone(nil)
		n++
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n*goroutines*adds), "B/mutation")
}
