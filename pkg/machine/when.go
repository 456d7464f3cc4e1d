package machine

import (
	"context"
	"fmt"
	"slices"
)

type waitKind uint8

const (
	waitActive waitKind = iota
	waitInactive
	waitTicks
	waitTime
	waitQueueDone
)

// waiter is one pending When* call. Waiters live in a list checked after
// each commit, so waiting costs no goroutine.
type waiter struct {
	kind   waitKind
	states []int
	tick   uint64 // waitTicks: the clock to reach
	ticks  Time   // waitTime: the clocks to reach, one per state
	ch     chan struct{}
	stop   func() bool // unregisters the ctx callback
}

// release closes the channel. The caller must have removed w from the
// machine's list under mu, which makes it the only closer.
func (w *waiter) release() {
	if w.stop != nil {
		w.stop()
	}
	close(w.ch)
}

func (m *Machine) ready(w *waiter) bool {
	switch w.kind {
	case waitActive:
		for _, i := range w.states {
			if m.clocks[i]%2 == 0 {
				return false
			}
		}
		return true
	case waitInactive:
		for _, i := range w.states {
			if m.clocks[i]%2 == 1 {
				return false
			}
		}
		return true
	case waitTicks:
		return m.clocks[w.states[0]] >= w.tick
	case waitTime:
		for k, i := range w.states {
			if m.clocks[i] < w.ticks[k] {
				return false
			}
		}
		return true
	case waitQueueDone:
		return !m.running
	}
	return false
}

// takeReadyWaiters removes and returns the waiters whose condition holds.
// The caller holds mu and releases them after unlocking.
func (m *Machine) takeReadyWaiters() []*waiter {
	var ready []*waiter
	m.waiters = slices.DeleteFunc(m.waiters, func(w *waiter) bool {
		if w.kind != waitQueueDone && m.ready(w) {
			ready = append(ready, w)
			return true
		}
		return false
	})
	return ready
}

// takeWaiters removes and returns the waiters of one kind. The caller holds mu.
func (m *Machine) takeWaiters(kind waitKind) []*waiter {
	var out []*waiter
	m.waiters = slices.DeleteFunc(m.waiters, func(w *waiter) bool {
		if w.kind == kind {
			out = append(out, w)
			return true
		}
		return false
	})
	return out
}

var closedCh = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// wait registers a waiter, or returns a closed channel when its condition
// already holds or the machine is disposed. A done ctx releases the waiter
// early, as does dispose; check the condition again after the channel
// closes if ctx or dispose can end the wait.
func (m *Machine) wait(ctx context.Context, w *waiter) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.disposed || m.ready(w) || ctx != nil && ctx.Err() != nil {
		return closedCh
	}
	w.ch = make(chan struct{})
	m.waiters = append(m.waiters, w)
	if ctx != nil {
		w.stop = context.AfterFunc(ctx, func() {
			m.mu.Lock()
			i := slices.Index(m.waiters, w)
			if i >= 0 {
				m.waiters = slices.Delete(m.waiters, i, i+1)
			}
			m.mu.Unlock()
			if i >= 0 {
				close(w.ch)
			}
		})
	}
	return w.ch
}

// waitStates registers a waiter on states. A wait on a state the schema
// lacks ends at once, like one on a disposed machine: its condition can
// never change, and a channel that never closes would leak its reader. The
// mistake is reported as an error entry, so a typo does not go unnoticed.
func (m *Machine) waitStates(ctx context.Context, w *waiter, states S) <-chan struct{} {
	m.mu.Lock()
	idx, unknown := m.schema.appendIndexes(nil, states)
	m.mu.Unlock()
	if unknown != "" {
		m.deliverErr(fmt.Errorf("wait on %v of %s ends at once: %w %q", states, m.id, ErrUnknownState, unknown), 0, false)
		return closedCh
	}
	w.states = idx
	return m.wait(ctx, w)
}

