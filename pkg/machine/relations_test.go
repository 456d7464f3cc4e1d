package machine_test

import (
	"errors"
	"slices"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// op is one mutation of a test case.
type op struct {
	typ    am.MutationType
	states am.S
}

func add(states ...string) op { return op{am.MutationAdd, states} }
func rm(states ...string) op  { return op{am.MutationRemove, states} }
func set(states ...string) op { return op{am.MutationSet, states} }

func (o op) apply(m *am.Machine) am.Result {
	switch o.typ {
	case am.MutationRemove:
		return m.Remove(o.states, nil)
	case am.MutationSet:
		return m.Set(o.states, nil)
	}
	return m.Add(o.states, nil)
}

// relationCase runs setup, then op, on a machine with states A to E and the
// recorder's handlers bound. It asserts the result, the cancel reason, the
// steps of op's transition (as [am.Step.Describe] texts), the handlers that
// ran, the active states and clocks afterwards, and the steps of an auto
// transition that followed.
type relationCase struct {
	name   string
	schema am.Schema
	deny   []string
	panics []string
	setup  []op
	op     op

	want       am.Result
	wantErr    error
	wantSteps  []string
	wantCalls  []string
	wantActive am.S
	wantTicks  am.Clock
	wantNext   []string
}

func TestRelations(t *testing.T) {
	cases := []relationCase{{
		name:       "add activates the called state",
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState"},
		wantActive: am.S{"A"},
		wantTicks:  am.Clock{"A": 1},
	}, {
		name:   "Add is transitive",
		schema: am.Schema{"A": {Add: am.S{"B"}}, "B": {Add: am.S{"C"}}},
		op:     add("A"),
		want:   am.Executed,
		wantSteps: []string{"A requested", "B added by A (Add)", "C added by B (Add)",
			"AEnter ran", "BEnter ran", "CEnter ran", "AState ran", "BState ran", "CState ran"},
		wantCalls:  []string{"AEnter", "BEnter", "CEnter", "AState", "BState", "CState"},
		wantActive: am.S{"A", "B", "C"},
	}, {
		name:       "Remove deactivates an active state",
		schema:     am.Schema{"A": {Remove: am.S{"B"}}},
		setup:      []op{add("B")},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "B removed by A (Remove)", "BExit ran", "AEnter ran", "BEnd ran", "AState ran"},
		wantCalls:  []string{"BExit", "AEnter", "BEnd", "AState"},
		wantActive: am.S{"A"},
		wantTicks:  am.Clock{"A": 1, "B": 2},
	}, {
		name:       "a called state beats the active state that removes it",
		schema:     am.Schema{"B": {Remove: am.S{"A"}}},
		setup:      []op{add("B")},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "B removed by A (Remove)", "BExit ran", "AEnter ran", "BEnd ran", "AState ran"},
		wantCalls:  []string{"BExit", "AEnter", "BEnd", "AState"},
		wantActive: am.S{"A"},
	}, {
		name:       "two called states that remove each other cancel",
		schema:     am.Schema{"A": {Remove: am.S{"B"}}},
		op:         add("A", "B"),
		want:       am.Canceled,
		wantErr:    am.ErrConflict,
		wantSteps:  []string{"A requested", "B requested", "canceled: called states A and B conflict (Remove)"},
		wantActive: am.S{},
	}, {
		name:   "an implied state beats an active one",
		schema: am.Schema{"A": {Add: am.S{"C"}}, "B": {Remove: am.S{"C"}}},
		setup:  []op{add("B")},
		op:     add("A"),
		want:   am.Executed,
		wantSteps: []string{"A requested", "C added by A (Add)", "B removed by C (Remove)",
			"BExit ran", "AEnter ran", "CEnter ran", "BEnd ran", "AState ran", "CState ran"},
		wantCalls:  []string{"BExit", "AEnter", "CEnter", "BEnd", "AState", "CState"},
		wantActive: am.S{"A", "C"},
	}, {
		name:   "an implied state loses to a called one, with what it implied",
		schema: am.Schema{"A": {Add: am.S{"C"}}, "C": {Add: am.S{"D"}}, "B": {Remove: am.S{"C"}}},
		op:     add("A", "B"),
		want:   am.Executed,
		wantSteps: []string{"A requested", "B requested", "C removed by B (Remove)",
			"AEnter ran", "BEnter ran", "AState ran", "BState ran"},
		wantCalls:  []string{"AEnter", "BEnter", "AState", "BState"},
		wantActive: am.S{"A", "B"},
	}, {
		name:   "between two implied states the one declaring Remove wins",
		schema: am.Schema{"E": {Add: am.S{"A", "B"}}, "A": {Remove: am.S{"B"}}},
		op:     add("E"),
		want:   am.Executed,
		wantSteps: []string{"E requested", "B removed by A (Remove)", "A added by E (Add)",
			"AEnter ran", "EEnter ran", "AState ran", "EState ran"},
		wantCalls:  []string{"AEnter", "EEnter", "AState", "EState"},
		wantActive: am.S{"A", "E"},
	}, {
		name:       "Require holds",
		schema:     am.Schema{"B": {Require: am.S{"A"}}},
		setup:      []op{add("A")},
		op:         add("B"),
		want:       am.Executed,
		wantSteps:  []string{"B requested", "BEnter ran", "BState ran"},
		wantCalls:  []string{"BEnter", "BState"},
		wantActive: am.S{"A", "B"},
	}, {
		name:       "a called state without its requirement cancels the whole mutation",
		schema:     am.Schema{"B": {Require: am.S{"A"}}},
		op:         add("B", "C"),
		want:       am.Canceled,
		wantErr:    am.ErrRequirement,
		wantSteps:  []string{"B requested", "C requested", "canceled: B requires A, which cannot be active"},
		wantActive: am.S{},
	}, {
		name:       "an implied state without its requirement is dropped",
		schema:     am.Schema{"A": {Add: am.S{"B"}}, "B": {Require: am.S{"C"}}},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "B dropped: requires C, which cannot be active", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState"},
		wantActive: am.S{"A"},
	}, {
		name:   "removing a requirement removes the states that need it",
		schema: am.Schema{"B": {Require: am.S{"A"}}},
		setup:  []op{add("A"), add("B")},
		op:     rm("A"),
		want:   am.Executed,
		wantSteps: []string{"A requested", "B removed: requires A, which is going away",
			"AExit ran", "BExit ran", "AEnd ran", "BEnd ran"},
		wantCalls:  []string{"AExit", "BExit", "AEnd", "BEnd"},
		wantActive: am.S{},
		wantTicks:  am.Clock{"A": 2, "B": 2},
	}, {
		name:   "a requirement lost to Remove takes its dependants along",
		schema: am.Schema{"B": {Require: am.S{"A"}}, "C": {Remove: am.S{"A"}}},
		setup:  []op{add("A"), add("B")},
		op:     add("C"),
		want:   am.Executed,
		wantSteps: []string{"C requested", "A removed by C (Remove)", "B removed: requires A, which is going away",
			"AExit ran", "BExit ran", "CEnter ran", "AEnd ran", "BEnd ran", "CState ran"},
		wantCalls:  []string{"AExit", "BExit", "CEnter", "AEnd", "BEnd", "CState"},
		wantActive: am.S{"C"},
	}, {
		name:       "Set replaces the active states",
		setup:      []op{add("A", "B")},
		op:         set("B", "C"),
		want:       am.Executed,
		wantSteps:  []string{"B requested", "C requested", "AExit ran", "CEnter ran", "AEnd ran", "CState ran"},
		wantCalls:  []string{"AExit", "CEnter", "AEnd", "CState"},
		wantActive: am.S{"B", "C"},
		wantTicks:  am.Clock{"A": 2, "B": 1, "C": 1},
	}, {
		name:       "After orders handlers",
		schema:     am.Schema{"A": {After: am.S{"B"}}},
		op:         add("A", "B"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "B requested", "BEnter ran", "AEnter ran", "BState ran", "AState ran"},
		wantCalls:  []string{"BEnter", "AEnter", "BState", "AState"},
		wantActive: am.S{"A", "B"},
	}, {
		name:       "adding an active Multi state re-activates it",
		schema:     am.Schema{"A": {Multi: true}},
		setup:      []op{add("A")},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState"},
		wantActive: am.S{"A"},
		wantTicks:  am.Clock{"A": 3},
	}, {
		name:       "adding an active state changes nothing",
		setup:      []op{add("A")},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested"},
		wantActive: am.S{"A"},
		wantTicks:  am.Clock{"A": 1},
	}, {
		name:       "removing an inactive state changes nothing",
		op:         rm("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested"},
		wantActive: am.S{},
		wantTicks:  am.Clock{"A": 0},
	}, {
		name:       "Auto activates in a follow-up transition",
		schema:     am.Schema{"C": {Auto: true, Require: am.S{"A"}}},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState", "CEnter", "CState"},
		wantActive: am.S{"A", "C"},
		wantNext:   []string{"C requested", "CEnter ran", "CState ran"},
	}, {
		name:       "Auto does not displace an active state",
		schema:     am.Schema{"C": {Auto: true, Remove: am.S{"B"}}},
		setup:      []op{add("B")},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState"},
		wantActive: am.S{"A", "B"},
	}, {
		// C, implied by the auto state E, would remove A: C is dropped,
		// E and the rest of what it implies still activate
		name: "Auto does not displace an active state through what it implies",
		schema: am.Schema{
			"C": {Remove: am.S{"A"}},
			"D": {Require: am.S{"E"}},
			"E": {Auto: true, Require: am.S{"A"}, Add: am.S{"C", "D"}},
		},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran"},
		wantCalls:  []string{"AEnter", "AState", "DEnter", "EEnter", "DState", "EState"},
		wantActive: am.S{"A", "D", "E"},
		wantNext:   []string{"E requested", "C removed by A (Remove)", "D added by E (Add)", "DEnter ran", "EEnter ran", "DState ran", "EState ran"},
	}, {
		name:       "an Enter handler returning false cancels",
		deny:       []string{"AEnter"},
		op:         add("A"),
		want:       am.Canceled,
		wantErr:    am.ErrHandlerCanceled,
		wantSteps:  []string{"A requested", "AEnter ran", "canceled by AEnter"},
		wantCalls:  []string{"AEnter"},
		wantActive: am.S{},
		wantTicks:  am.Clock{"A": 0},
	}, {
		name:       "an Exit handler returning false cancels",
		deny:       []string{"AExit"},
		setup:      []op{add("A")},
		op:         rm("A"),
		want:       am.Canceled,
		wantErr:    am.ErrHandlerCanceled,
		wantSteps:  []string{"A requested", "AExit ran", "canceled by AExit"},
		wantCalls:  []string{"AExit"},
		wantActive: am.S{"A"},
	}, {
		name:       "a panic in negotiation cancels",
		panics:     []string{"BEnter"},
		op:         add("A", "B"),
		want:       am.Canceled,
		wantErr:    am.ErrHandlerPanic,
		wantSteps:  []string{"A requested", "B requested", "AEnter ran", "BEnter ran", "BEnter panicked"},
		wantCalls:  []string{"AEnter", "BEnter"},
		wantActive: am.S{},
	}, {
		name:       "a panic in a final handler adds Exception",
		panics:     []string{"AState"},
		op:         add("A"),
		want:       am.Executed,
		wantSteps:  []string{"A requested", "AEnter ran", "AState ran", "AState panicked"},
		wantCalls:  []string{"AEnter", "AState"},
		wantActive: am.S{am.Exception, "A"},
		wantTicks:  am.Clock{am.Exception: 1},
		wantNext:   []string{"Exception requested"},
	}, {
		name:       "an unknown state cancels",
		op:         add("A", "Nope"),
		want:       am.Canceled,
		wantErr:    am.ErrUnknownState,
		wantActive: am.S{},
	}}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRelationCase(t, tc) })
	}
}

