package amtele_test

import (
	"context"
	"errors"
	"fmt"
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

// recorded returns a tracer over an in-memory span recorder, which sees
// spans synchronously as they end.
func recorded(t testing.TB, opts *amtele.OtelMachTracerOpts) (am.Tracer, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return amtele.NewOtelMachTracer(tp.Tracer("amtele-test"), opts), rec
}

// workflow is a small root machine with one submachine, run through every
// kind of span the tracer makes.
type workflow struct {
	root, child *am.Machine
}

type rootHandlers struct{}

func (*rootHandlers) StartEnter(*am.Event) bool { return true }
func (*rootHandlers) StartState(*am.Event)      { time.Sleep(time.Millisecond) }
func (*rootHandlers) ReadyState(*am.Event)      {}
func (*rootHandlers) VetoEnter(*am.Event) bool  { return false }

type childHandlers struct{}

func (*childHandlers) FetchState(e *am.Event) { e.Machine.EvAdd1(e, "Fetched", nil) }
func (*childHandlers) FetchedEnter(*am.Event) bool {
	return true
}

var errBoom = errors.New("boom")

// newWorkflow creates the machines with tracer bound to the root; the child
// inherits it.
func newWorkflow(t testing.TB, tracer am.Tracer) *workflow {
	t.Helper()
	ctx := context.Background()
	root, err := am.New(ctx, am.Schema{
		"Start": {},
		"Ready": {Require: am.S{"Start"}},
		"Veto":  {},
	}, &am.Opts{ID: "wf-root", Tracers: []am.Tracer{tracer}, LoggableArgs: []string{"url"}})
	if err != nil {
		t.Fatal(err)
	}
	child, err := am.New(ctx, am.Schema{
		"Fetch":   {},
		"Fetched": {Remove: am.S{"Fetch"}},
	}, &am.Opts{ID: "wf-child", Parent: root, LoggableArgs: []string{"url"}})
	if err != nil {
		t.Fatal(err)
	}
	for m, h := range map[*am.Machine]any{root: &rootHandlers{}, child: &childHandlers{}} {
		if err := m.BindHandlers(h); err != nil {
			t.Fatal(err)
		}
	}
	return &workflow{root: root, child: child}
}

// run makes the workflow's transitions and disposes the machines, which
// ends the activations still open.
func (w *workflow) run(t testing.TB) {
	t.Helper()
	steps := []struct {
		do   func() am.Result
		want am.Result
	}{
		{func() am.Result { return w.root.Add1("Start", nil) }, am.Executed},
		{func() am.Result { return w.child.Add1("Fetch", am.A{"url": "https://example.com", "secret": "x"}) }, am.Executed},
		{func() am.Result { return w.root.Add1("Ready", nil) }, am.Executed},
		{func() am.Result { return w.root.Add1("Veto", nil) }, am.Canceled},
		{func() am.Result { return w.root.Add1("Nope", nil) }, am.Canceled},
		{func() am.Result { return w.root.AddErr(errBoom, nil) }, am.Executed},
		{func() am.Result { return w.root.Remove1("Start", nil) }, am.Executed},
	}
	for i, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("step %d: got %v, want %v", i, got, s.want)
		}
	}
	<-w.child.WhenQueueDone(context.Background())
	w.root.Dispose()
	<-w.root.WhenDisposed()
	<-w.child.WhenDisposed()
}

// workflowTree is the span tree of the workflow: names, nested by parent,
// siblings in start order, with "!" marking error status.
const workflowTree = `
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
      transitions
        [add] Fetch
          FetchState
        [add] Fetched
          FetchedEnter
  transitions
    [add] Start
      StartEnter
      StartState
    [add] Ready
      ReadyState
    [add] Veto
      VetoEnter
    [add] !add [Nope]: unknown state "Nope"
    [add] Exception !boom
    [remove] Start
`

