// Package machtest holds the machine workload that benchmarks share, so the
// machine's own benchmark and every exporter's benchmark measure the same op
// and their figures can be compared as ratios.
package machtest

import (
	"context"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// MutationsSchema is the schema of the BenchmarkMutations op.
func MutationsSchema() am.Schema {
	return am.Schema{
		"A": {},
		"B": {Require: am.S{"A"}},
		"C": {Remove: am.S{"B"}},
		"D": {Add: am.S{"C"}},
	}
}

// TransitionsPerOp is the number of transitions one [RunMutationsOp]
// iteration makes, for per-transition figures.
const TransitionsPerOp = 3

// Handlers are the handlers of the BenchmarkMutations op: AState counts its
// calls and BEnter accepts.
type Handlers struct{ AStates int }

// AState counts activations of A.
func (h *Handlers) AState(*am.Event) { h.AStates++ }

// BEnter accepts B.
func (h *Handlers) BEnter(*am.Event) bool { return true }

// NewMutationsMachine creates the machine of the BenchmarkMutations op with
// opts (nil is allowed) and its handlers bound. It is disposed when b ends.
func NewMutationsMachine(b testing.TB, opts *am.Opts) (*am.Machine, *Handlers) {
	b.Helper()
	mach, err := am.New(context.Background(), MutationsSchema(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(mach.Dispose)
	h := &Handlers{}
	if err := mach.BindHandlers(h); err != nil {
		b.Fatal(err)
	}
	return mach, h
}

// RunMutationsOp runs the BenchmarkMutations op in a b.Loop: Add([A,B]),
// Add1(D), Remove([A,C,D]), three transitions. It fails b when AState did
// not run once per op, which would mean the op measured something else.
func RunMutationsOp(b *testing.B, mach *am.Machine, h *Handlers) {
	b.Helper()
	ab, acd := am.S{"A", "B"}, am.S{"A", "C", "D"}
	start := h.AStates
	n := 0
	for b.Loop() {
		mach.Add(ab, nil)
		mach.Add1("D", nil)
		mach.Remove(acd, nil)
		n++
	}
	if got := h.AStates - start; got != n {
		b.Fatalf("AState ran %d times in %d ops", got, n)
	}
}