// When returns a channel closed once all states are active at the same
// time, or when ctx ends, or the machine is disposed. ctx may be nil.
//
// Every When* wait ends no later than the machine's dispose or its ctx,
// and a wait on a state the schema lacks ends at once, with an error entry
// in the log (see [LogEntry.Err]). A closed channel therefore does not
// prove the condition: check it again (for example with [Machine.Is])
// when dispose, ctx or a typo can end the wait.
func (m *Machine) When(states S, ctx context.Context) <-chan struct{} {
	return m.waitStates(ctx, &waiter{kind: waitActive}, states)
}

// When1 is [Machine.When] for one state.
func (m *Machine) When1(state string, ctx context.Context) <-chan struct{} {
	return m.waitStates(ctx, &waiter{kind: waitActive}, S{state})
}

// WhenNot returns a channel closed once none of the states is active, or
// when ctx ends, or the machine is disposed. See [Machine.When] for states
// the schema lacks.
func (m *Machine) WhenNot(states S, ctx context.Context) <-chan struct{} {
	return m.waitStates(ctx, &waiter{kind: waitInactive}, states)
}

// WhenErr returns a channel closed once [Exception] is active.
func (m *Machine) WhenErr(ctx context.Context) <-chan struct{} {
	return m.waitStates(ctx, &waiter{kind: waitActive}, S{Exception})
}

// WhenTime returns a channel closed once the clock of every states[k] has
// reached at least t[k], or when ctx ends, or the machine is disposed. Use
// it with a [Machine.Time] snapshot to wait for a known number of
// activations. A t whose length differs from states ends the wait at once,
// with an error entry, like an unknown state (see [Machine.When]).
func (m *Machine) WhenTime(states S, t Time, ctx context.Context) <-chan struct{} {
	if len(t) != len(states) {
		m.deliverErr(fmt.Errorf("wait on %v of %s ends at once: %d clocks for %d states", states, m.id, len(t), len(states)), 0, false)
		return closedCh
	}
	return m.waitStates(ctx, &waiter{kind: waitTime, ticks: slices.Clone(t)}, states)
}

// WhenTicks returns a channel closed once the clock of state has moved by
// at least ticks from now: 2 ticks is one full activation and deactivation,
// or one Multi re-activation.
func (m *Machine) WhenTicks(state string, ticks uint64, ctx context.Context) <-chan struct{} {
	m.mu.Lock()
	i, ok := m.schema.index[state]
	var now uint64
	if ok {
		now = m.clocks[i]
	}
	m.mu.Unlock()
	if !ok {
		return m.waitStates(ctx, &waiter{kind: waitTicks}, S{state})
	}
	return m.wait(ctx, &waiter{kind: waitTicks, states: []int{i}, tick: now + ticks})
}

// WhenQueueDone returns a channel closed once the machine is idle: no
// transition runs and the queue is empty.
func (m *Machine) WhenQueueDone(ctx context.Context) <-chan struct{} {
	return m.wait(ctx, &waiter{kind: waitQueueDone})
}

// WhenDisposed returns a channel closed once the machine is disposed.
func (m *Machine) WhenDisposed() <-chan struct{} { return m.disposedCh }

// stateCtx is the context of one activation of a state.
type stateCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
	tick   uint64
}

// NewStateCtx returns a context canceled when the current activation of
// state ends: when it deactivates, re-activates (Multi), or the machine is
// disposed. For an inactive or unknown state it returns a canceled context.
// Handlers use it to stop goroutines that belong to an activation.
func (m *Machine) NewStateCtx(state string) context.Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.schema.index[state]
	if !ok || m.clocks[i]%2 == 0 || m.disposed {
		ctx, cancel := context.WithCancel(m.ctx)
		cancel()
		return ctx
	}
	if sc, ok := m.stateCtxs[i]; ok && sc.tick == m.clocks[i] {
		return sc.ctx
	}
	ctx, cancel := context.WithCancel(m.ctx)
	if m.stateCtxs == nil {
		m.stateCtxs = map[int]stateCtx{}
	}
	m.stateCtxs[i] = stateCtx{ctx: ctx, cancel: cancel, tick: m.clocks[i]}
	return ctx
}
