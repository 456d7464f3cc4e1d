package machine

import (
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// Tracer observes a machine. Telemetry exporters implement it. Embed
// [NoOpTracer] to implement only the hooks you need.
//
// Hooks run synchronously, in the goroutine that runs the machine's queue,
// one at a time per machine, so they must be cheap and must never block:
// queue work for I/O and return. Three exceptions may run concurrently with
// other hooks: [Tracer.MutationQueued] runs in the goroutine that queued the
// mutation; TransitionInit and TransitionEnd of a record that never ran on
// the queue ([Transition.OffQueue]: a check, or a mutation rejected with
// [ErrQueueFull]) run in the goroutine that made the call; and
// [Tracer.HandlerTimeout] runs in the machine's watchdog goroutine. A
// panicking hook is recovered and reported as a log entry; it never breaks
// the machine.
//
// A [Transition] passed to a hook may be kept after the hook returns; the
// machine does not change it once [Tracer.TransitionEnd] has run, unless
// every bound tracer is a [TransitionBorrower]. A tracer that needs only
// some of the per-transition hooks says which with [HookFilter].
type Tracer interface {
	// TracerID names the tracer in logs and errors.
	TracerID() string
	// Inheritable reports whether submachines created with [Opts.Parent]
	// (or [OptsWithParentTracers]) get this tracer too.
	Inheritable() bool
	// MachineInit is called when the tracer starts observing a machine: at
	// [New] or at [Machine.BindTracer] on a running machine.
	MachineInit(m *Machine)
	// MachineDispose is called once when the machine is disposed.
	MachineDispose(machineID string)
	// NewSubmachine is called on the parent's tracers when a child machine
	// is created, before the child's MachineInit.
	NewSubmachine(parent, child *Machine)
	// TransitionInit is called for every transition once its target is
	// resolved, before any handler. A transition canceled by its relations
	// goes from here straight to TransitionEnd.
	TransitionInit(tx *Transition)
	// TransitionStart is called before the first handler of a transition.
	TransitionStart(tx *Transition)
	// TransitionEnd is called for every transition once it is accepted
	// (clocks moved, final handlers ran) or canceled.
	TransitionEnd(tx *Transition)
	// HandlerStart is called before a handler runs, with its method name.
	HandlerStart(tx *Transition, handler string)
	// HandlerEnd is called after a handler returned or panicked.
	HandlerEnd(tx *Transition, handler string)
	// QueueEnd is called when the machine's queue has been drained.
	QueueEnd(m *Machine)
	// SchemaChange is called after [Machine.SetSchema] applied a new schema.
	SchemaChange(m *Machine, old Schema)
	// MutationQueued is called when a mutation waits in the queue; queueLen
	// includes it.
	MutationQueued(m *Machine, mut *Mutation, queueLen int)
	// HandlerTimeout is called once when handler has run past
	// [Opts.HandlerTimeout] and still has not returned, elapsed after it
	// started. It runs in the machine's watchdog goroutine while the
	// handler still runs, so it may only read tx's ID, MachineID, Machine,
	// Mutation and Start: the other fields may still change. When the
	// handler returns, HandlerEnd follows as usual and the transition
	// records a [StepHandlerTimeout].
	HandlerTimeout(tx *Transition, handler string, elapsed time.Duration)
}

// TransitionBorrower is an optional interface of a [Tracer] that keeps
// nothing of a [Transition] after its TransitionEnd hook returns, and
// copies what it needs (for example with [Transition.Clone]). While every
// bound tracer implements it and returns true, the machine reuses one
// record for all its transitions, so that a transition allocates nothing;
// otherwise each transition gets a record of its own, which the machine
// never changes after TransitionEnd. [NoOpTracer] does not implement it,
// so a tracer that embeds NoOpTracer and keeps records stays correct.
type TransitionBorrower interface {
	// BorrowsTransitions reports whether the tracer lets the machine reuse
	// transition records.
	BorrowsTransitions() bool
}

// TracerHooks is a set of the hooks that the machine calls per transition,
// per queued mutation or per drained queue (after each mutation of an idle
// machine): the ones on its hot path, for [HookFilter].
type TracerHooks uint8

// The hooks of a [TracerHooks] set, one bit per [Tracer] method.
const (
	HookTransitionInit TracerHooks = 1 << iota
	HookTransitionStart
	HookTransitionEnd
	HookHandlerStart
	HookHandlerEnd
	HookMutationQueued
	HookQueueEnd
)

// HookFilter is an optional interface of a [Tracer] that implements only
// some of the hooks of the machine's hot path, so that the machine skips
// the calls to the others: each call costs about as much as a tracer's own
// cheap work. The hooks outside [TracerHooks] (MachineInit, SchemaChange,
// HandlerTimeout and the like) are always called. A tracer without it gets
// every hook.
type HookFilter interface {
	// TracerHooks returns the hooks the tracer needs. It is called when
	// the tracer is bound, and should return the same set every time.
	TracerHooks() TracerHooks
}

// tracerSet is the bound tracers as the hot path reads them. Binding and
// detaching replace it, so a running transition keeps iterating its own.
type tracerSet struct {
	// byHook lists, per txHook, the tracers that take the hook.
	byHook [numHooks][]Tracer
	// any is set when a tracer is bound: the machine then reads the clock
	// for each transition's Start and End.
	any bool
	// borrowOnly is set while every bound tracer is a [TransitionBorrower]:
	// transitions then reuse the machine's spare record.
	borrowOnly bool
}

func newTracerSet(tracers []Tracer) *tracerSet {
	ts := &tracerSet{any: len(tracers) > 0, borrowOnly: true}
	for _, t := range tracers {
		if b, ok := t.(TransitionBorrower); !ok || !b.BorrowsTransitions() {
			ts.borrowOnly = false
		}
		hooks := ^TracerHooks(0)
		if f, ok := t.(HookFilter); ok {
			hooks = f.TracerHooks()
		}
		for h := range numHooks {
			if hooks&(1<<h) != 0 {
				ts.byHook[h] = append(ts.byHook[h], t)
			}
		}
	}
	return ts
}

// setTracers replaces the bound tracers. The caller holds mu, or has the
// machine to itself.
func (m *Machine) setTracers(tracers []Tracer) {
	m.tracers = tracers
	m.tracing = newTracerSet(tracers)
}

// NoOpTracer implements every [Tracer] hook as a no-op. It is not
// inheritable. Embed it and override the hooks you need.
type NoOpTracer struct{}

var _ Tracer = (*NoOpTracer)(nil)

// TracerID returns "noop".
func (*NoOpTracer) TracerID() string { return "noop" }

// Inheritable returns false.
func (*NoOpTracer) Inheritable() bool { return false }

// MachineInit does nothing.
func (*NoOpTracer) MachineInit(*Machine) {}

// MachineDispose does nothing.
func (*NoOpTracer) MachineDispose(string) {}

// NewSubmachine does nothing.
func (*NoOpTracer) NewSubmachine(_, _ *Machine) {}

// TransitionInit does nothing.
func (*NoOpTracer) TransitionInit(*Transition) {}

// TransitionStart does nothing.
func (*NoOpTracer) TransitionStart(*Transition) {}

// TransitionEnd does nothing.
func (*NoOpTracer) TransitionEnd(*Transition) {}

// HandlerStart does nothing.
func (*NoOpTracer) HandlerStart(*Transition, string) {}

// HandlerEnd does nothing.
func (*NoOpTracer) HandlerEnd(*Transition, string) {}

// QueueEnd does nothing.
func (*NoOpTracer) QueueEnd(*Machine) {}

// SchemaChange does nothing.
func (*NoOpTracer) SchemaChange(*Machine, Schema) {}

// MutationQueued does nothing.
func (*NoOpTracer) MutationQueued(*Machine, *Mutation, int) {}

// HandlerTimeout does nothing.
func (*NoOpTracer) HandlerTimeout(*Transition, string, time.Duration) {}

// BindTracer starts sending the machine's events to t. t first gets
// [Tracer.MachineInit], so a tracer bound late sees the machine as it is. If a
// transition is running, binding waits in the queue behind it. Binding the
// same tracer twice is an error.
func (m *Machine) BindTracer(t Tracer) error {
	if t == nil {
		return fmt.Errorf("%w: nil tracer", ErrTracer)
	}
	m.mu.Lock()
	if m.disposing {
		m.mu.Unlock()
		return fmt.Errorf("bind tracer %q to %s: %w", t.TracerID(), m.id, ErrDisposed)
	}
	if slices.Contains(m.tracers, t) {
		m.mu.Unlock()
		return fmt.Errorf("%w: tracer %q is already bound to %s", ErrTracer, t.TracerID(), m.id)
	}
	// copy on write: a running transition keeps iterating its own snapshot
	m.setTracers(append(slices.Clip(m.tracers), t))
	m.mu.Unlock()
	m.serialize(func() {
		m.callTracer(t, "MachineInit", func() { t.MachineInit(m) })
	})
	return nil
}

// DetachTracer stops sending events to t. Detaching a tracer that is not
// bound is an error.
func (m *Machine) DetachTracer(t Tracer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.Index(m.tracers, t)
	if i < 0 {
		return fmt.Errorf("%w: tracer is not bound to %s", ErrTracer, m.id)
	}
	m.setTracers(slices.Delete(slices.Clone(m.tracers), i, i+1))
	return nil
}

// Tracers returns the bound tracers. The slice is a copy.
func (m *Machine) Tracers() []Tracer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tracers)
}

