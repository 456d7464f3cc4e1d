package machine_test

import (
	"context"
	"fmt"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// benchHandlers are the handlers of the BenchmarkMutations schema.
type benchHandlers struct{ aStates int }

func (h *benchHandlers) AState(*am.Event)      { h.aStates++ }
func (h *benchHandlers) BEnter(*am.Event) bool { return true }

func newBenchMachine(b *testing.B, opts *am.Opts) (*am.Machine, *benchHandlers) {
	b.Helper()
	mach, err := am.New(context.Background(), am.Schema{
		"A": {},
		"B": {Require: am.S{"A"}},
		"C": {Remove: am.S{"B"}},
		"D": {Add: am.S{"C"}},
	}, opts)
	if err != nil {
		b.Fatal(err)
	}
	h := &benchHandlers{}
	if err := mach.BindHandlers(h); err != nil {
		b.Fatal(err)
	}
	return mach, h
}

// runMutationsOp is the op of BenchmarkMutations, shared with the telemetry
// benchmarks so they measure exactly what they add.
func runMutationsOp(b *testing.B, mach *am.Machine) {
	b.Helper()
	ab, acd := am.S{"A", "B"}, am.S{"A", "C", "D"}
	for b.Loop() {
		mach.Add(ab, nil)
		mach.Add1("D", nil)
		mach.Remove(acd, nil)
	}
}

// BenchmarkMutations: one op is Add([A,B]), Add1(D), Remove([A,C,D]).
func BenchmarkMutations(b *testing.B) {
	mach, h := newBenchMachine(b, nil)
	b.ReportAllocs()
	runMutationsOp(b, mach)
	if h.aStates != b.N {
		b.Fatalf("AState ran %d times, want %d", h.aStates, b.N)
	}
}

// BenchmarkMutationsNoOpTracer is BenchmarkMutations with a NoOpTracer bound.
func BenchmarkMutationsNoOpTracer(b *testing.B) {
	mach, _ := newBenchMachine(b, &am.Opts{Tracers: []am.Tracer{&am.NoOpTracer{}}})
	b.ReportAllocs()
	runMutationsOp(b, mach)
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
