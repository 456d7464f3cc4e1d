package machine

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// StepType says what a [Step] records.
type StepType uint8

const (
	// StepRequested: State was called by the mutation.
	StepRequested StepType = iota + 1
	// StepImplied: State is activated by the Add relation of Related.
	StepImplied
	// StepRemoved: State is deactivated by a Remove relation between it and
	// Related, which won (called beats implied beats already active).
	StepRemoved
	// StepDropped: implied State is not activated, because its requirement
	// Related cannot be active.
	StepDropped
	// StepRequirementLost: active State is deactivated, because its
	// requirement Related is going away.
	StepRequirementLost
	// StepConflict: called states State and Related remove each other; the
	// transition is canceled.
	StepConflict
	// StepMissingRequirement: called State requires Related, which cannot
	// be active; the transition is canceled.
	StepMissingRequirement
	// StepHandler: the handler named Handler ran.
	StepHandler
	// StepHandlerCanceled: negotiation handler Handler returned false; the
	// transition is canceled.
	StepHandlerCanceled
	// StepHandlerPanic: handler Handler panicked. In negotiation this
	// cancels the transition; in a final handler it adds Exception, unless
	// the transition activates Exception itself.
	StepHandlerPanic
	// StepHandlerTimeout: handler Handler returned after its deadline
	// ([Opts.HandlerTimeout]). In negotiation this cancels the transition;
	// in a final handler it adds Exception, unless the transition
	// activates Exception itself.
	StepHandlerTimeout
)

var stepTypeNames = [...]string{
	StepRequested:          "requested",
	StepImplied:            "implied",
	StepRemoved:            "removed",
	StepDropped:            "dropped",
	StepRequirementLost:    "requirement-lost",
	StepConflict:           "conflict",
	StepMissingRequirement: "missing-requirement",
	StepHandler:            "handler",
	StepHandlerCanceled:    "handler-canceled",
	StepHandlerPanic:       "handler-panic",
	StepHandlerTimeout:     "handler-timeout",
}

// String returns the step type's short name, for example "implied".
func (t StepType) String() string {
	if int(t) < len(stepTypeNames) && stepTypeNames[t] != "" {
		return stepTypeNames[t]
	}
	return fmt.Sprintf("step(%d)", uint8(t))
}

// Failed reports whether a step of this type is a failure: a relation
// that cancels the transition (conflict, missing requirement), or a
// handler that vetoed, panicked or overran its deadline. In negotiation
// each of these cancels the transition; in a final handler a panic or an
// overrun adds Exception instead. Debuggers highlight these steps.
func (t StepType) Failed() bool {
	switch t {
	case StepConflict, StepMissingRequirement, StepHandlerCanceled, StepHandlerPanic, StepHandlerTimeout:
		return true
	}
	return false
}

// Step records one decision of a transition, so a debugger can show why a
// state did or did not change.
type Step struct {
	// Type says what was decided.
	Type StepType
	// State is the index of the state the step is about, or -1 for the
	// AnyEnter and AnyExit handlers.
	State int
	// Related is the index of the state that caused the step, or -1.
	Related int
	// Handler is the handler's method name, for handler steps.
	Handler string
}

// Describe explains the step in words, with names from index.
func (s Step) Describe(index S) string {
	name := func(i int) string {
		if i >= 0 && i < len(index) {
			return index[i]
		}
		return anyState
	}
	switch s.Type {
	case StepRequested:
		return name(s.State) + " requested"
	case StepImplied:
		return fmt.Sprintf("%s added by %s (Add)", name(s.State), name(s.Related))
	case StepRemoved:
		return fmt.Sprintf("%s removed by %s (Remove)", name(s.State), name(s.Related))
	case StepDropped:
		return fmt.Sprintf("%s dropped: requires %s, which cannot be active", name(s.State), name(s.Related))
	case StepRequirementLost:
		return fmt.Sprintf("%s removed: requires %s, which is going away", name(s.State), name(s.Related))
	case StepConflict:
		return fmt.Sprintf("canceled: called states %s and %s conflict (Remove)", name(s.Related), name(s.State))
	case StepMissingRequirement:
		return fmt.Sprintf("canceled: %s requires %s, which cannot be active", name(s.State), name(s.Related))
	case StepHandler:
		return s.Handler + " ran"
	case StepHandlerCanceled:
		return "canceled by " + s.Handler
	case StepHandlerPanic:
		return s.Handler + " panicked"
	case StepHandlerTimeout:
		return s.Handler + " returned after its deadline"
	}
	return s.Type.String()
}

