package machine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// can runs the dry run matching o.
func (o op) can(m *am.Machine) am.Result {
	switch o.typ {
	case am.MutationRemove:
		return m.CanRemove(o.states, nil)
	case am.MutationSet:
		return m.CanSet(o.states, nil)
	}
	return m.CanAdd(o.states, nil)
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		schema  am.Schema
		setup   []op
		check   op
		want    am.Result
		wantErr error
		// wantSteps are the check's steps; the real mutation must match
		// them whenever it is not vetoed by a handler
		wantSteps []string
	}{{
		name:      "an add the relations accept",
		schema:    am.Schema{"B": {Add: am.S{"C"}}},
		check:     add("B"),
		want:      am.Executed,
		wantSteps: []string{"B requested", "C added by B (Add)"},
	}, {
		name:      "called states that remove each other",
		schema:    am.Schema{"A": {Remove: am.S{"B"}}},
		check:     add("A", "B"),
		want:      am.Canceled,
		wantErr:   am.ErrConflict,
		wantSteps: []string{"A requested", "B requested", "canceled: called states A and B conflict (Remove)"},
	}, {
		name:      "a missing requirement",
		schema:    am.Schema{"A": {Require: am.S{"B"}}},
		check:     add("A"),
		want:      am.Canceled,
		wantErr:   am.ErrRequirement,
		wantSteps: []string{"A requested", "canceled: A requires B, which cannot be active"},
	}, {
		name:    "an unknown state",
		check:   add("A", "Nope"),
		want:    am.Canceled,
		wantErr: am.ErrUnknownState,
	}, {
		name:      "a remove takes dependants along",
		schema:    am.Schema{"B": {Require: am.S{"A"}}},
		setup:     []op{add("A", "B")},
		check:     rm("A"),
		want:      am.Executed,
		wantSteps: []string{"A requested", "B removed: requires A, which is going away"},
	}, {
		name:      "a set",
		setup:     []op{add("A")},
		check:     set("B"),
		want:      am.Executed,
		wantSteps: []string{"B requested"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := abcde(tc.schema)
			log := &hookLog{id: "log"}
			mach, inv := newMach(t, schema, &am.Opts{Tracers: []am.Tracer{log}})
			rec := &recorder{}
			if err := mach.BindHandlers(rec); err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.setup {
				if res := o.apply(mach); res != am.Executed {
					t.Fatalf("setup %v: %v", o, res)
				}
			}
			rec.take()
			log.take()
			before, seen := mach.Time(nil), len(inv.all())

			if got := tc.check.can(mach); got != tc.want {
				t.Errorf("Can: %v, want %v", got, tc.want)
			}
			if err := mach.Check(tc.check.typ, tc.check.states, nil); !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("Check: %v, want %v", err, tc.wantErr)
			}
			if got := mach.Time(nil); !slices.Equal(got, before) {
				t.Errorf("clocks moved: %v, was %v", got, before)
			}
			if calls := rec.take(); len(calls) > 0 {
				t.Errorf("handlers ran: %q", calls)
			}
			if err := mach.LastCancel(); err != nil {
				t.Errorf("LastCancel = %v after checks only", err)
			}
			txs := inv.all()[seen:]
			if len(txs) != 2 {
				t.Fatalf("tracer saw %d records for 2 checks", len(txs))
			}
			tx := txs[0]
			if !tx.CheckOnly || !tx.OffQueue() || tx.ID != 0 || tx.Accepted != (tc.want == am.Executed) || !errors.Is(tx.Err, tc.wantErr) {
				t.Errorf("record: CheckOnly=%v ID=%d Accepted=%v Err=%v", tx.CheckOnly, tx.ID, tx.Accepted, tx.Err)
			}
			if got := describe(tx); !slices.Equal(got, tc.wantSteps) {
				t.Errorf("steps:\n got  %q\n want %q", got, tc.wantSteps)
			}
			for _, line := range log.take() {
				if !strings.HasPrefix(line, "tx-init 0 ") && !strings.HasPrefix(line, "tx-end 0 ") {
					t.Errorf("a check reached hook %q", line)
				}
			}

			// the real mutation decides like the check
			if got := tc.check.apply(mach); got != tc.want {
				t.Errorf("mutation after the check: %v, want %v", got, tc.want)
			}
			if real := inv.all()[seen+2]; !slices.Equal(describe(real)[:len(tc.wantSteps)], tc.wantSteps) {
				t.Errorf("mutation's steps %q do not start with the check's", describe(real))
			}
		})
	}
}

// A check on a disposed machine says so, and reaches no tracer: they have
// seen MachineDispose already.
func TestCheckDisposed(t *testing.T) {
	log := &hookLog{id: "log"}
	mach, err := am.New(context.Background(), abcde(nil), &am.Opts{Tracers: []am.Tracer{log}})
	if err != nil {
		t.Fatal(err)
	}
	mach.Dispose()
	<-mach.WhenDisposed()
	log.take()
	if got := mach.CanAdd1("A", nil); got != am.Canceled {
		t.Errorf("CanAdd1 = %v", got)
	}
	if err := mach.Check(am.MutationAdd, am.S{"A"}, nil); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("Check = %v", err)
	}
	if lines := log.take(); len(lines) > 0 {
		t.Errorf("tracer got %q", lines)
	}
}

// A check made by a handler sees the clocks before the running transition
// commits, and neither queues nor waits.
func TestCheckFromHandler(t *testing.T) {
	mach, _ := newMach(t, abcde(am.Schema{"B": {Require: am.S{"A"}}}), nil)
	var got []am.Result
	if err := mach.BindHandlers(&checkInEnter{got: &got}); err != nil {
		t.Fatal(err)
	}
	if res := mach.Add1("A", nil); res != am.Executed {
		t.Fatal(res)
	}
	if want := []am.Result{am.Canceled, am.Executed}; !slices.Equal(got, want) {
		t.Errorf("CanAdd1(B) in AEnter, AState: %v, want %v", got, want)
	}
	if n := mach.QueueLen(); n != 0 {
		t.Errorf("queue holds %d entries", n)
	}
}

type checkInEnter struct{ got *[]am.Result }

func (h *checkInEnter) AEnter(e *am.Event) bool {
	*h.got = append(*h.got, e.Machine.CanAdd1("B", nil))
	return true
}

func (h *checkInEnter) AState(e *am.Event) {
	*h.got = append(*h.got, e.Machine.CanAdd1("B", nil))
}
