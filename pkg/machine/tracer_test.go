package machine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// hookLog is a tracer that records every hook it gets as a line of text.
type hookLog struct {
	id          string
	inheritable bool
	mu          sync.Mutex
	lines       []string
}

func (h *hookLog) add(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, fmt.Sprintf(format, args...))
}

func (h *hookLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.lines
	h.lines = nil
	return out
}

func (h *hookLog) TracerID() string                 { return h.id }
func (h *hookLog) Inheritable() bool                { return h.inheritable }
func (h *hookLog) MachineInit(m *am.Machine)        { h.add("init %s", m.ID()) }
func (h *hookLog) MachineDispose(id string)         { h.add("dispose %s", id) }
func (h *hookLog) NewSubmachine(p, c *am.Machine)   { h.add("submachine %s>%s", p.ID(), c.ID()) }
func (h *hookLog) TransitionInit(tx *am.Transition) { h.add("tx-init %d %s", tx.ID, tx) }
func (h *hookLog) TransitionStart(tx *am.Transition) {
	h.add("tx-start %d", tx.ID)
}
func (h *hookLog) TransitionEnd(tx *am.Transition) {
	h.add("tx-end %d accepted=%v handlers=%d", tx.ID, tx.Accepted, tx.Handlers)
}
func (h *hookLog) HandlerStart(tx *am.Transition, name string) { h.add("handler-start %s", name) }
func (h *hookLog) HandlerEnd(tx *am.Transition, name string)   { h.add("handler-end %s", name) }
func (h *hookLog) QueueEnd(m *am.Machine)                      { h.add("queue-end %s", m.ID()) }
func (h *hookLog) SchemaChange(m *am.Machine, old am.Schema) {
	h.add("schema %d>%d", len(old), len(m.Schema()))
}
func (h *hookLog) MutationQueued(m *am.Machine, mut *am.Mutation, n int) {
	h.add("queued %s len=%d", mut.String(m.StateNames()), n)
}
func (h *hookLog) HandlerTimeout(tx *am.Transition, name string, _ time.Duration) {
	h.add("handler-timeout %d %s", tx.ID, name)
}

type queueB struct{}

func (queueB) AState(e *am.Event) { e.Machine.EvAdd1(e, "B", nil) }
func (queueB) BEnter(*am.Event) bool {
	return true
}

func TestTracerHookOrder(t *testing.T) {
	h := &hookLog{id: "log"}
	mach, err := am.New(context.Background(), abcde(map[string]am.State{"C": {Require: am.S{"D"}}}),
		&am.Opts{ID: "m", Tracers: []am.Tracer{h}})
	if err != nil {
		t.Fatal(err)
	}
	if err := mach.BindHandlers(&queueB{}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	mach.Add1("C", nil) // canceled by its requirement: no TransitionStart
	mach.Dispose()
	want := []string{
		"init m",
		"queue-end m", // BindHandlers ran through the queue
		"tx-init 1 [add] A",
		"tx-start 1",
		"handler-start AState",
		"queued [add] B len=1",
		"handler-end AState",
		"tx-end 1 accepted=true handlers=1",
		"tx-init 2 [add] B",
		"tx-start 2",
		"handler-start BEnter",
		"handler-end BEnter",
		"tx-end 2 accepted=true handlers=1",
		"queue-end m",
		"tx-init 3 [add] C",
		"tx-end 3 accepted=false handlers=0",
		"queue-end m",
		"dispose m",
		"queue-end m",
	}
	if got := h.take(); !slices.Equal(got, want) {
		t.Errorf("hooks:\n got  %q\n want %q", got, want)
	}
}

// filtered is a hookLog that takes only some of the hot path's hooks.
type filtered struct {
	*hookLog
	hooks am.TracerHooks
}

func (f *filtered) TracerHooks() am.TracerHooks { return f.hooks }

// A tracer with a HookFilter gets the hooks of its set and every hook
// outside TracerHooks, in the order an unfiltered tracer gets them, off
// the queue too (a check); the others are skipped.
func TestHookFilter(t *testing.T) {
	all := &hookLog{id: "all"}
	f := &filtered{hookLog: &hookLog{id: "filtered"}, hooks: am.HookTransitionEnd | am.HookMutationQueued}
	withQueueEnd := &filtered{hookLog: &hookLog{id: "queue-end"}, hooks: am.HookQueueEnd}
	mach, err := am.New(context.Background(), abcde(map[string]am.State{"C": {Require: am.S{"D"}}}),
		&am.Opts{ID: "m", Tracers: []am.Tracer{all, f, withQueueEnd}})
	if err != nil {
		t.Fatal(err)
	}
	if err := mach.BindHandlers(&queueB{}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	mach.Add1("C", nil)
	mach.CanAdd1("D", nil)
	mach.Dispose()

	lines := all.take()
	// keep returns the lines of hooks outside TracerHooks, and those
	// starting with one of prefixes
	keep := func(prefixes ...string) []string {
		hot := []string{"tx-init ", "tx-start ", "tx-end ", "handler-start ", "handler-end ", "queued ", "queue-end "}
		var out []string
		for _, line := range lines {
			has := func(p string) bool { return strings.HasPrefix(line, p) }
			if !slices.ContainsFunc(hot, has) || slices.ContainsFunc(prefixes, has) {
				out = append(out, line)
			}
		}
		return out
	}
	got := f.take()
	if want := keep("tx-end ", "queued "); !slices.Equal(got, want) {
		t.Errorf("hooks:\n got  %q\n want %q", got, want)
	}
	if !slices.Contains(got, "queued [add] B len=1") || !slices.Contains(got, "tx-end 0 accepted=true handlers=0") {
		t.Errorf("the filtered tracer missed the queued mutation or the check: %q", got)
	}
	if got, want := withQueueEnd.take(), keep("queue-end "); !slices.Equal(got, want) {
		t.Errorf("QueueEnd only:\n got  %q\n want %q", got, want)
	}
}

// panicky panics in every hook it implements.
type panicky struct{ am.NoOpTracer }

func (panicky) TracerID() string                    { return "panicky" }
func (panicky) TransitionStart(*am.Transition)      { panic("tracer bug") }
func (panicky) HandlerStart(*am.Transition, string) { panic("tracer bug") }
func (panicky) QueueEnd(*am.Machine)                { panic("tracer bug") }

func TestPanickingTracerIsReportedAndHarmless(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	sink := am.LogSinkFunc(func(e *am.LogEntry) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, e.Text)
	})
	// LogLevelNothing: tracer panics are reported whatever the level
	mach, _ := newMach(t, abcde(nil), &am.Opts{Tracers: []am.Tracer{&panicky{}}, Logger: sink})
	rec := &recorder{}
	if err := mach.BindHandlers(rec); err != nil {
		t.Fatal(err)
	}
	if res := mach.Add1("A", nil); res != am.Executed || !mach.Is1("A") {
		t.Fatalf("Add1(A) = %v with a panicking tracer", res)
	}
	if got := rec.take(); !slices.Equal(got, []string{"AEnter", "AState"}) {
		t.Errorf("handlers = %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	var reported int
	for _, l := range logs {
		if strings.HasPrefix(l, "[tracer] panicky.") && strings.Contains(l, "panicked: tracer bug") {
			reported++
		}
	}
	// TransitionStart, HandlerStart twice, QueueEnd (and one QueueEnd for BindHandlers)
	if reported != 5 {
		t.Errorf("%d tracer panics reported, want 5; logs: %q", reported, logs)
	}
}

func TestBindTracerLateAndDetach(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), &am.Opts{ID: "late"})
	mach.Add1("A", nil)
	h := &hookLog{id: "log"}
	if err := mach.BindTracer(h); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); !slices.Equal(got, []string{"init late", "queue-end late"}) {
		t.Errorf("late bind hooks = %q", got)
	}
	if err := mach.BindTracer(h); !errors.Is(err, am.ErrTracer) {
		t.Errorf("second bind: %v, want ErrTracer", err)
	}
	if err := mach.BindTracer(nil); !errors.Is(err, am.ErrTracer) {
		t.Errorf("nil bind: %v, want ErrTracer", err)
	}
	if n := len(mach.Tracers()); n != 2 { // the invariants tracer and h
		t.Errorf("%d tracers bound, want 2", n)
	}
	if err := mach.DetachTracer(h); err != nil {
		t.Fatal(err)
	}
	mach.Add1("B", nil)
	if got := h.take(); len(got) != 0 {
		t.Errorf("a detached tracer got %q", got)
	}
	if err := mach.DetachTracer(h); !errors.Is(err, am.ErrTracer) {
		t.Errorf("second detach: %v, want ErrTracer", err)
	}
}

