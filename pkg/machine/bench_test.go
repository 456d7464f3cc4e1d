package machine_test

import (
	"context"
	"fmt"
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
