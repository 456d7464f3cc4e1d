// Package machtest holds the machine workload that benchmarks share, so the
// machine's own benchmark and every exporter's benchmark measure the same op
// and their figures can be compared as ratios.
package machtest

import (
	"context"
	"slices"
	"testing"
	"time"

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

// Op is one op of [RunMutationsOp], for benchmarks and tests that drive
// or time ops themselves.
func Op(mach *am.Machine) {
	mach.Add(am.S{"A", "B"}, nil)
	mach.Add1("D", nil)
	mach.Remove(am.S{"A", "C", "D"}, nil)
}

// RunMutationsAdded measures what measured, a machine of the op with a
// tracer bound, adds per transition to plain, the same machine without
// it, on a machine shared with other work. In a b.Loop it times one op
// of each in turns, so that changes in load hit both alike, and reports
// the medians, which preemptions do not move: base-ns/transition for
// plain, added-ns/transition for the difference.
func RunMutationsAdded(b *testing.B, plain, measured *am.Machine) {
	b.Helper()
	var base, with []time.Duration
	for b.Loop() {
		first, second := plain, measured
		if len(base)%2 == 1 {
			first, second = measured, plain
		}
		t0 := time.Now()
		Op(first)
		t1 := time.Now()
		Op(second)
		t2 := time.Now()
		if first == plain {
			base, with = append(base, t1.Sub(t0)), append(with, t2.Sub(t1))
		} else {
			with, base = append(with, t1.Sub(t0)), append(base, t2.Sub(t1))
		}
	}
	mb, mw := median(base), median(with)
	b.ReportMetric(float64(mb)/TransitionsPerOp, "base-ns/transition")
	b.ReportMetric(float64(mw-mb)/TransitionsPerOp, "added-ns/transition")
}

// median returns the median of d, which it sorts.
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
