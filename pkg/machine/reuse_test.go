package machine_test

import (
	"context"
	"slices"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// borrower keeps clones of what it sees, as the TransitionBorrower
// contract asks, and the pointers, to see whether records are reused.
type borrower struct {
	am.NoOpTracer
	clones []*am.Transition
	ptrs   []*am.Transition
}

func (b *borrower) BorrowsTransitions() bool { return true }

func (b *borrower) TransitionEnd(tx *am.Transition) {
	b.clones = append(b.clones, tx.Clone())
	b.ptrs = append(b.ptrs, tx)
}

// keeper keeps the records themselves.
type keeper struct {
	am.NoOpTracer
	txs []*am.Transition
}

func (k *keeper) TransitionEnd(tx *am.Transition) { k.txs = append(k.txs, tx) }

func TestTransitionReuse(t *testing.T) {
	b := &borrower{}
	mach, err := am.New(context.Background(), abcde(am.Schema{"B": {Add: am.S{"C"}}}), &am.Opts{Tracers: []am.Tracer{b}})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	mach.Add1("A", nil)
	mach.Add1("B", nil)
	mach.Remove1("A", nil)
	if b.ptrs[0] != b.ptrs[1] || b.ptrs[1] != b.ptrs[2] {
		t.Error("with only borrowers bound, the machine does not reuse its record")
	}
	// the clones kept what each transition was
	want := [][]string{{"A requested"}, {"B requested", "C added by B (Add)"}, {"A requested"}}
	for i, tx := range b.clones {
		if got := describe(tx); !slices.Equal(got, want[i]) || tx.ID != uint64(i+1) {
			t.Errorf("clone %d: ID %d, steps %q, want %q", i, tx.ID, got, want[i])
		}
	}
	if got := b.clones[1]; !got.IsActivated(mach.Index1("C")) || got.TimeAfter[mach.Index1("A")] != 1 {
		t.Errorf("clone 1 clocks: before %v, after %v", got.TimeBefore, got.TimeAfter)
	}

	// a tracer that keeps records turns reuse off for as long as it is bound
	k := &keeper{}
	if err := mach.BindTracer(k); err != nil {
		t.Fatal(err)
	}
	mach.Add1("D", nil)
	mach.Add1("E", nil)
	if k.txs[0] == k.txs[1] || describe(k.txs[0])[0] != "D requested" {
		t.Error("a tracer that keeps records got a reused one")
	}
	if err := mach.DetachTracer(k); err != nil {
		t.Fatal(err)
	}
	mach.Remove1("D", nil)
	mach.Remove1("E", nil)
	if n := len(b.ptrs); b.ptrs[n-1] != b.ptrs[n-2] {
		t.Error("reuse did not resume once the keeper was detached")
	}
}

// The source of an Ev* mutation is the handler's transition, even when the
// mutation is made after the record was reused.
func TestEventSourceAfterReuse(t *testing.T) {
	b := &borrower{}
	mach, err := am.New(context.Background(), abcde(nil), &am.Opts{ID: "src", Tracers: []am.Tracer{b}})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	started := make(chan *am.Event, 1)
	if err := mach.BindHandlers(&keepEvent{started: started}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	e := <-started
	mach.Add1("C", nil) // reuses the record A's handler saw
	mach.EvAdd1(e, "B", nil)
	last := b.clones[len(b.clones)-1]
	if src := last.Mutation.Source; src.MachineID != "src" || src.TxID != 1 {
		t.Errorf("source = %+v, want transition 1 of src", src)
	}
}

type keepEvent struct{ started chan *am.Event }

func (h *keepEvent) AState(e *am.Event) { h.started <- e }

// Machines of identical schemas share one compiled schema; a schema that
// differs in anything, tags and index order included, is compiled apart.
func TestSharedSchemas(t *testing.T) {
	base := func() am.Schema { return am.Schema{"A": {Tags: []string{"x"}}, "B": {Require: am.S{"A"}}} }
	variants := []struct {
		name   string
		schema am.Schema
		order  am.S
	}{
		{"same", base(), nil},
		{"tags", am.Schema{"A": {Tags: []string{"y"}}, "B": {Require: am.S{"A"}}}, nil},
		{"relation", am.Schema{"A": {Tags: []string{"x"}}, "B": {}}, nil},
		{"order", base(), am.S{"B", "A"}},
	}
	for _, v := range variants {
		first, _ := newMach(t, base(), nil)
		second, _ := newMach(t, v.schema, &am.Opts{Order: v.order})
		if got, want := second.Schema(), v.schema; got["A"].Tags[0] != want["A"].Tags[0] || len(got["B"].Require) != len(want["B"].Require) {
			t.Errorf("%s: Schema() = %v, want %v", v.name, got, want)
		}
		wantOrder := am.S{am.Exception, "A", "B"}
		if v.order != nil {
			wantOrder = am.S{am.Exception, "B", "A"}
		}
		if got := second.StateNames(); !slices.Equal(got, wantOrder) {
			t.Errorf("%s: StateNames() = %v", v.name, got)
		}
		// the machines share nothing mutable
		first.Add1("A", nil)
		if second.Is1("A") {
			t.Errorf("%s: A is active on the second machine", v.name)
		}
	}
}