// Transition is one attempt to apply a mutation. Tracers receive it; once
// [Tracer.TransitionEnd] has run the machine never changes it again.
//
// Two kinds of record never run on the machine's queue (see
// [Transition.OffQueue]): dry runs ([Machine.CanAdd] and the like, with
// CheckOnly set), and mutations rejected with [ErrQueueFull]. They have ID
// 0, no handlers, and equal TimeBefore and TimeAfter.
type Transition struct {
	// ID numbers the machine's transitions from 1. MachineID and ID
	// together identify a transition across machines. It is 0 for the
	// records that never ran on the queue.
	ID uint64
	// MachineID is the ID of the machine.
	MachineID string
	// Machine is the machine that ran the transition.
	Machine *Machine
	// Mutation is what was requested, with its source if it came from a
	// handler and Auto set for auto transitions.
	Mutation Mutation
	// Steps are the transition's decisions, in order.
	Steps []Step
	// TimeBefore and TimeAfter are all clocks before and after. They are
	// equal for a canceled transition.
	TimeBefore, TimeAfter Time
	// Accepted is true once the transition committed. For a check, it
	// says whether the relations would accept the mutation.
	Accepted bool
	// CheckOnly marks a dry run: the mutation was resolved against the
	// relations to answer [Machine.CanAdd], [Machine.CanRemove] or
	// [Machine.CanSet]; no handler ran, no clock moved. Telemetry that
	// counts transitions skips or labels these.
	CheckOnly bool
	// Err says why the transition was canceled; nil when accepted.
	Err error
	// QueueLen is the number of queued entries when the transition started.
	QueueLen int
	// Start and End time the transition. Clock reads cost as much as a
	// transition on some machines, so the machine reads the clock only for
	// those who can see the record: a machine without tracers leaves End
	// zero, and Start too when it has no handlers either.
	Start, End time.Time
	// Handlers counts the handlers that ran.
	Handlers int
	// Logs are the log entries made while the transition ran, complete at
	// TransitionEnd.
	Logs []LogEntry

	index S
	// times backs TimeBefore and TimeAfter
	times Time
	// inline buffers save allocations for typical transitions
	calledBuf [4]int
	stepsBuf  [8]Step
	timesBuf  [12]uint64
}

// OffQueue reports whether the record never ran on the machine's queue: a
// check (CheckOnly), or a mutation rejected because the queue was full. Its
// TransitionInit and TransitionEnd hooks run in the goroutine that made the
// call, possibly concurrently with the machine's other hooks.
func (tx *Transition) OffQueue() bool { return tx.ID == 0 }

// reset clears a reused record, keeping its buffers. It sets the fields
// that transition does not set one by one: clearing the whole record,
// buffers included, would cost more than the rest of a transition.
func (tx *Transition) reset() {
	tx.Steps = tx.Steps[:0]
	tx.Logs = tx.Logs[:0]
	tx.Accepted, tx.CheckOnly, tx.Err = false, false, nil
	tx.End, tx.Handlers = time.Time{}, 0
}

// Clone returns a deep copy of the record, for tracers that keep a
// transition after [Tracer.TransitionEnd] returns while the machine reuses
// its records (see [TransitionBorrower]). Args are shared: handlers must
// not modify them.
func (tx *Transition) Clone() *Transition {
	out := &Transition{
		ID: tx.ID, MachineID: tx.MachineID, Machine: tx.Machine, Mutation: tx.Mutation,
		Accepted: tx.Accepted, CheckOnly: tx.CheckOnly, Err: tx.Err, QueueLen: tx.QueueLen,
		Start: tx.Start, End: tx.End, Handlers: tx.Handlers, index: tx.index,
	}
	out.Mutation.Called = slices.Clone(tx.Mutation.Called)
	out.Steps = slices.Clone(tx.Steps)
	out.Logs = slices.Clone(tx.Logs)
	n := len(tx.TimeBefore)
	out.times = make(Time, 2*n)
	copy(out.times, tx.TimeBefore)
	copy(out.times[n:], tx.TimeAfter)
	out.TimeBefore, out.TimeAfter = out.times[:n:n], out.times[n:]
	return out
}

// StateNames returns the state index the transition ran with. Step and
// mutation indexes refer to it. It is shared with every machine of the same
// schema: do not modify it.
func (tx *Transition) StateNames() S { return tx.index }

// CalledStates returns the names of the called states.
func (tx *Transition) CalledStates() S {
	out := make(S, len(tx.Mutation.Called))
	for k, i := range tx.Mutation.Called {
		out[k] = tx.index[i]
	}
	return out
}

