package amtele_test

import (
	"testing"

	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// spanWatcher is another exporter bound to the same machine: at each
// transition's end it looks up the transition's span through the machine's
// tracers, as amprom does for exemplars.
type spanWatcher struct {
	am.NoOpTracer
	atEnd map[uint64]trace.SpanContext
}

func (w *spanWatcher) TransitionEnd(tx *am.Transition) {
	if s := amtele.FindTransitionSpanner(tx.Machine); s != nil {
		if sc, ok := s.TransitionSpanContext(tx.Machine.ID(), tx.ID); ok {
			w.atEnd[tx.ID] = sc
		}
	}
}

// spannerHandlers looks the running transition's span up from its handler,
// as a log sink does for the entries the handler makes.
type spannerHandlers struct {
	inHandler trace.SpanContext
}

func (h *spannerHandlers) FooState(e *am.Event) {
	s := amtele.FindTransitionSpanner(e.Machine)
	if s == nil {
		panic("no TransitionSpanner among the tracers")
	}
	h.inHandler, _ = s.TransitionSpanContext(e.Machine.ID(), e.Transition().ID)
}

func TestOtelTransitionSpanner(t *testing.T) {
	for _, bindFirst := range []bool{true, false} {
		tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{SkipEmpty: true})
		w := &spanWatcher{atEnd: map[uint64]trace.SpanContext{}}
		tracers := []am.Tracer{tracer, w}
		if !bindFirst {
			tracers = []am.Tracer{w, tracer}
		}
		mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", Tracers: tracers})
		h := &spannerHandlers{}
		if err := mach.BindHandlers(h); err != nil {
			t.Fatal(err)
		}
		mach.Add1("Foo", nil) // tx 1, exported
		mach.Add1("Foo", nil) // tx 2, empty: dropped at its end

		span := newSpanTree(rec.Ended()).one(t, "[add] Foo")
		if got := h.inHandler; !got.Equal(span.SpanContext()) {
			t.Errorf("tracer first=%v: span in FooState = %v, want the exported span %v", bindFirst, got, span.SpanContext())
		}
		if got := w.atEnd[1]; !got.Equal(span.SpanContext()) {
			t.Errorf("tracer first=%v: span at TransitionEnd = %v, want %v", bindFirst, got, span.SpanContext())
		}
		s := amtele.FindTransitionSpanner(mach)
		if sc, ok := s.TransitionSpanContext("m", 1); !ok || !sc.Equal(span.SpanContext()) {
			t.Errorf("after the end: tx 1 = %v, %v; want the exported span", sc, ok)
		}
		if sc, ok := s.TransitionSpanContext("m", 2); ok {
			t.Errorf("dropped tx 2 = %v, want no span", sc)
		}
		if _, ok := s.TransitionSpanContext("other", 1); ok {
			t.Error("unknown machine has a span")
		}
	}
}

func TestFindTransitionSpannerNone(t *testing.T) {
	mach := newMachine(t, am.Schema{"Foo": {}}, nil)
	if s := amtele.FindTransitionSpanner(mach); s != nil {
		t.Errorf("untraced machine: spanner %T", s)
	}
}
