package machine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// recorder has every handler of states A to E. It records calls in order,
// returns false from the negotiation handlers listed in deny, and panics in
// those listed in panics.
type recorder struct {
	mu     sync.Mutex
	calls  []string
	deny   map[string]bool
	panics map[string]bool
}

func (r *recorder) rec(name string) bool {
	r.mu.Lock()
	r.calls = append(r.calls, name)
	deny, panics := r.deny[name], r.panics[name]
	r.mu.Unlock()
	if panics {
		panic("boom in " + name)
	}
	return !deny
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

func (r *recorder) AEnter(*am.Event) bool { return r.rec("AEnter") }
func (r *recorder) AExit(*am.Event) bool  { return r.rec("AExit") }
func (r *recorder) AState(*am.Event)      { r.rec("AState") }
func (r *recorder) AEnd(*am.Event)        { r.rec("AEnd") }
func (r *recorder) BEnter(*am.Event) bool { return r.rec("BEnter") }
func (r *recorder) BExit(*am.Event) bool  { return r.rec("BExit") }
func (r *recorder) BState(*am.Event)      { r.rec("BState") }
func (r *recorder) BEnd(*am.Event)        { r.rec("BEnd") }
func (r *recorder) CEnter(*am.Event) bool { return r.rec("CEnter") }
func (r *recorder) CExit(*am.Event) bool  { return r.rec("CExit") }
func (r *recorder) CState(*am.Event)      { r.rec("CState") }
func (r *recorder) CEnd(*am.Event)        { r.rec("CEnd") }
func (r *recorder) DEnter(*am.Event) bool { return r.rec("DEnter") }
func (r *recorder) DExit(*am.Event) bool  { return r.rec("DExit") }
func (r *recorder) DState(*am.Event)      { r.rec("DState") }
func (r *recorder) DEnd(*am.Event)        { r.rec("DEnd") }
func (r *recorder) EEnter(*am.Event) bool { return r.rec("EEnter") }
func (r *recorder) EExit(*am.Event) bool  { return r.rec("EExit") }
func (r *recorder) EState(*am.Event)      { r.rec("EState") }
func (r *recorder) EEnd(*am.Event)        { r.rec("EEnd") }

// abcde returns a schema with states A to E, with the given definitions
// overriding the empty default.
func abcde(defs am.Schema) am.Schema {
	s := am.Schema{"A": {}, "B": {}, "C": {}, "D": {}, "E": {}}
	for name, st := range defs {
		s[name] = st
	}
	return s
}

// invariants is a tracer that checks the machine's invariants after every
// transition and keeps the transitions it saw.
type invariants struct {
	am.NoOpTracer
	t      testing.TB
	schema am.Schema
	// borrow makes it a [am.TransitionBorrower] keeping clones, so that
	// the machine reuses one record for all its transitions
	borrow bool
	// last is the record of the previous TransitionEnd, and reused counts
	// the records seen twice in a row
	last    *am.Transition
	reused  int
	mu      sync.Mutex
	txs     []*am.Transition
	running atomic.Int32
	finals  int // final handlers run by the current transition
}

func newInvariants(t testing.TB, schema am.Schema) *invariants {
	return &invariants{t: t, schema: schema}
}

// BorrowsTransitions tells whether the machine may reuse its records.
func (v *invariants) BorrowsTransitions() bool { return v.borrow }

// TransitionInit starts counting final handlers. Records that never ran on
// the queue can arrive from other goroutines in the middle of a transition,
// and have no handlers.
func (v *invariants) TransitionInit(tx *am.Transition) {
	if !tx.OffQueue() {
		v.finals = 0
	}
}

func (v *invariants) HandlerStart(tx *am.Transition, handler string) {
	if v.running.Add(1) != 1 {
		v.t.Errorf("tx %d: handler %s runs concurrently with another", tx.ID, handler)
	}
	if isFinal(handler) {
		v.finals++
	}
}

func (v *invariants) HandlerEnd(*am.Transition, string) { v.running.Add(-1) }

func isFinal(handler string) bool {
	n := len(handler)
	return n > 5 && handler[n-5:] == "State" || n > 3 && handler[n-3:] == "End"
}

func (v *invariants) TransitionEnd(tx *am.Transition) {
	kept := tx
	if v.borrow {
		kept = tx.Clone()
	}
	v.mu.Lock()
	v.txs = append(v.txs, kept)
	if tx == v.last {
		v.reused++
	}
	v.last = tx
	v.mu.Unlock()
	if err := checkInvariants(v.schema, tx); err != nil {
		v.t.Errorf("tx %d %s: %v", tx.ID, tx, err)
	}
	if !tx.Accepted && !tx.OffQueue() && v.finals > 0 {
		v.t.Errorf("tx %d %s: canceled but ran %d final handlers", tx.ID, tx, v.finals)
	}
}

// all returns the transitions seen so far.
func (v *invariants) all() []*am.Transition {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.txs)
}

// checkInvariants checks what machine.md requires after every transition.
func checkInvariants(schema am.Schema, tx *am.Transition) error {
	names := tx.StateNames()
	active := map[string]bool{}
	for i, name := range names {
		if tx.TimeAfter[i] < tx.TimeBefore[i] {
			return fmt.Errorf("clock of %s went back from %d to %d", name, tx.TimeBefore[i], tx.TimeAfter[i])
		}
		if !tx.Accepted && tx.TimeAfter[i] != tx.TimeBefore[i] {
			return fmt.Errorf("canceled, but clock of %s moved", name)
		}
		active[name] = tx.TimeAfter[i]%2 == 1
	}
	for name, st := range schema {
		if !active[name] {
			continue
		}
		for _, req := range st.Require {
			if !active[req] {
				return fmt.Errorf("%s is active without its requirement %s", name, req)
			}
		}
		for _, rm := range st.Remove {
			if active[rm] {
				return fmt.Errorf("%s is active together with %s, which it removes", name, rm)
			}
		}
	}
	return nil
}

// newMach creates a machine with the invariants tracer bound, failing the
// test on error, and disposes it when the test ends.
func newMach(t testing.TB, schema am.Schema, opts *am.Opts) (*am.Machine, *invariants) {
	t.Helper()
	if opts == nil {
		opts = &am.Opts{}
	}
	inv := newInvariants(t, schema)
	opts.Tracers = append(opts.Tracers, inv)
	mach, err := am.New(context.Background(), schema, opts)
	if err != nil {
		t.Fatalf("new machine: %v", err)
	}
	t.Cleanup(mach.Dispose)
	return mach, inv
}
