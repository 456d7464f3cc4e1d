package amtele

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Names of the grouping spans under mach:ID.
const (
	spanStates      = "states"
	spanTransitions = "transitions"
	spanSubmachines = "submachines"
)

// traceTree is shared by a root machine and all its submachines: they form
// one trace per generation, and rotate together, so a trace is bounded by
// the transitions of the whole tree.
type traceTree struct {
	maxTxs   int64
	interval time.Duration

	// gen is the current generation; replaced under mu.
	gen atomic.Pointer[generation]
	// txs counts the current generation's transitions.
	txs atomic.Int64
	// mu serializes rotation and the creation of generation spans, which
	// a submachine may need from its parent on another goroutine.
	mu sync.Mutex
}

// generation is one trace of a tree.
type generation struct {
	seq   int64
	start time.Time
	// deadline is when the next transition rotates; zero means never.
	deadline time.Time
}

func newTraceTree(opts *OtelMachTracerOpts, now time.Time) *traceTree {
	tr := &traceTree{maxTxs: int64(opts.RotateTransitions), interval: opts.RotateInterval}
	tr.gen.Store(tr.newGeneration(1, now))
	return tr
}

func (tr *traceTree) newGeneration(seq int64, now time.Time) *generation {
	g := &generation{seq: seq, start: now}
	if tr.interval > 0 {
		g.deadline = now.Add(tr.interval)
	}
	return g
}

// countTx counts a transition that ran from start to end, first rotating
// when it would exceed the current generation's budget, so that it opens the
// new trace, which then starts with it.
func (tr *traceTree) countTx(start, end time.Time) {
	g := tr.gen.Load()
	n := tr.txs.Add(1)
	if (tr.maxTxs > 0 && n > tr.maxTxs) || (!g.deadline.IsZero() && end.After(g.deadline)) {
		tr.mu.Lock()
		if tr.gen.Load() == g {
			tr.gen.Store(tr.newGeneration(g.seq+1, start))
			tr.txs.Store(1)
		}
		tr.mu.Unlock()
	}
}

// machGen holds a machine's grouping spans in one generation. They end
// right after they start, so nothing waits for the machine to end (see the
// package documentation), and each lasts groupSpanLen.
type machGen struct {
	gen *generation
	// at is when the grouping spans start: the generation's start, or the
	// machine's start if it came later.
	at time.Time
	// end is when they end.
	end         time.Time
	mach        trace.SpanContext
	states      context.Context
	transitions context.Context
	// submachines is made on demand, under the tree's mu.
	submachines context.Context
	// groups holds the state group spans by state index, made on demand by
	// the machine's own hooks.
	groups []context.Context
}

// current returns the machine's spans in the tree's current generation,
// making them when the tree has rotated since the machine last looked.
func (ms *machState) current() *machGen {
	g := ms.tree.gen.Load()
	if mg := ms.gen.Load(); mg != nil && mg.gen == g {
		return mg
	}
	ms.tree.mu.Lock()
	defer ms.tree.mu.Unlock()
	return ms.refreshLocked(ms.tree.gen.Load())
}

// refreshLocked makes the machine's grouping spans in generation g, and
// those of its ancestors, which a submachine's mach:ID span hangs from. The
// caller holds the tree's mu.
func (ms *machState) refreshLocked(g *generation) *machGen {
	old := ms.gen.Load()
	if old != nil && old.gen == g {
		return old
	}
	at := g.start
	if ms.startedAt.After(at) {
		at = ms.startedAt
	}
	parent := context.Background()
	attrs := []attribute.KeyValue{ms.idAttr, AttrTraceGeneration.Int64(g.seq)}
	if ms.parent != nil {
		parent = ms.parent.refreshLocked(g).submachinesLocked(ms.parent)
		attrs = append(attrs, AttrParentID.String(ms.parent.id))
	}
	opts := []trace.SpanStartOption{trace.WithTimestamp(at), trace.WithAttributes(attrs...)}
	if old != nil {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: old.mach, Attributes: linkPreviousAttrs}))
	}
	mg := &machGen{gen: g, at: at, end: at.Add(ms.groupSpanLen())}
	machCtx, machSpan := ms.t.tracer.Start(parent, ms.machName, opts...)
	machSpan.End(trace.WithTimestamp(mg.end))
	mg.mach = machSpan.SpanContext()
	mg.states = ms.groupSpan(machCtx, spanStates, mg)
	if !ms.t.opts.SkipTransitions {
		mg.transitions = ms.groupSpan(machCtx, spanTransitions, mg)
	}
	ms.gen.Store(mg)
	return mg
}

// submachinesLocked returns the parent context for submachines of owner,
// making the submachines span on first use. The caller holds the tree's mu.
func (mg *machGen) submachinesLocked(owner *machState) context.Context {
	if mg.submachines == nil {
		mg.submachines = owner.groupSpan(withSpanContext(mg.mach), spanSubmachines, mg)
	}
	return mg.submachines
}

// group returns the parent context for activations of state i, making the
// state's group span on first use.
func (mg *machGen) group(ms *machState, i int) context.Context {
	if i >= len(mg.groups) {
		mg.groups = append(mg.groups, make([]context.Context, len(ms.states)-len(mg.groups))...)
	}
	if mg.groups[i] == nil {
		st := &ms.states[i]
		_, span := ms.t.tracer.Start(mg.states, st.name,
			trace.WithTimestamp(mg.at), trace.WithAttributes(ms.idAttr, st.attr))
		span.End(trace.WithTimestamp(mg.end))
		mg.groups[i] = withSpanContext(span.SpanContext())
	}
	return mg.groups[i]
}

// groupSpan emits a grouping span of mg named name under parent, returning
// a context for its children. The context holds only the span context: an
// ended span has nothing more to give its children.
func (ms *machState) groupSpan(parent context.Context, name string, mg *machGen) context.Context {
	_, span := ms.t.tracer.Start(parent, name, trace.WithTimestamp(mg.at), ms.idOpt)
	span.End(trace.WithTimestamp(mg.end))
	return withSpanContext(span.SpanContext())
}

// groupSpanLen is how long the machine's grouping spans last: a nanosecond
// per level of submachines. Not zero, as Jaeger flags zero-length spans;
// and longer for a submachine than for its parent's submachines span, which
// it starts after. Jaeger's clock skew check expects a child span either
// within its parent or longer than it, and warns of skew otherwise.
func (ms *machState) groupSpanLen() time.Duration {
	return time.Duration(ms.depth+1) * time.Nanosecond
}

// withSpanContext returns a context that parents new spans to sc. Spans are
// emitted after the fact, so no caller context exists to extend.
func withSpanContext(sc trace.SpanContext) context.Context {
	return trace.ContextWithSpanContext(context.Background(), sc)
}