// IsActivated reports whether state index i became active, or re-activated
// (Multi), in the transition.
func (tx *Transition) IsActivated(i int) bool {
	return i < len(tx.TimeAfter) && tx.TimeAfter[i]%2 == 1 && tx.TimeAfter[i] != tx.TimeBefore[i]
}

// IsDeactivated reports whether state index i became inactive.
func (tx *Transition) IsDeactivated(i int) bool {
	return i < len(tx.TimeAfter) && tx.TimeBefore[i]%2 == 1 && tx.TimeAfter[i]%2 == 0
}

// IsTouched reports whether the transition considered state index i: it
// was called, named by a relation step, or changed.
func (tx *Transition) IsTouched(i int) bool {
	if i < len(tx.TimeAfter) && tx.TimeAfter[i] != tx.TimeBefore[i] {
		return true
	}
	for _, s := range tx.Steps {
		if s.Type < StepHandler && (s.State == i || s.Related == i) {
			return true
		}
	}
	return false
}

// String formats the transition like the logs, for example
// "[add] Foo Bar" or "[add] Foo (canceled: ...)".
func (tx *Transition) String() string {
	s := tx.Mutation.String(tx.index)
	if tx.Mutation.Auto {
		s = "[auto]" + s
	}
	if tx.Err != nil {
		s += " (canceled: " + tx.Err.Error() + ")"
	}
	return s
}

// transition resolves, negotiates and commits one mutation. mut.Called is
// ignored: the called states come in called, a separate parameter so that
// escape analysis keeps the caller's buffer on its stack. rejected is a
// reason known before resolution (unknown states). Only the runner calls
// it; the record it returns is valid until the next call.
func (m *Machine) transition(mut *Mutation, called []int, rejected error) *Transition {
	m.mu.Lock()
	m.txSeq++
	c := m.schema
	tx := m.spare
	switch {
	case !m.tracing.borrowOnly:
		tx = &Transition{}
	case tx == nil:
		tx = &Transition{}
		m.spare = tx
	default:
		tx.reset()
	}
	tx.ID, tx.MachineID, tx.Machine = m.txSeq, m.id, m
	tx.QueueLen = len(m.queue) - m.queueHead
	// the clock is read only for those who can see the record: on this
	// machine a clock read costs as much as the rest of a transition
	if m.tracing.any || len(m.handlers) > 0 {
		tx.Start = time.Now()
	}
	tx.index = c.names
	tx.Mutation = Mutation{Type: mut.Type, Args: mut.Args, Auto: mut.Auto, Source: mut.Source}
	tx.Mutation.Called = append(tx.calledBuf[:0], called...)
	mut = &tx.Mutation
	// before and after share one buffer
	n := len(m.clocks)
	if cap(tx.times) < 2*n {
		if 2*n <= len(tx.timesBuf) {
			tx.times = tx.timesBuf[:]
		} else {
			tx.times = make(Time, 2*n)
		}
	}
	times := tx.times[:2*n]
	copy(times, m.clocks)
	tx.TimeBefore, tx.TimeAfter = times[:n:n], times[n:]
	ts := m.tracing
	handlers := m.handlers
	m.current = tx
	m.mu.Unlock()

	err := rejected
	if err == nil {
		if tx.Steps == nil {
			tx.Steps = tx.stepsBuf[:0]
		}
		err = m.res.resolve(c, tx.TimeBefore, mut, tx)
	}
	m.trace(ts, hookTransitionInit, tx, "")
	if m.logEnabled(LogLevelOps) {
		m.logTx(LogLevelOps, tx, tx.String())
	}
	if m.logEnabled(LogLevelDecisions) {
		for _, s := range tx.Steps {
			m.logTx(LogLevelDecisions, tx, "[step] "+s.Describe(c.names))
		}
	}
	if err == nil {
		m.trace(ts, hookTransitionStart, tx, "")
		err = m.negotiate(c, tx, ts, handlers)
	}
	if err != nil {
		return m.cancelTx(tx, err, ts)
	}
	m.commit(c, tx)
	m.finalHandlers(c, tx, ts, handlers)
	tx.Accepted = true
	m.endTx(tx, ts)
	return tx
}

