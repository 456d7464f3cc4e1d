package amtele_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// endedNames returns the names of the spans ended so far.
func endedNames(rec *tracetest.SpanRecorder) []string {
	var out []string
	for _, s := range rec.Ended() {
		out = append(out, s.Name())
	}
	return out
}

// TestOtelMachTracerTimely checks that nothing waits for the machine to
// end: the grouping spans, each transition and each finished activation are
// exported as soon as they happen.
func TestOtelMachTracerTimely(t *testing.T) {
	tracer, rec := recorded(t, nil)
	w := newWorkflow(t, tracer)
	defer w.root.Dispose()

	w.root.Add1("Start", nil)
	for _, name := range []string{"mach:wf-root", "states", "transitions", "submachines", "mach:wf-child", "[add] Start", "StartEnter", "StartState"} {
		if !slices.Contains(endedNames(rec), name) {
			t.Errorf("after [add] Start, span %q has not ended; ended: %v", name, endedNames(rec))
		}
	}
	w.root.Remove1("Start", nil)
	if got := newSpanTree(rec.Ended()).find("Start"); len(got) != 2 {
		t.Errorf("after [remove] Start, %d spans named Start, want the group and the ended activation", len(got))
	}
	if w.root.IsDisposed() {
		t.Fatal("the machine must still be running")
	}
}

// TestOtelMachTracerRunningSourceLink: a handler mutates another, idle
// machine, whose transition runs and ends inside the handler, before the
// cause ends. The cause's span started with the cause, so the effect links
// to it at its own start.
func TestOtelMachTracerRunningSourceLink(t *testing.T) {
	tracer, rec := recorded(t, nil)
	root := newMachine(t, am.Schema{"Spawn": {}}, &am.Opts{ID: "root", Tracers: []am.Tracer{tracer}})
	worker := newMachine(t, am.Schema{"Work": {}}, &am.Opts{ID: "worker", Parent: root})
	if err := root.BindHandlers(&spawnHandlers{worker: worker}); err != nil {
		t.Fatal(err)
	}
	root.Add1("Spawn", nil)

	st := newSpanTree(rec.Ended())
	cause, effect := st.one(t, "[add] Spawn"), st.one(t, "[add] Work")
	if got := st.linkKinds(effect); strings.Join(got, ",") != "source:[add] Spawn" {
		t.Errorf("[add] Work links = %v, want source:[add] Spawn", got)
	}
	if len(cause.Links()) != 0 {
		t.Errorf("[add] Spawn links = %v, want none", st.linkKinds(cause))
	}
	if !effect.StartTime().After(cause.StartTime()) || effect.EndTime().After(cause.EndTime()) {
		t.Errorf("[add] Work runs %v..%v, want within [add] Spawn's %v..%v",
			effect.StartTime(), effect.EndTime(), cause.StartTime(), cause.EndTime())
	}
	wantAttrs(t, effect, map[attribute.Key]string{
		amtele.AttrSourceMachineID: "root",
		amtele.AttrSourceTxID:      "1",
	})
}

type spawnHandlers struct{ worker *am.Machine }

func (h *spawnHandlers) SpawnState(e *am.Event) {
	if r := h.worker.EvAdd1(e, "Work", nil); r != am.Executed {
		panic("worker did not run Work at once: " + r.String())
	}
}

// TestOtelMachTracerLateBind binds the tracer to a running machine: the
// state already active gets an activation from the bind on, without a
// beginning transition.
func TestOtelMachTracerLateBind(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "late"})
	mach.Add1("Foo", nil)
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	mach.Remove1("Foo", nil)

	st := newSpanTree(rec.Ended())
	act := activationOf(t, st, "Foo")
	wantAttrs(t, act, map[attribute.Key]string{amtele.AttrTick: "1"})
	if mach := st.one(t, "mach:late"); !act.StartTime().Equal(mach.StartTime()) {
		t.Errorf("activation starts at %v, want when tracing began, %v", act.StartTime(), mach.StartTime())
	}
	if to := st.txAt(act.EndTime()); to != "[remove] Foo" {
		t.Errorf("activation ends with %q, want [remove] Foo", to)
	}
}