// inheritableTracers returns the tracers a submachine gets.
func (m *Machine) inheritableTracers() []Tracer {
	var out []Tracer
	for _, t := range m.Tracers() {
		if t.Inheritable() {
			out = append(out, t)
		}
	}
	return out
}

// callTracer runs one hook, recovering a panic and reporting it as a log
// entry at LogLevelChanges, whatever the machine's level: a broken tracer
// must be visible, and must not break the machine.
func (m *Machine) callTracer(t Tracer, hook string, call func()) {
	defer func() {
		if r := recover(); r != nil {
			m.deliver(LogLevelChanges, fmt.Sprintf("[tracer] %s.%s panicked: %v\n%s", t.TracerID(), hook, r, debug.Stack()), nil)
		}
	}()
	call()
}

// txHook names the hooks of [TracerHooks], in its order, so the hot path
// calls them without allocating a closure per hook.
type txHook uint8

const (
	hookTransitionInit txHook = iota
	hookTransitionStart
	hookTransitionEnd
	hookHandlerStart
	hookHandlerEnd
	// hookMutationQueued and hookQueueEnd are only filtered: they are
	// called outside trace, with arguments of their own.
	hookMutationQueued
	hookQueueEnd
	numHooks
)

var txHookNames = [...]string{"TransitionInit", "TransitionStart", "TransitionEnd", "HandlerStart", "HandlerEnd"}

// trace calls a per-transition hook on the tracers of ts that take it. An
// untraced machine pays one length check.
func (m *Machine) trace(ts *tracerSet, hook txHook, tx *Transition, handler string) {
	for _, t := range ts.byHook[hook] {
		m.callHook(t, hook, tx, handler)
	}
}

func (m *Machine) callHook(t Tracer, hook txHook, tx *Transition, handler string) {
	defer func() {
		if r := recover(); r != nil {
			m.deliver(LogLevelChanges, fmt.Sprintf("[tracer] %s.%s panicked: %v\n%s", t.TracerID(), txHookNames[hook], r, debug.Stack()), nil)
		}
	}()
	switch hook {
	case hookTransitionInit:
		t.TransitionInit(tx)
	case hookTransitionStart:
		t.TransitionStart(tx)
	case hookTransitionEnd:
		t.TransitionEnd(tx)
	case hookHandlerStart:
		t.HandlerStart(tx, handler)
	case hookHandlerEnd:
		t.HandlerEnd(tx, handler)
	}
}
