package amtele_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// hotHooks names the hooks of am.TracerHooks.
var hotHooks = []struct {
	hook am.TracerHooks
	name string
}{
	{am.HookTransitionInit, "TransitionInit"},
	{am.HookTransitionStart, "TransitionStart"},
	{am.HookTransitionEnd, "TransitionEnd"},
	{am.HookHandlerStart, "HandlerStart"},
	{am.HookHandlerEnd, "HandlerEnd"},
	{am.HookMutationQueued, "MutationQueued"},
	{am.HookQueueEnd, "QueueEnd"},
}

// hooksOf binds a tracer with a set of the hot path's hooks of the test's
// choosing in place of its own. It borrows records when the tracer does,
// so that only the hooks differ.
type hooksOf struct {
	am.Tracer
	hooks am.TracerHooks
}

func (h *hooksOf) TracerHooks() am.TracerHooks { return h.hooks }

func (h *hooksOf) BorrowsTransitions() bool {
	b, ok := h.Tracer.(am.TransitionBorrower)
	return ok && b.BorrowsTransitions()
}

// spannerHooksOf is a hooksOf of a TransitionSpanner, which stays one, so
// that the exporters looking for it find it.
type spannerHooksOf struct {
	*hooksOf
	amtele.TransitionSpanner
}

// withHooks returns tr taking only hooks of the hot path.
func withHooks(tr am.Tracer, hooks am.TracerHooks) am.Tracer {
	h := &hooksOf{Tracer: tr, hooks: hooks}
	if s, ok := tr.(amtele.TransitionSpanner); ok {
		return &spannerHooksOf{hooksOf: h, TransitionSpanner: s}
	}
	return h
}

// testHookSet checks the am.HookFilter set of a tracer against what the
// tracer does. scenario makes a fresh tracer, binds what bindable returns
// for it, runs machines and returns what the exporter made of them, the
// same text for the same behaviour. The real machine honours the filter,
// so: the output with the tracer's own set must be the one with every
// hook (the set misses no hook the tracer relies on), and leaving out any
// one hook of the set must change it (the set holds no hook the tracer
// implements as a no-op).
func testHookSet(t *testing.T, scenario func(t *testing.T, bindable func(am.Tracer) am.Tracer) string) {
	t.Helper()
	var declared am.TracerHooks
	own := scenario(t, func(tr am.Tracer) am.Tracer {
		f, ok := tr.(am.HookFilter)
		if !ok {
			t.Fatalf("%s is not an am.HookFilter", tr.TracerID())
		}
		declared = f.TracerHooks()
		return tr
	})
	all := scenario(t, func(tr am.Tracer) am.Tracer { return withHooks(tr, ^am.TracerHooks(0)) })
	if own != all {
		t.Errorf("with its own hooks %s, the tracer does something else than with every hook:\n%s\nwith every hook:\n%s",
			hookNames(declared), own, all)
	}
	for _, h := range hotHooks {
		if declared&h.hook == 0 {
			continue
		}
		without := scenario(t, func(tr am.Tracer) am.Tracer { return withHooks(tr, declared&^h.hook) })
		if without == all {
			t.Errorf("the tracer takes %s, but does the same without it", h.name)
		}
	}
}

func hookNames(hooks am.TracerHooks) string {
	var names []string
	for _, h := range hotHooks {
		if hooks&h.hook != 0 {
			names = append(names, h.name)
		}
	}
	return "[" + strings.Join(names, " ") + "]"
}

// hooksRoot and hooksChild are the handlers of the hook scenario.
type hooksRoot struct{}

func (*hooksRoot) StartEnter(*am.Event) bool { return true }
func (*hooksRoot) StartState(*am.Event)      {}
func (*hooksRoot) VetoEnter(*am.Event) bool  { return false }

type hooksChild struct{ root *am.Machine }

// FetchState queues Fetched on its own machine, which runs after the
// handler, and adds Ping to the root, which runs while the handler does.
func (h *hooksChild) FetchState(e *am.Event) {
	e.Machine.EvAdd1(e, "Fetched", nil)
	h.root.EvAdd1(e, "Ping", nil)
}

func (*hooksChild) FetchedEnter(*am.Event) bool { return true }