func (m *Machine) cancelTx(tx *Transition, err error, ts *tracerSet) *Transition {
	tx.Err = err
	tx.TimeAfter = tx.TimeBefore
	// LastCancel describes the caller's mutations; an auto transition is
	// the machine's own, observable through tracers
	if !tx.Mutation.Auto {
		m.mu.Lock()
		m.cancelErr = err
		m.mu.Unlock()
	}
	if m.logEnabled(LogLevelOps) {
		m.logTx(LogLevelOps, tx, "[cancel] "+tx.String())
	}
	m.endTx(tx, ts)
	return tx
}

func (m *Machine) endTx(tx *Transition, ts *tracerSet) {
	if ts.any {
		// Start's wall time plus the monotonic time since: one clock read,
		// where time.Now takes two, each as dear as a transition on some
		// machines
		tx.End = tx.Start.Add(time.Since(tx.Start))
	}
	m.mu.Lock()
	m.current = nil
	m.mu.Unlock()
	m.trace(ts, hookTransitionEnd, tx, "")
}

// commit moves the clocks and wakes what waits on them.
func (m *Machine) commit(c *compiled, tx *Transition) {
	before, mut := tx.TimeBefore, &tx.Mutation
	m.mu.Lock()
	for i := range m.clocks {
		switch {
		case m.res.exiting(before, i):
			m.clocks[i]++
		case m.res.entering(c, before, mut, i):
			if before[i]%2 == 1 {
				m.clocks[i] += 2
			} else {
				m.clocks[i]++
			}
		}
	}
	copy(tx.TimeAfter, m.clocks)
	var release []*waiter
	if len(m.waiters) > 0 {
		release = m.takeReadyWaiters()
	}
	var ended []stateCtx
	if len(m.stateCtxs) > 0 {
		ended = m.takeEndedCtxs()
	}
	m.mu.Unlock()

	for _, sc := range ended {
		sc.cancel()
	}
	for _, w := range release {
		w.release()
	}
	if m.logEnabled(LogLevelChanges) {
		m.logChanges(tx)
	}
}

// takeEndedCtxs removes and returns the state contexts whose activation
// ended. The caller holds mu.
func (m *Machine) takeEndedCtxs() []stateCtx {
	var ended []stateCtx
	for i, sc := range m.stateCtxs {
		if m.clocks[i] != sc.tick {
			ended = append(ended, sc)
			delete(m.stateCtxs, i)
		}
	}
	return ended
}

func (m *Machine) logChanges(tx *Transition) {
	var b strings.Builder
	var states S
	for i, name := range tx.index {
		switch {
		case tx.IsActivated(i):
			b.WriteString(" +" + name)
		case tx.IsDeactivated(i):
			b.WriteString(" -" + name)
		default:
			continue
		}
		states = append(states, name)
	}
	if len(states) > 0 {
		m.deliver(LogLevelChanges, "[state]"+b.String(), states)
	}
}