// spanTree indexes recorded spans by ID and parent.
type spanTree struct {
	spans    []sdktrace.ReadOnlySpan
	children map[string][]sdktrace.ReadOnlySpan
	roots    []sdktrace.ReadOnlySpan
}

func newSpanTree(spans []sdktrace.ReadOnlySpan) *spanTree {
	st := &spanTree{spans: spans, children: map[string][]sdktrace.ReadOnlySpan{}}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID().String()] = true
	}
	for _, s := range spans {
		p := s.Parent()
		if !p.IsValid() || !ids[p.SpanID().String()] {
			st.roots = append(st.roots, s)
			continue
		}
		st.children[p.SpanID().String()] = append(st.children[p.SpanID().String()], s)
	}
	return st
}

// sortSpans orders siblings by start time, then by name for the grouping
// spans, which share a timestamp.
func sortSpans(spans []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	out := slices.Clone(spans)
	slices.SortStableFunc(out, func(a, b sdktrace.ReadOnlySpan) int {
		if c := a.StartTime().Compare(b.StartTime()); c != 0 {
			return c
		}
		return strings.Compare(a.Name(), b.Name())
	})
	return out
}

// render prints the tree below the roots, as workflowTree shows it.
func (st *spanTree) render() string {
	var b strings.Builder
	b.WriteByte('\n')
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + s.Name())
		if s.Status().Code == codes.Error {
			b.WriteString(" !" + s.Status().Description)
		}
		b.WriteByte('\n')
		for _, c := range sortSpans(st.children[s.SpanContext().SpanID().String()]) {
			walk(c, depth+1)
		}
	}
	for _, r := range sortSpans(st.roots) {
		walk(r, 0)
	}
	return b.String()
}

// find returns the spans named name.
func (st *spanTree) find(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range st.spans {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span named name, failing t otherwise.
func (st *spanTree) one(t testing.TB, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	found := st.find(name)
	if len(found) != 1 {
		t.Fatalf("%d spans named %q, want 1; tree:%s", len(found), name, st.render())
	}
	return found[0]
}

// attrs returns a span's attributes by key, formatted for comparison.
func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

// wantAttrs fails t when s lacks one of want's attributes or has another
// value; a value of "-" means the attribute must be absent.
func wantAttrs(t testing.TB, s sdktrace.ReadOnlySpan, want map[attribute.Key]string) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		g, ok := got[string(k)]
		switch {
		case v == "-" && ok:
			t.Errorf("span %q: attribute %s = %q, want none", s.Name(), k, g)
		case v != "-" && (!ok || g != v):
			t.Errorf("span %q: attribute %s = %q (present: %v), want %q", s.Name(), k, g, ok, v)
		}
	}
}

// parent returns the parent of s, failing t if it was not recorded.
func (st *spanTree) parent(t testing.TB, s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, p := range st.spans {
		if p.SpanContext().SpanID() == s.Parent().SpanID() {
			return p
		}
	}
	t.Fatalf("parent of %q not recorded", s.Name())
	return nil
}

// txAt returns the name of the transition span starting at ts, or "".
func (st *spanTree) txAt(ts time.Time) string {
	for _, s := range st.spans {
		if _, ok := attrs(s)[string(amtele.AttrTxID)]; ok && s.StartTime().Equal(ts) {
			return s.Name()
		}
	}
	return ""
}

// linkKinds lists a span's links as "kind:spanName", resolving names
// through st.
func (st *spanTree) linkKinds(s sdktrace.ReadOnlySpan) []string {
	byID := map[string]string{}
	for _, sp := range st.spans {
		byID[sp.SpanContext().SpanID().String()] = sp.Name()
	}
	var out []string
	for _, l := range s.Links() {
		kind := "?"
		for _, kv := range l.Attributes {
			if kv.Key == amtele.AttrLink {
				kind = kv.Value.AsString()
			}
		}
		out = append(out, fmt.Sprintf("%s:%s", kind, byID[l.SpanContext.SpanID().String()]))
	}
	slices.Sort(out)
	return out
}