func TestOtelMachTracerSchemaChange(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
	if err := mach.SetSchema(am.Schema{"Foo": {}, "Bar": {}}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Bar", nil)
	mach.Remove1("Bar", nil)

	st := newSpanTree(rec.Ended())
	if from := st.txAt(activationOf(t, st, "Bar").StartTime()); from != "[add] Bar" {
		t.Errorf("Bar activation begins with %q, want [add] Bar", from)
	}
	wantAttrs(t, st.one(t, "[add] Bar"), map[attribute.Key]string{amtele.AttrClocks: "Bar=1"})
}

// TestOtelMachTracerMulti re-activates Exception, a Multi state: each
// activation is a span of its own, and an error.
func TestOtelMachTracerMulti(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
	mach.AddErr(errors.New("first"), nil)
	mach.AddErr(errors.New("second"), nil)
	mach.Remove1(am.Exception, nil)

	var acts []string
	st := newSpanTree(rec.Ended())
	for _, s := range st.find(am.Exception) {
		a := attrs(s)
		if _, ok := a[string(amtele.AttrTick)]; !ok {
			continue
		}
		if s.Status().Code != codes.Error {
			t.Errorf("Exception activation %v has status %v, want an error", a, s.Status())
		}
		acts = append(acts, a[string(amtele.AttrTick)]+":"+s.Status().Description+":"+st.txAt(s.EndTime()))
	}
	// the second [add] Exception ends the first activation
	want := []string{"1:first:[add] Exception", "3:second:[remove] Exception"}
	if !slices.Equal(acts, want) {
		t.Errorf("activations (tick:error:ended by) = %v, want %v", acts, want)
	}
}

// TestOtelMachTracerParentTracers: OptsWithParentTracers copies the tracer
// without making a submachine, so the machine is the root of its own trace.
func TestOtelMachTracerParentTracers(t *testing.T) {
	tracer, rec := recorded(t, nil)
	parent := newMachine(t, am.Schema{}, &am.Opts{ID: "parent", Tracers: []am.Tracer{tracer}})
	other := newMachine(t, am.Schema{"Foo": {}}, am.OptsWithParentTracers(&am.Opts{ID: "other"}, parent))
	other.Add1("Foo", nil)

	st := newSpanTree(rec.Ended())
	m := st.one(t, "mach:other")
	if m.Parent().IsValid() {
		t.Errorf("mach:other has a parent; want the root of its own trace")
	}
	if m.SpanContext().TraceID() == st.one(t, "mach:parent").SpanContext().TraceID() {
		t.Error("mach:other shares its parent's trace")
	}
	st.one(t, "[add] Foo")
}

// TestOtelMachTracerPanic: a panic in a negotiation handler cancels the
// transition, an error in both the transition and the handler span.
func TestOtelMachTracerPanic(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{"Boom": {}}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
	if err := mach.BindHandlers(&panicHandlers{}); err != nil {
		t.Fatal(err)
	}
	if r := mach.Add1("Boom", nil); r != am.Canceled {
		t.Fatalf("Add1(Boom) = %v, want canceled", r)
	}
	st := newSpanTree(rec.Ended())
	tx, handler := st.one(t, "[add] Boom"), st.one(t, "BoomEnter")
	if tx.Status().Code != codes.Error || !strings.Contains(tx.Status().Description, "kaboom") {
		t.Errorf("[add] Boom status = %v, want an error naming the panic", tx.Status())
	}
	if handler.Status().Code != codes.Error {
		t.Errorf("BoomEnter status = %v, want an error", handler.Status())
	}
	for _, s := range []sdktrace.ReadOnlySpan{tx, handler} {
		wantAttrs(t, s, map[attribute.Key]string{"error.type": amtele.ErrorTypeHandlerPanic})
	}
}

// TestOtelMachTracerErrorType checks error.type, as the semantic
// conventions ask, on every span with an error status, and on no other.
func TestOtelMachTracerErrorType(t *testing.T) {
	tracer, rec := recorded(t, nil)
	newWorkflow(t, tracer).run(t)
	st := newSpanTree(rec.Ended())
	want := map[string]string{
		`[add] !add [Nope]: unknown state "Nope"`: amtele.ErrorTypeUnknownState,
		"[add] Exception":                         "*errors.errorString",
	}
	for _, s := range st.spans {
		typ, has := attrs(s)["error.type"]
		isErr := s.Status().Code == codes.Error
		switch {
		case isErr != has:
			t.Errorf("span %q: status %v, error.type %q", s.Name(), s.Status(), typ)
		case want[s.Name()] != "" && typ != want[s.Name()]:
			t.Errorf("span %q: error.type %q, want %q", s.Name(), typ, want[s.Name()])
		}
	}
	// the Exception activation shares its transition's error
	for _, s := range st.find("Exception") {
		if s.Status().Code == codes.Error && attrs(s)["error.type"] != "*errors.errorString" {
			t.Errorf("Exception activation: error.type %q", attrs(s)["error.type"])
		}
	}
}

// timeoutHandlers return once the machine's watchdog has canceled their
// context at the deadline, so each returns past it.
type timeoutHandlers struct{}

func (*timeoutHandlers) SlowEnter(e *am.Event) bool {
	<-e.Ctx().Done()
	return true
}

func (*timeoutHandlers) HangState(e *am.Event) { <-e.Ctx().Done() }

// TestOtelMachTracerHandlerTimeout: a negotiation handler that returns
// past am.Opts.HandlerTimeout cancels its transition, and a final one adds
// Exception. Both transitions, and the late handlers' spans, are errors of
// error.type am.handler_timeout.
func TestOtelMachTracerHandlerTimeout(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{"Slow": {}, "Hang": {}}, &am.Opts{
		ID: "m",
		// short, to keep the test short; the handlers wait for it on a
		// channel, whatever it is
		HandlerTimeout: 20 * time.Millisecond,
		Tracers:        []am.Tracer{tracer},
		Logger:         am.DiscardLogs,
	})
	if err := mach.BindHandlers(&timeoutHandlers{}); err != nil {
		t.Fatal(err)
	}
	if r := mach.Add1("Slow", nil); r != am.Canceled {
		t.Fatalf("Add1(Slow) = %v, want canceled by the late SlowEnter", r)
	}
	if !errors.Is(mach.LastCancel(), am.ErrHandlerTimeout) {
		t.Fatalf("LastCancel = %v, want ErrHandlerTimeout", mach.LastCancel())
	}
	// the caller runs the queue, so the Exception that the late HangState
	// adds has run when Add1 returns
	if r := mach.Add1("Hang", nil); r != am.Executed {
		t.Fatalf("Add1(Hang) = %v, want executed", r)
	}
	if !mach.Is1(am.Exception) {
		t.Fatal("no Exception after the late HangState")
	}
	st := newSpanTree(rec.Ended())
	for _, s := range []sdktrace.ReadOnlySpan{
		st.one(t, "[add] Slow"), st.one(t, "SlowEnter"), st.one(t, "HangState"), st.one(t, "[add] Exception"),
	} {
		if s.Status().Code != codes.Error {
			t.Errorf("span %q: status %v, want an error", s.Name(), s.Status())
		}
		wantAttrs(t, s, map[attribute.Key]string{"error.type": amtele.ErrorTypeHandlerTimeout})
	}
	if s := st.one(t, "[add] Hang"); s.Status().Code == codes.Error {
		t.Errorf("[add] Hang: status %v; the transition itself went through", s.Status())
	}
}

// TestOtelMachTracerDisposedMutation: a mutation of a disposed machine is
// canceled with ErrDisposed before it becomes a transition, so its tracers
// see nothing of it and no span is made, which is why error.type has no
// value for it. Should the machine ever trace it, this fails, and such a
// span needs an error.type of its own.
func TestOtelMachTracerDisposedMutation(t *testing.T) {
	tracer, rec := recorded(t, nil)
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
	mach.Dispose()
	<-mach.WhenDisposed()
	before := endedNames(rec)
	if r := mach.Add1("Foo", nil); r != am.Canceled || !errors.Is(mach.LastCancel(), am.ErrDisposed) {
		t.Fatalf("Add1 after Dispose = %v, LastCancel %v; want canceled with ErrDisposed", r, mach.LastCancel())
	}
	if after := endedNames(rec); !slices.Equal(after, before) {
		t.Errorf("spans after the mutation of the disposed machine: %v, want none beyond %v", after[len(before):], before)
	}
}

type panicHandlers struct{}

func (*panicHandlers) BoomEnter(*am.Event) bool { panic("kaboom") }
