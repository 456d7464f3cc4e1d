package amtele

import (
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Defaults of the trace rotation options of [OtelMachTracerOpts].
const (
	// DefaultRotateTransitions keeps a trace to about two thousand spans for
	// typical machines (a transition span, its handlers and the activations
	// it ends), well below where Jaeger's UI slows down.
	DefaultRotateTransitions = 500
	// DefaultRotateInterval keeps each trace to a window that Jaeger's search
	// (by time range) finds easily, however slow the machine is.
	DefaultRotateInterval = 10 * time.Minute
)

// OtelMachTracerOpts configures [NewOtelMachTracer]. The zero value traces
// everything and rotates traces with the defaults.
type OtelMachTracerOpts struct {
	// SkipTransitions leaves out the transitions group with its transition
	// and handler spans: only the states tree is traced.
	SkipTransitions bool
	// SkipHandlers leaves out handler spans.
	SkipHandlers bool
	// SkipCanceled leaves out canceled transitions.
	SkipCanceled bool
	// SkipEmpty leaves out accepted transitions that changed no clock, such
	// as adding a state that is already active.
	SkipEmpty bool
	// SkipState leaves out noisy states: their activations, their handlers,
	// their clocks, and transitions that call only skipped states. It is
	// called once per machine and state, when the tracer starts observing
	// the machine and after a schema change, never per transition.
	SkipState func(mach *am.Machine, state string) bool
	// RotateTransitions starts a new trace after this many transitions of a
	// machine tree (a machine and its submachines), so no trace outgrows
	// what Jaeger's UI can show. Zero means [DefaultRotateTransitions]; a
	// negative value never rotates by count.
	RotateTransitions int
	// StableNames names machine and transition spans by their kind only:
	// "mach" rather than "mach:ID", and "[add]" rather than "[add] Foo
	// Bar"; state, activation and handler spans keep their names, which the
	// schema bounds. The default names read best in a trace view, but a
	// backend that indexes operation names (Jaeger's operation list, span
	// metrics by name) gets an entry per machine ID and per combination of
	// called states, without bound. The IDs and states stay queryable as
	// attributes (AttrMachineID, AttrCalled) either way.
	StableNames bool
	// RotateInterval starts a new trace with the first transition after
	// this much time in the current one. Zero means
	// [DefaultRotateInterval]; a negative value never rotates by time.
	RotateInterval time.Duration
}

// SkipGroups returns an [OtelMachTracerOpts.SkipState] that leaves out
// the states of the named groups of each machine ([am.Opts.Groups]), so
// that the noisy states are named once, where the machine is defined,
// rather than in every program that traces it. A machine without such a
// group skips none of its states.
func SkipGroups(groups ...string) func(mach *am.Machine, state string) bool {
	return func(mach *am.Machine, state string) bool {
		of := mach.Groups()
		for _, g := range groups {
			if slices.Contains(of[g], state) {
				return true
			}
		}
		return false
	}
}

// withDefaults returns a copy of opts (nil is allowed) with zero values
// replaced by defaults and negative ones by "never" (zero).
func (opts *OtelMachTracerOpts) withDefaults() OtelMachTracerOpts {
	var o OtelMachTracerOpts
	if opts != nil {
		o = *opts
	}
	switch {
	case o.RotateTransitions == 0:
		o.RotateTransitions = DefaultRotateTransitions
	case o.RotateTransitions < 0:
		o.RotateTransitions = 0
	}
	switch {
	case o.RotateInterval == 0:
		o.RotateInterval = DefaultRotateInterval
	case o.RotateInterval < 0:
		o.RotateInterval = 0
	}
	return o
}

// NewOtelMachTracer returns a tracer that exports machines as OpenTelemetry
// spans through tracer. Bind it with [am.Machine.BindTracer] or
// [am.Opts.Tracers]; it is inheritable, so submachines created with
// [am.Opts.Parent] (or [am.OptsWithParentTracers]) are traced too, and
// submachines of a traced parent appear under its submachines span. opts may
// be nil. See the package documentation for the span tree and span lifetimes.
//
// A transition's span starts with the transition and ends with it; the
// tracer implements [TransitionSpanner], so that other exporters can name
// the running transition's span. Hooks do no I/O: use
// a tracer provider with a batch span processor (sdktrace.WithBatcher), which
// drops spans rather than block when its exporter falls behind.
//
// Shutting the tracer provider down flushes every span ended so far. State
// activations still open are emitted when their machine is disposed, so
// dispose machines before shutting the provider down.
//
// The tracer takes only the hooks it implements ([am.HookFilter]), and
// copies what it keeps of a transition, so that machines reuse their
// transition records while it is bound ([am.TransitionBorrower]).
func NewOtelMachTracer(tracer trace.Tracer, opts *OtelMachTracerOpts) am.Tracer {
	return &otelMachTracer{
		tracer:  tracer,
		opts:    opts.withDefaults(),
		parents: map[*am.Machine]*machState{},
	}
}

// otelMachTracer implements [am.Tracer]. Per-machine state lives in
// machState; the tracer only maps machines to it.
type otelMachTracer struct {
	am.NoOpTracer
	tracer trace.Tracer
	opts   OtelMachTracerOpts

	// machs maps *am.Machine to *machState. A sync.Map because every hook
	// reads it and machines of one tracer run on many goroutines.
	machs sync.Map

	// byID maps machine IDs to *machState, for MachineDispose, for links
	// to the source transition of a mutation, and for
	// TransitionSpanContext, which other exporters call from any goroutine.
	byID sync.Map

	mu sync.Mutex
	// parents carries a submachine's parent from NewSubmachine to the
	// child's MachineInit, which follows it.
	parents map[*am.Machine]*machState
}

var _ am.Tracer = (*otelMachTracer)(nil)

// TracerID returns "otel".
func (*otelMachTracer) TracerID() string { return "otel" }

// Inheritable returns true: submachines join their parent's trace.
func (*otelMachTracer) Inheritable() bool { return true }

// TracerHooks returns the hooks of the hot path the tracer implements, so
// that machines skip the others ([am.HookFilter]): the handler hooks only
// while handler spans are made.
func (t *otelMachTracer) TracerHooks() am.TracerHooks {
	hooks := am.HookTransitionInit | am.HookTransitionEnd
	if !t.opts.SkipHandlers && !t.opts.SkipTransitions {
		hooks |= am.HookHandlerStart | am.HookHandlerEnd
	}
	return hooks
}

// BorrowsTransitions returns true: the hooks copy what spans, links and
// activations need out of the record (IDs, times, strings), and tell one
// transition from the next by its ID, not by its record, so machines may
// reuse their records ([am.TransitionBorrower]).
func (*otelMachTracer) BorrowsTransitions() bool { return true }

func (t *otelMachTracer) state(m *am.Machine) *machState {
	if ms, ok := t.machs.Load(m); ok {
		return ms.(*machState)
	}
	return nil
}

// byMachineID returns the state of the machine with the given ID, or nil.
func (t *otelMachTracer) byMachineID(id string) *machState {
	if ms, ok := t.byID.Load(id); ok {
		return ms.(*machState)
	}
	return nil
}

// NewSubmachine remembers child's parent for the child's MachineInit.
func (t *otelMachTracer) NewSubmachine(parent, child *am.Machine) {
	ps := t.state(parent)
	if ps == nil {
		return
	}
	t.mu.Lock()
	t.parents[child] = ps
	t.mu.Unlock()
}

// MachineInit starts tracing m: under its parent's submachines span if the
// parent is traced here, or as the root of a new trace.
func (t *otelMachTracer) MachineInit(m *am.Machine) {
	now := time.Now()
	t.mu.Lock()
	parent := t.parents[m]
	delete(t.parents, m)
	t.mu.Unlock()

	ms := newMachState(t, m, parent, now)
	t.byID.Store(ms.id, ms)
	t.machs.Store(m, ms)
	ms.start(now)
}

// MachineDispose emits the activations still open and forgets the machine.
func (t *otelMachTracer) MachineDispose(id string) {
	v, ok := t.byID.LoadAndDelete(id)
	if !ok {
		return
	}
	ms := v.(*machState)
	t.machs.Delete(ms.mach)
	ms.dispose(time.Now())
}

// SchemaChange picks up the states a new schema added.
func (t *otelMachTracer) SchemaChange(m *am.Machine, _ am.Schema) {
	if ms := t.state(m); ms != nil {
		ms.loadSchema()
	}
}

// TransitionInit starts the transition's span, so that its span context is
// known while the transition runs; see [TransitionSpanner].
func (t *otelMachTracer) TransitionInit(tx *am.Transition) {
	// checks and rejected mutations never ran and may arrive from other
	// goroutines, in the middle of a transition
	if tx.OffQueue() {
		return
	}
	if ms := t.state(tx.Machine); ms != nil {
		ms.transitionInit(tx)
	}
}

// HandlerStart times a handler. Handler spans are made at TransitionEnd,
// once the filters have decided whether the transition is kept. Machines
// skip the handler hooks when the options leave handler spans out (see
// TracerHooks); the check here serves callers that forward every hook.
func (t *otelMachTracer) HandlerStart(tx *am.Transition, handler string) {
	if t.opts.SkipHandlers || t.opts.SkipTransitions {
		return
	}
	if ms := t.state(tx.Machine); ms != nil {
		ms.handlerStart(tx, handler, time.Now())
	}
}

// HandlerEnd times a handler; see HandlerStart.
func (t *otelMachTracer) HandlerEnd(tx *am.Transition, _ string) {
	if t.opts.SkipHandlers || t.opts.SkipTransitions {
		return
	}
	if ms := t.state(tx.Machine); ms != nil {
		ms.handlerEnd(tx, time.Now())
	}
}

// TransitionEnd ends the transition's span, or drops it when a filter
// leaves the transition out, and emits its handlers and the activations it
// ended.
func (t *otelMachTracer) TransitionEnd(tx *am.Transition) {
	if tx.OffQueue() {
		return
	}
	if ms := t.state(tx.Machine); ms != nil {
		ms.transitionEnd(tx)
	}
}
