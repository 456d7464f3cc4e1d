package machine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Add activates states, with their Add relations, and keeps the others
// active unless a relation removes them.
func (m *Machine) Add(states S, args A) Result {
	return m.mutate(MutationAdd, states, args, Source{})
}

// Add1 is [Machine.Add] for one state.
func (m *Machine) Add1(state string, args A) Result {
	return m.mutate(MutationAdd, S{state}, args, Source{})
}

// Remove deactivates states, and the active states that require them.
func (m *Machine) Remove(states S, args A) Result {
	return m.mutate(MutationRemove, states, args, Source{})
}

// Remove1 is [Machine.Remove] for one state.
func (m *Machine) Remove1(state string, args A) Result {
	return m.mutate(MutationRemove, S{state}, args, Source{})
}

// Set activates exactly states (and what they imply) and deactivates all
// others.
func (m *Machine) Set(states S, args A) Result {
	return m.mutate(MutationSet, states, args, Source{})
}

// Toggle removes states when all of them are active, and adds them
// otherwise. It decides from the states active when it is called, also
// when the mutation is queued.
func (m *Machine) Toggle(states S, args A) Result {
	if m.Is(states) {
		return m.mutate(MutationRemove, states, args, Source{})
	}
	return m.mutate(MutationAdd, states, args, Source{})
}

// Toggle1 is [Machine.Toggle] for one state.
func (m *Machine) Toggle1(state string, args A) Result {
	if m.Is1(state) {
		return m.mutate(MutationRemove, S{state}, args, Source{})
	}
	return m.mutate(MutationAdd, S{state}, args, Source{})
}

// ErrArg is the key of the error in the args of an [Exception] activation.
const ErrArg = "err"

// AddErr activates [Exception] with err under the [ErrArg] key of a copy of
// args, and makes err the machine's [Machine.Err]. A nil err is replaced by
// an error saying so, so Exception always carries one.
func (m *Machine) AddErr(err error, args A) Result {
	return m.addErr(nil, err, args, Source{})
}

// AddErrState activates state together with [Exception], for schemas that
// type their errors as states (for example ErrNetwork requiring Exception).
func (m *Machine) AddErrState(state string, err error, args A) Result {
	return m.addErr(S{state}, err, args, Source{})
}

func (m *Machine) addErr(states S, err error, args A, src Source) Result {
	if err == nil {
		err = errors.New("AddErr called with a nil error")
	}
	a := make(A, len(args)+1)
	maps.Copy(a, args)
	a[ErrArg] = err
	m.mu.Lock()
	if !m.disposing {
		m.err = err
	}
	m.mu.Unlock()
	if m.logEnabled(LogLevelChanges) {
		m.log(LogLevelChanges, "[error] %v", err)
	}
	return m.mutate(MutationAdd, append(states, Exception), a, src)
}

// EvAdd is [Machine.Add] called from a handler: the mutation records the
// handler's transition as its [Mutation.Source], which traces and the
// debugger use to link cause and effect, also across machines.
func (m *Machine) EvAdd(e *Event, states S, args A) Result {
	return m.mutate(MutationAdd, states, args, e.source())
}

// EvAdd1 is [Machine.EvAdd] for one state.
func (m *Machine) EvAdd1(e *Event, state string, args A) Result {
	return m.mutate(MutationAdd, S{state}, args, e.source())
}

// EvRemove is [Machine.Remove] called from a handler; see [Machine.EvAdd].
func (m *Machine) EvRemove(e *Event, states S, args A) Result {
	return m.mutate(MutationRemove, states, args, e.source())
}

// EvRemove1 is [Machine.EvRemove] for one state.
func (m *Machine) EvRemove1(e *Event, state string, args A) Result {
	return m.mutate(MutationRemove, S{state}, args, e.source())
}

// EvAddErr is [Machine.AddErr] called from a handler; see [Machine.EvAdd].
func (m *Machine) EvAddErr(e *Event, err error, args A) Result {
	return m.addErr(nil, err, args, e.source())
}

// queued is one entry of the machine's queue: a mutation, or an operation
// that must not race with transitions (binding, schema changes, dispose).
type queued struct {
	mut Mutation
	// rejected is set for a mutation already known to fail, so that it
	// reaches tracers in queue order.
	rejected error
	op       func()
}