func runRelationCase(t *testing.T, tc relationCase) {
	schema := abcde(tc.schema)
	mach, inv := newMach(t, schema, nil)
	rec := &recorder{deny: map[string]bool{}, panics: map[string]bool{}}
	for _, h := range tc.deny {
		rec.deny[h] = true
	}
	for _, h := range tc.panics {
		rec.panics[h] = true
	}
	if err := mach.BindHandlers(rec); err != nil {
		t.Fatal(err)
	}
	for _, o := range tc.setup {
		if res := o.apply(mach); res != am.Executed {
			t.Fatalf("setup %v: %v, last cancel %v", o, res, mach.LastCancel())
		}
	}
	rec.take()
	first := len(inv.all())

	if got := tc.op.apply(mach); got != tc.want {
		t.Errorf("result = %v, want %v (last cancel: %v)", got, tc.want, mach.LastCancel())
	}
	txs := inv.all()[first:]
	if len(txs) == 0 {
		t.Fatal("no transition reached the tracer")
	}
	tx := txs[0]
	if tc.wantErr != nil {
		if !errors.Is(tx.Err, tc.wantErr) || !errors.Is(mach.LastCancel(), tc.wantErr) {
			t.Errorf("tx.Err = %v, LastCancel = %v, want %v", tx.Err, mach.LastCancel(), tc.wantErr)
		}
	} else if tx.Err != nil {
		t.Errorf("tx.Err = %v, want nil", tx.Err)
	}
	if got := describe(tx); !slices.Equal(got, tc.wantSteps) {
		t.Errorf("steps:\n got  %q\n want %q", got, tc.wantSteps)
	}
	if got := rec.take(); !slices.Equal(got, tc.wantCalls) {
		t.Errorf("handlers:\n got  %q\n want %q", got, tc.wantCalls)
	}
	if got := mach.ActiveStates(); !slices.Equal(got, tc.wantActive) && (len(got) > 0 || len(tc.wantActive) > 0) {
		t.Errorf("active = %q, want %q", got, tc.wantActive)
	}
	for state, tick := range tc.wantTicks {
		if got := mach.Tick(state); got != tick {
			t.Errorf("tick of %s = %d, want %d", state, got, tick)
		}
	}
	var next []string
	if len(txs) > 1 {
		next = describe(txs[1])
	}
	if !slices.Equal(next, tc.wantNext) {
		t.Errorf("next transition's steps:\n got  %q\n want %q", next, tc.wantNext)
	}
}

func describe(tx *am.Transition) []string {
	var out []string
	for _, s := range tx.Steps {
		out = append(out, s.Describe(tx.StateNames()))
	}
	return out
}