// negotiate runs AnyExit, the Exit handlers, AnyEnter and the Enter
// handlers; the first that returns false or panics cancels.
func (m *Machine) negotiate(c *compiled, tx *Transition, ts *tracerSet, handlers []*handlerSet) error {
	if len(handlers) == 0 {
		return nil
	}
	before, mut := tx.TimeBefore, &tx.Mutation
	for _, h := range handlers {
		if h.anyExit != nil {
			if err := m.callNegotiation(tx, -1, &anyHandlerNames[kindExit], h.anyExit, ts); err != nil {
				return err
			}
		}
	}
	for _, i := range c.order {
		if !m.res.exiting(before, i) {
			continue
		}
		for _, h := range handlers {
			if fn := h.negotiation(kindExit, i); fn != nil {
				if err := m.callNegotiation(tx, i, &c.states[i].handlerNames[kindExit], fn, ts); err != nil {
					return err
				}
			}
		}
	}
	for _, h := range handlers {
		if h.anyEnter != nil {
			if err := m.callNegotiation(tx, -1, &anyHandlerNames[kindEnter], h.anyEnter, ts); err != nil {
				return err
			}
		}
	}
	for _, i := range c.order {
		if !m.res.entering(c, before, mut, i) {
			continue
		}
		for _, h := range handlers {
			if fn := h.negotiation(kindEnter, i); fn != nil {
				if err := m.callNegotiation(tx, i, &c.states[i].handlerNames[kindEnter], fn, ts); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// callNegotiation runs one negotiation handler. name points into the
// compiled schema, so the watchdog can name the handler without a copy.
func (m *Machine) callNegotiation(tx *Transition, state int, name *string, fn func(*Event) bool, ts *tracerSet) error {
	call := m.handlerStarts(tx, state, name, ts)
	ok, panicked, _ := callNegotiationFn(fn, m.newEvent(tx, state, call))
	elapsed, late := m.endHandler(call)
	m.trace(ts, hookHandlerEnd, tx, *name)
	switch {
	case panicked != nil:
		tx.Steps = append(tx.Steps, Step{Type: StepHandlerPanic, State: state, Related: -1, Handler: *name})
		return fmt.Errorf("%w: %s: %v", ErrHandlerPanic, *name, panicked)
	case late:
		tx.Steps = append(tx.Steps, Step{Type: StepHandlerTimeout, State: state, Related: -1, Handler: *name})
		return m.timeoutErr(*name, elapsed)
	case !ok:
		tx.Steps = append(tx.Steps, Step{Type: StepHandlerCanceled, State: state, Related: -1, Handler: *name})
		return fmt.Errorf("%w %s", ErrHandlerCanceled, *name)
	}
	return nil
}

func (m *Machine) timeoutErr(name string, elapsed time.Duration) error {
	return fmt.Errorf("%w: %s returned after %v, past its %v deadline", ErrHandlerTimeout, name, elapsed.Round(time.Millisecond), m.wd.timeout)
}

// finalHandlers runs the End handlers of deactivated states, then the State
// handlers of activated ones. A panic or an overrun becomes an Exception,
// queued behind this transition, except while Exception itself is handled
// (see [Machine.failFinal]).
func (m *Machine) finalHandlers(c *compiled, tx *Transition, ts *tracerSet, handlers []*handlerSet) {
	if len(handlers) == 0 {
		return
	}
	for _, kind := range [...]int{kindEnd, kindState} {
		for _, i := range c.order {
			if kind == kindEnd && !tx.IsDeactivated(i) || kind == kindState && !tx.IsActivated(i) {
				continue
			}
			for _, h := range handlers {
				fn := h.final(kind, i)
				if fn == nil {
					continue
				}
				name := &c.states[i].handlerNames[kind]
				call := m.handlerStarts(tx, i, name, ts)
				panicked, stack := callFinalFn(fn, m.newEvent(tx, i, call))
				elapsed, late := m.endHandler(call)
				m.trace(ts, hookHandlerEnd, tx, *name)
				switch {
				case panicked != nil:
					tx.Steps = append(tx.Steps, Step{Type: StepHandlerPanic, State: i, Related: -1, Handler: *name})
					err := fmt.Errorf("%w: %s: %v", ErrHandlerPanic, *name, panicked)
					m.failFinal(tx, err, A{"panic": panicked, "stack": stack})
				case late:
					tx.Steps = append(tx.Steps, Step{Type: StepHandlerTimeout, State: i, Related: -1, Handler: *name})
					m.failFinal(tx, m.timeoutErr(*name, elapsed), nil)
				}
			}
		}
	}
}

// failFinal turns a failed final handler into an Exception queued behind
// tx. When tx activates Exception itself, a new Exception would run the
// same handlers again, and a handler that always fails would livelock the
// machine: the error is then only reported, as an error log entry recorded
// on tx next to the failure's step.
func (m *Machine) failFinal(tx *Transition, err error, args A) {
	if tx.IsActivated(m.schema.exception) {
		m.deliverErr(fmt.Errorf("while handling %s, not raised again: %w", Exception, err), tx.ID, true)
		return
	}
	m.addErr(nil, err, args, Source{MachineID: m.id, TxID: tx.ID})
}

// handlerStarts records a handler call and returns its number for the
// watchdog.
func (m *Machine) handlerStarts(tx *Transition, state int, namePtr *string, ts *tracerSet) uint64 {
	name := *namePtr
	tx.Handlers++
	tx.Steps = append(tx.Steps, Step{Type: StepHandler, State: state, Related: -1, Handler: name})
	if m.logEnabled(LogLevelEverything) {
		m.logTx(LogLevelEverything, tx, "[handler] "+name)
	}
	m.trace(ts, hookHandlerStart, tx, name)
	return m.beginHandler(namePtr)
}

func callNegotiationFn(fn func(*Event) bool, e *Event) (ok bool, panicked any, stack string) {
	defer func() {
		if r := recover(); r != nil {
			ok, panicked, stack = false, r, string(debug.Stack())
		}
	}()
	return fn(e), nil, ""
}

func callFinalFn(fn func(*Event), e *Event) (panicked any, stack string) {
	defer func() {
		if r := recover(); r != nil {
			panicked, stack = r, string(debug.Stack())
		}
	}()
	fn(e)
	return nil, ""
}