// mutate runs a mutation now if the machine is idle, or queues it. states
// never escapes to the heap, so that Add1's one-element slice costs nothing.
func (m *Machine) mutate(typ MutationType, states S, args A, src Source) Result {
	m.mu.Lock()
	if m.disposing {
		err := mutationErr(typ, slices.Clone(states), ErrDisposed)
		m.cancelErr = err
		m.mu.Unlock()
		if m.logEnabled(LogLevelOps) {
			m.log(LogLevelOps, "[cancel] %v", err)
		}
		return Canceled
	}
	var buf [8]int
	called, unknown := m.schema.appendIndexes(buf[:0], states)
	var rejected error
	if unknown != "" {
		rejected = mutationErr(typ, slices.Clone(states), fmt.Errorf("%w %q", ErrUnknownState, unknown))
	}
	if m.running && len(m.queue)-m.queueHead >= m.queueLimit {
		return m.rejectQueueFull(typ, states, args)
	}
	if m.running {
		// the queue outlives this call: copy what lives on the stack
		mut := Mutation{Type: typ, Args: args, Source: src, Called: slices.Clone(called)}
		m.enqueue(queued{mut: mut, rejected: rejected})
		n := len(m.queue) - m.queueHead
		tracers := m.tracing.byHook[hookMutationQueued]
		m.mu.Unlock()
		if len(tracers) > 0 || m.logEnabled(LogLevelEverything) {
			// a copy, so that mut stays off the heap when nobody looks
			m.queued(tracers, &Mutation{Type: typ, Args: args, Source: src, Called: mut.Called}, n)
		}
		return Queued
	}
	m.running = true
	m.mu.Unlock()
	res := m.runMutation(&Mutation{Type: typ, Args: args, Source: src}, called, rejected)
	m.drain()
	return res
}

// rejectQueueFull cancels a mutation that finds the queue full. Its record
// reaches tracers from the caller's goroutine, since the runner is busy and
// queueing it is what the limit forbids; see [Transition.OffQueue]. The
// caller holds mu, which rejectQueueFull releases.
func (m *Machine) rejectQueueFull(typ MutationType, states S, args A) Result {
	err := mutationErr(typ, slices.Clone(states), fmt.Errorf("%w: %d entries", ErrQueueFull, m.queueLimit))
	m.cancelErr = err
	ts := m.tracing
	var tx *Transition
	if ts.any {
		c := m.schema
		called, _ := c.appendIndexes(nil, states)
		now := time.Now()
		tx = &Transition{
			MachineID: m.id,
			Machine:   m,
			Mutation:  Mutation{Type: typ, Args: args, Called: called},
			Err:       err,
			QueueLen:  len(m.queue) - m.queueHead,
			Start:     now,
			End:       now,
			index:     c.names,
		}
		tx.TimeBefore = slices.Clone(m.clocks)
		tx.TimeAfter = tx.TimeBefore
	}
	m.mu.Unlock()
	if tx != nil {
		m.trace(ts, hookTransitionInit, tx, "")
		m.trace(ts, hookTransitionEnd, tx, "")
	}
	if m.logEnabled(LogLevelOps) {
		m.log(LogLevelOps, "[cancel] %v", err)
	}
	return Canceled
}

func mutationErr(typ MutationType, states S, err error) error {
	return fmt.Errorf("%s %v: %w", typ, states, err)
}

// serialize runs fn now if the machine is idle, or queues it behind the
// running transition, so fn never races with handlers or tracer hooks.
func (m *Machine) serialize(fn func()) {
	m.mu.Lock()
	if m.running {
		m.enqueue(queued{op: fn})
		m.mu.Unlock()
		return
	}
	m.running = true
	m.mu.Unlock()
	fn()
	m.drain()
}

// enqueue appends an entry. The queue is a slice whose head moves as the
// runner takes entries; before it grows, the waiting entries move to its
// front, so a queue that never empties still uses no more than about twice
// the memory of what waits in it. The caller holds mu.
func (m *Machine) enqueue(item queued) {
	if len(m.queue) == cap(m.queue) && m.queueHead > 0 {
		n := copy(m.queue, m.queue[m.queueHead:])
		clear(m.queue[n:])
		m.queue, m.queueHead = m.queue[:n], 0
	}
	m.queue = append(m.queue, item)
}

func (m *Machine) queued(tracers []Tracer, mut *Mutation, n int) {
	for _, t := range tracers {
		m.callTracer(t, "MutationQueued", func() { t.MutationQueued(m, mut, n) })
	}
	if m.logEnabled(LogLevelEverything) {
		m.log(LogLevelEverything, "[queue] %s (%d waiting)", mut.String(m.StateNames()), n)
	}
}

// drain runs queued entries until the queue is empty, then marks the
// machine idle. Only the goroutine that set running calls it.
func (m *Machine) drain() {
	for {
		m.mu.Lock()
		if m.queueHead == len(m.queue) {
			if tracers := m.tracing.byHook[hookQueueEnd]; len(tracers) > 0 {
				m.mu.Unlock()
				for _, t := range tracers {
					m.callTracer(t, "QueueEnd", func() { t.QueueEnd(m) })
				}
				m.mu.Lock()
			}
			if m.queueHead == len(m.queue) {
				m.queue, m.queueHead = m.queue[:0], 0
				m.running = false
				var waiters []*waiter
				if len(m.waiters) > 0 {
					waiters = m.takeWaiters(waitQueueDone)
				}
				m.mu.Unlock()
				for _, w := range waiters {
					w.release()
				}
				return
			}
		}
		item := m.queue[m.queueHead]
		m.queue[m.queueHead] = queued{}
		m.queueHead++
		m.mu.Unlock()
		if item.op != nil {
			item.op()
		} else {
			m.runMutation(&item.mut, item.mut.Called, item.rejected)
		}
	}
}

