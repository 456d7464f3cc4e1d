package machine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func TestNewRejectsBadSchemas(t *testing.T) {
	cases := []struct {
		name   string
		schema am.Schema
		opts   *am.Opts
		want   string // in the error message
	}{
		{"nil schema", nil, nil, "schema is nil"},
		{"unknown state in a relation", am.Schema{"A": {Require: am.S{"Nope"}}}, nil, `state "A": Require lists unknown state "Nope"`},
		{"self reference", am.Schema{"A": {Add: am.S{"A"}}}, nil, `state "A": Add lists the state itself`},
		{"duplicate in a relation", am.Schema{"A": {Remove: am.S{"B", "B"}}, "B": {}}, nil, `lists "B" twice`},
		{"adds and removes", am.Schema{"A": {Add: am.S{"B"}, Remove: am.S{"B"}}, "B": {}}, nil, `state "A" both adds and removes "B"`},
		{"requires and removes", am.Schema{"A": {Require: am.S{"B"}, Remove: am.S{"B"}}, "B": {}}, nil, `state "A" both requires and removes "B"`},
		{"After cycle", am.Schema{"A": {After: am.S{"B"}}, "B": {After: am.S{"A"}}}, nil, "After relations form a cycle"},
		{"lower-case name", am.Schema{"foo": {}}, nil, `state "foo" must start with an upper-case`},
		{"name with a space", am.Schema{"Foo Bar": {}}, nil, `state "Foo Bar" has ' '`},
		{"empty name", am.Schema{"": {}}, nil, "empty state name"},
		{"reserved name", am.Schema{"Any": {}}, nil, `"Any" is reserved`},
		{"order lists an unknown state", am.Schema{"A": {}}, &am.Opts{Order: am.S{"Exception", "A", "B"}}, `order lists unknown state "B"`},
		{"order misses a state", am.Schema{"A": {}, "B": {}}, &am.Opts{Order: am.S{"Exception", "A"}}, `order misses state "B"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mach, err := am.New(context.Background(), tc.schema, tc.opts)
			if err == nil {
				mach.Dispose()
				t.Fatal("no error")
			}
			if !errors.Is(err, am.ErrSchema) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want ErrSchema containing %q", err, tc.want)
			}
		})
	}
}

func TestNewRejectsNilContext(t *testing.T) {
	var nilCtx context.Context // the bad input under test
	if _, err := am.New(nilCtx, am.Schema{}, nil); err == nil {
		t.Fatal("no error for a nil context")
	}
}

func TestUnknownStatesCancel(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	mutations := map[string]func() am.Result{
		"Add":       func() am.Result { return mach.Add(am.S{"A", "Nope"}, nil) },
		"Add1":      func() am.Result { return mach.Add1("Nope", nil) },
		"Remove":    func() am.Result { return mach.Remove(am.S{"Nope"}, nil) },
		"Remove1":   func() am.Result { return mach.Remove1("Nope", nil) },
		"Set":       func() am.Result { return mach.Set(am.S{"Nope"}, nil) },
		"AddErrSt.": func() am.Result { return mach.AddErrState("Nope", errors.New("x"), nil) },
	}
	for name, mutate := range mutations {
		if res := mutate(); res != am.Canceled {
			t.Errorf("%s: %v, want Canceled", name, res)
		}
		if err := mach.LastCancel(); !errors.Is(err, am.ErrUnknownState) || !strings.Contains(err.Error(), `"Nope"`) {
			t.Errorf("%s: last cancel %v, want ErrUnknownState naming Nope", name, err)
		}
	}
	if mach.Is1("A") {
		t.Error("A is active after a canceled Add")
	}
}

type (
	enterWithoutBool struct{}
	stateWithBool    struct{}
	unknownState     struct{}
	anyEnterNoBool   struct{}
)

func (enterWithoutBool) AEnter(*am.Event)   {}
func (stateWithBool) AState(*am.Event) bool { return true }
func (unknownState) NopeState(*am.Event)    {}
func (anyEnterNoBool) AnyEnter(e *am.Event) {}
func (*enterWithoutBool) Helper(int) string { return "" }

func TestBindHandlersRejectsBadHandlers(t *testing.T) {
	cases := []struct {
		name    string
		handler any
		want    string
	}{
		{"nil", nil, "want a non-nil pointer"},
		{"not a pointer", enterWithoutBool{}, "want a non-nil pointer"},
		{"nil pointer", (*enterWithoutBool)(nil), "want a non-nil pointer"},
		{"Enter without bool", &enterWithoutBool{}, "AEnter has signature func(*machine.Event), want func(*machine.Event) bool"},
		{"State with bool", &stateWithBool{}, "AState has signature func(*machine.Event) bool, want func(*machine.Event)"},
		{"unknown state", &unknownState{}, `NopeState: unknown state "Nope"`},
		{"AnyEnter without bool", &anyEnterNoBool{}, "AnyEnter has signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mach, _ := newMach(t, abcde(nil), nil)
			err := mach.BindHandlers(tc.handler)
			if !errors.Is(err, am.ErrHandlers) || !strings.Contains(fmtErr(err), tc.want) {
				t.Errorf("error %v, want ErrHandlers containing %q", err, tc.want)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDisposedMachine(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	mach.Add1("A", nil)
	ctx := mach.NewStateCtx("A")
	when := mach.When1("B", nil)
	mach.Dispose()
	mach.Dispose() // idempotent

	<-mach.WhenDisposed()
	if !mach.IsDisposed() {
		t.Error("IsDisposed = false")
	}
	if ctx.Err() == nil || mach.Ctx().Err() == nil {
		t.Error("state and machine contexts were not canceled")
	}
	select {
	case <-when:
	default:
		t.Error("a waiter was not released by Dispose")
	}
	for name, mutate := range map[string]func() am.Result{
		"Add":    func() am.Result { return mach.Add1("B", nil) },
		"Remove": func() am.Result { return mach.Remove1("A", nil) },
		"AddErr": func() am.Result { return mach.AddErr(errors.New("late"), nil) },
	} {
		if res := mutate(); res != am.Canceled {
			t.Errorf("%s after dispose: %v, want Canceled", name, res)
		}
		if !errors.Is(mach.LastCancel(), am.ErrDisposed) {
			t.Errorf("%s after dispose: last cancel %v, want ErrDisposed", name, mach.LastCancel())
		}
	}
	if err := mach.BindHandlers(&recorder{}); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("BindHandlers after dispose: %v", err)
	}
	if err := mach.BindTracer(&am.NoOpTracer{}); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("BindTracer after dispose: %v", err)
	}
	if err := mach.SetSchema(abcde(nil)); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("SetSchema after dispose: %v", err)
	}
	if _, err := am.New(context.Background(), abcde(nil), &am.Opts{Parent: mach}); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("New with a disposed parent: %v", err)
	}
}

func TestContextEndDisposes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	mach, err := am.New(ctx, abcde(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-mach.WhenDisposed()
}