// otelHooksScenario runs a root and a submachine traced with opts: handlers
// in and after negotiation, a veto, a mutation queued by a handler, one
// made on another machine while the handler runs, and a trace per
// transition, so that a transition's generation shows. It returns the span
// trees with their attributes and links, and "overlaps" where a span ends
// after its next sibling starts.
func otelHooksScenario(opts amtele.OtelMachTracerOpts) func(*testing.T, func(am.Tracer) am.Tracer) string {
	opts.RotateTransitions = 1
	return func(t *testing.T, bindable func(am.Tracer) am.Tracer) string {
		tracer, rec := recorded(t, &opts)
		root := newMachine(t, am.Schema{"Start": {}, "Veto": {}, "Ping": {}},
			&am.Opts{ID: "hk-root", Tracers: []am.Tracer{bindable(tracer)}})
		child := newMachine(t, am.Schema{"Fetch": {}, "Fetched": {Remove: am.S{"Fetch"}}},
			&am.Opts{ID: "hk-child", Parent: root})
		if err := root.BindHandlers(&hooksRoot{}); err != nil {
			t.Fatal(err)
		}
		if err := child.BindHandlers(&hooksChild{root: root}); err != nil {
			t.Fatal(err)
		}
		root.Add1("Start", nil)
		child.Add1("Fetch", nil)
		root.Add1("Veto", nil)
		root.Remove1("Start", nil)
		root.Dispose()
		<-root.WhenDisposed()
		<-child.WhenDisposed()
		return newSpanTree(rec.Ended()).shape()
	}
}

// shape renders the trees as render does, with each span's attributes and
// links, and marks siblings that overlap: what the spans say, without IDs
// and times.
func (st *spanTree) shape() string {
	var b strings.Builder
	var walk func(spans []sdktrace.ReadOnlySpan, depth int)
	walk = func(spans []sdktrace.ReadOnlySpan, depth int) {
		spans = sortSpans(spans)
		for i, s := range spans {
			b.WriteString(strings.Repeat("  ", depth) + s.Name())
			if s.Status().Code == codes.Error {
				b.WriteString(" !" + s.Status().Description)
			}
			var kvs []string
			for k, v := range attrs(s) {
				kvs = append(kvs, k+"="+v)
			}
			slices.Sort(kvs)
			fmt.Fprintf(&b, " %v links=%v", kvs, st.linkKinds(s))
			if i+1 < len(spans) && s.EndTime().After(spans[i+1].StartTime()) {
				b.WriteString(" overlaps")
			}
			b.WriteByte('\n')
			walk(st.children[s.SpanContext().SpanID().String()], depth+1)
		}
	}
	walk(st.roots, 0)
	return b.String()
}

func TestOtelMachTracerHooks(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts amtele.OtelMachTracerOpts
	}{
		{"default", amtele.OtelMachTracerOpts{}},
		{"skip-handlers", amtele.OtelMachTracerOpts{SkipHandlers: true}},
		{"skip-transitions", amtele.OtelMachTracerOpts{SkipTransitions: true}},
	} {
		t.Run(tc.name, func(t *testing.T) { testHookSet(t, otelHooksScenario(tc.opts)) })
	}
}

// logHooksScenario binds a logger (made by newLogger, which returns what
// the logger sent once flushed) before an OTel tracer, which the logger
// finds at the first transition, and returns the records with their trace
// context.
func logHooksScenario(newLogger func(t *testing.T) (am.Tracer, func() []string)) func(*testing.T, func(am.Tracer) am.Tracer) string {
	return func(t *testing.T, bindable func(am.Tracer) am.Tracer) string {
		mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", LogLevel: am.LogLevelOps})
		binder, sent := newLogger(t)
		if err := mach.BindTracer(bindable(binder)); err != nil {
			t.Fatal(err)
		}
		tracer, _ := recorded(t, nil)
		if err := mach.BindTracer(tracer); err != nil {
			t.Fatal(err)
		}
		mach.Add1("Foo", nil)
		mach.Remove1("Foo", nil)
		return strings.Join(sent(), "\n")
	}
}

func TestOtelLoggerHooks(t *testing.T) {
	testHookSet(t, logHooksScenario(func(t *testing.T) (am.Tracer, func() []string) {
		exp := &memLogExporter{}
		provider := amtele.NewOtelLoggerProvider(exp)
		t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
		return amtele.NewOtelLogBinder(provider, "svc"), func() []string {
			var out []string
			for _, l := range exp.flushed(t, provider) {
				out = append(out, fmt.Sprintf("%s tx=%d traced=%v", l.Body, l.TxID, l.Trace != ""))
			}
			return out
		}
	}))
}

func TestLokiLoggerHooks(t *testing.T) {
	testHookSet(t, logHooksScenario(func(t *testing.T) (am.Tracer, func() []string) {
		client := newFakeLoki()
		logger, binder, err := amtele.NewLokiBinder(client)
		if err != nil {
			t.Fatal(err)
		}
		return binder, func() []string {
			flush(t, logger)
			var out []string
			for _, e := range client.all() {
				var names []string
				for _, m := range e.Metadata {
					names = append(names, m.Name)
				}
				out = append(out, fmt.Sprintf("%s %v", e.Line, names))
			}
			return out
		}
	}))
}