// runMutation executes one mutation, with its called states in called,
// then the auto transitions it enables. It retains neither.
func (m *Machine) runMutation(mut *Mutation, called []int, rejected error) Result {
	// Only the runner sets disposed (Dispose is serialized), and runners
	// hand over under mu, so the runner reads it without the lock.
	if m.disposed {
		err := fmt.Errorf("%s: %w", mut.Type, ErrDisposed)
		m.mu.Lock()
		m.cancelErr = err
		m.mu.Unlock()
		if m.logEnabled(LogLevelOps) {
			m.log(LogLevelOps, "[cancel] %v", err)
		}
		return Canceled
	}
	if !m.transition(mut, called, rejected).Accepted {
		return Canceled
	}
	m.runAuto()
	return Executed
}

// maxAutoChain bounds how many accepted auto transitions may follow each
// other, so a schema whose auto states keep displacing each other cannot
// loop forever.
const maxAutoChain = 10

// runAuto activates the auto states that can activate, in follow-up
// transitions marked auto, until none can or the chain limit is reached.
// An auto state that the resolution drops, or whose handler vetoes the
// auto transition, is left out of the rest of the chain, and the others
// are tried again without it; each attempt is a transition of its own, so
// tracers see why a state did not activate. None of this touches the
// caller's result or [Machine.LastCancel].
func (m *Machine) runAuto() {
	// Only the runner replaces the schema (SetSchema is serialized), so it
	// reads m.schema without the lock.
	if !m.schema.hasAuto {
		return
	}
	var skip []int
	for accepted := 0; accepted < maxAutoChain; {
		m.mu.Lock()
		called := m.autoCandidates(skip)
		m.mu.Unlock()
		if len(called) == 0 {
			return
		}
		tx := m.transition(&Mutation{Type: MutationAdd, Auto: true}, called, nil)
		skip = appendDropped(skip, tx)
		if !tx.Accepted {
			culprit := blame(tx)
			if culprit < 0 {
				return
			}
			skip = append(skip, culprit)
			continue
		}
		if !tx.changed() {
			return
		}
		accepted++
	}
	if m.logEnabled(LogLevelOps) {
		m.log(LogLevelOps, "[auto] stopped after %d auto transitions in a row", maxAutoChain)
	}
}

// appendDropped appends to skip the called states of an auto transition
// that its resolution dropped.
func appendDropped(skip []int, tx *Transition) []int {
	for _, s := range tx.Steps {
		if (s.Type == StepDropped || s.Type == StepRemoved) && slices.Contains(tx.Mutation.Called, s.State) {
			skip = append(skip, s.State)
		}
	}
	return skip
}

// blame returns the called state of a canceled auto transition that led to
// the handler which canceled it: the handler's own state, or the called
// state that implied it, removed it, or removed what it required. It
// returns -1 when no called state is to blame (AnyEnter, AnyExit).
func blame(tx *Transition) int {
	state := -1
	for _, s := range tx.Steps {
		switch s.Type {
		case StepHandlerCanceled, StepHandlerPanic, StepHandlerTimeout:
			state = s.State
		}
	}
	// each step names its cause; following at most len(Steps) causes
	// cannot loop
	for range len(tx.Steps) + 1 {
		if state < 0 || slices.Contains(tx.Mutation.Called, state) {
			return state
		}
		cause := -1
		for _, s := range tx.Steps {
			if s.State == state && (s.Type == StepImplied || s.Type == StepRemoved || s.Type == StepRequirementLost) {
				cause = s.Related
				break
			}
		}
		state = cause
	}
	return -1
}

// changed reports whether any clock moved.
func (tx *Transition) changed() bool {
	return !slices.Equal(tx.TimeBefore, tx.TimeAfter)
}

// autoCandidates returns the inactive auto states, except those in skip,
// that can activate without displacing an active state: requirements
// active, no Remove relation between them and an active state. Among
// candidates that conflict, the lower index wins. The caller holds mu.
func (m *Machine) autoCandidates(skip []int) []int {
	c := m.schema
	var out []int
	active := func(i int) bool { return m.clocks[i]%2 == 1 || slices.Contains(out, i) }
	for i := range c.states {
		st := &c.states[i]
		if !st.auto || m.clocks[i]%2 == 1 || slices.Contains(skip, i) {
			continue
		}
		ok := true
		for _, r := range st.require {
			if m.clocks[r]%2 == 0 {
				ok = false
				break
			}
		}
		for _, r := range st.remove {
			ok = ok && !active(r)
		}
		for _, r := range st.removedBy {
			ok = ok && !active(r)
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}
