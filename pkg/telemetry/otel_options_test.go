package amtele_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// dropLines removes the lines of a rendered tree whose text (without
// indentation) is one of names.
func dropLines(tree string, names ...string) string {
	var out []string
	for line := range strings.SplitSeq(tree, "\n") {
		if !slices.Contains(names, strings.TrimSpace(line)) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestOtelMachTracerOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts amtele.OtelMachTracerOpts
		want string
		// dropped counts the spans started at TransitionInit and never
		// ended, because a filter decided on the outcome
		dropped int
	}{
		{
			name: "SkipTransitions",
			opts: amtele.OtelMachTracerOpts{SkipTransitions: true},
			want: `
mach:wf-root
  states
    Exception
      Exception !boom
    Ready
      Ready
    Start
      Start
  submachines
    mach:wf-child
      states
        Fetch
          Fetch
        Fetched
          Fetched
`,
		},
		{
			name: "SkipHandlers",
			opts: amtele.OtelMachTracerOpts{SkipHandlers: true},
			want: dropLines(workflowTree, "StartEnter", "StartState", "ReadyState", "VetoEnter", "FetchState", "FetchedEnter"),
		},
		{
			name:    "SkipCanceled",
			opts:    amtele.OtelMachTracerOpts{SkipCanceled: true},
			want:    dropLines(workflowTree, "[add] Veto", "VetoEnter", `[add] !add [Nope]: unknown state "Nope"`),
			dropped: 2,
		},
		{
			name: "SkipState",
			opts: amtele.OtelMachTracerOpts{SkipState: func(m *am.Machine, state string) bool {
				return m.ID() == "wf-root" && state == "Ready"
			}},
			want: dropLines(workflowTree, "Ready", "[add] Ready", "ReadyState"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tracer, rec := recorded(t, &tc.opts)
			newWorkflow(t, tracer).run(t)
			if got := newSpanTree(rec.Ended()).render(); got != tc.want {
				t.Errorf("span tree:%s\nwant:%s", got, tc.want)
			}
			// filters that need no outcome decide before a span starts;
			// the others drop it by never ending it, so it is not exported
			if started, ended := len(rec.Started()), len(rec.Ended()); started-ended != tc.dropped {
				t.Errorf("%d spans started, %d ended, want %d never ended", started, ended, tc.dropped)
			}
		})
	}
}

// TestOtelMachTracerSkipStateClocks checks that a skipped state's clock is
// left out of the transitions that touch it.
func TestOtelMachTracerSkipStateClocks(t *testing.T) {
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{
		SkipState: func(_ *am.Machine, state string) bool { return state == "Ready" },
	})
	newWorkflow(t, tracer).run(t)
	wantAttrs(t, newSpanTree(rec.Ended()).one(t, "[remove] Start"), map[attribute.Key]string{
		amtele.AttrClocks: "Start=2",
	})
}

// SkipGroups leaves out the states of a machine's named groups, and of no
// machine without them.
func TestOtelMachTracerSkipGroups(t *testing.T) {
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{SkipState: amtele.SkipGroups("noise")})
	schema := am.Schema{"Ready": {}, "Tick": {Multi: true}, "Beat": {Multi: true}}
	grouped := newMachine(t, schema, &am.Opts{ID: "grouped", Tracers: []am.Tracer{tracer},
		Groups: map[string]am.S{"noise": {"Tick", "Beat"}, "work": {"Ready"}}})
	plain := newMachine(t, schema, &am.Opts{ID: "plain", Tracers: []am.Tracer{tracer}})
	for _, m := range []*am.Machine{grouped, plain} {
		m.Add1("Ready", nil)
		m.Add1("Tick", nil)
		m.Add1("Beat", nil)
		m.Dispose()
		<-m.WhenDisposed()
	}
	tree := newSpanTree(rec.Ended())
	for name, want := range map[string]int{
		// the plain machine's only: a state's span and its activation's
		"Tick": 2, "Beat": 2, "[add] Tick": 1, "[add] Beat": 1,
		// both machines'
		"Ready": 4, "[add] Ready": 2,
	} {
		if got := len(tree.find(name)); got != want {
			t.Errorf("%d %q spans, want %d:%s", got, name, want, tree.render())
		}
	}
}

func TestOtelMachTracerSkipEmpty(t *testing.T) {
	for _, skip := range []bool{false, true} {
		tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{SkipEmpty: skip})
		mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
		mach.Add1("Foo", nil)
		// Foo is active: this transition is accepted but changes nothing
		mach.Add1("Foo", nil)
		want := 2
		if skip {
			want = 1
		}
		if got := len(newSpanTree(rec.Ended()).find("[add] Foo")); got != want {
			t.Errorf("SkipEmpty=%v: %d [add] Foo spans, want %d", skip, got, want)
		}
	}
}

// newMachine creates a machine disposed at the end of the test.
func newMachine(t testing.TB, schema am.Schema, opts *am.Opts) *am.Machine {
	t.Helper()
	mach, err := am.New(context.Background(), schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	return mach
}

func TestOtelMachTracerStableNames(t *testing.T) {
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{StableNames: true})
	newWorkflow(t, tracer).run(t)
	want := `
mach
  states
    Exception
      Exception !boom
    Ready
      Ready
    Start
      Start
  submachines
    mach
      states
        Fetch
          Fetch
        Fetched
          Fetched
      transitions
        [add]
          FetchState
        [add]
          FetchedEnter
  transitions
    [add]
      StartEnter
      StartState
    [add]
      ReadyState
    [add]
      VetoEnter
    [add] !add [Nope]: unknown state "Nope"
    [add] !boom
    [remove]
`
	st := newSpanTree(rec.Ended())
	if got := st.render(); got != want {
		t.Errorf("span tree:%s\nwant:%s", got, want)
	}
	for _, s := range st.find("[add]") {
		if attrs(s)[string(amtele.AttrCalled)] == "" || attrs(s)[string(amtele.AttrMachineID)] == "" {
			t.Errorf("[add] span without the called states or machine ID: %v", attrs(s))
		}
	}
}