func TestSubmachines(t *testing.T) {
	inherited := &hookLog{id: "inherited", inheritable: true}
	own := &hookLog{id: "own"}
	parent, err := am.New(context.Background(), abcde(nil), &am.Opts{ID: "parent", Tracers: []am.Tracer{inherited, own}})
	if err != nil {
		t.Fatal(err)
	}
	child, err := am.New(context.Background(), abcde(nil), &am.Opts{ID: "child", Parent: parent, Tags: []string{"worker"}})
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentID() != "parent" || !slices.Equal(child.Tags(), []string{"worker"}) {
		t.Errorf("ParentID %q, Tags %v", child.ParentID(), child.Tags())
	}
	if got := child.Tracers(); len(got) != 1 || got[0] != inherited {
		t.Errorf("child tracers = %v, want only the inheritable one", got)
	}
	if got := own.take(); !slices.Equal(got, []string{"init parent", "submachine parent>child"}) {
		t.Errorf("own tracer = %q", got)
	}
	if got := inherited.take(); !slices.Equal(got, []string{"init parent", "submachine parent>child", "init child"}) {
		t.Errorf("inherited tracer = %q", got)
	}

	opts := am.OptsWithParentTracers(&am.Opts{ID: "sibling"}, parent)
	sibling, err := am.New(context.Background(), abcde(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sibling.Dispose()
	if sibling.ParentID() != "" || len(sibling.Tracers()) != 1 {
		t.Errorf("OptsWithParentTracers: parent %q, %d tracers", sibling.ParentID(), len(sibling.Tracers()))
	}

	parent.Dispose()
	<-child.WhenDisposed()
	if sibling.IsDisposed() {
		t.Error("a machine made with OptsWithParentTracers was disposed with the parent")
	}
}

func TestSetSchema(t *testing.T) {
	h := &hookLog{id: "log"}
	mach, _ := newMach(t, am.Schema{"A": {}}, &am.Opts{Tracers: []am.Tracer{h}})
	mach.Add1("A", nil)
	if err := mach.SetSchema(am.Schema{"A": {}, "B": {Require: am.S{"A"}}}); err != nil {
		t.Fatal(err)
	}
	if got := mach.StateNames(); !slices.Equal(got, am.S{am.Exception, "A", "B"}) {
		t.Errorf("index = %v", got)
	}
	if !mach.Is1("A") || mach.Add1("B", nil) != am.Executed {
		t.Errorf("after SetSchema: active %v", mach.ActiveStates())
	}
	if err := mach.SetSchema(am.Schema{"B": {}}); !errors.Is(err, am.ErrSchema) {
		t.Errorf("removing a state: %v, want ErrSchema", err)
	}
	if !slices.Contains(h.take(), "schema 2>3") {
		t.Error("SchemaChange not called")
	}
}
