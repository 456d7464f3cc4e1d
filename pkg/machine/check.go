package machine

import (
	"fmt"
	"slices"
	"time"
)

// CanAdd reports the result [Machine.Add] would get from the relations
// now: [Executed] when they accept the mutation, [Canceled] when they
// reject it. It is a dry run: no handler runs, no clock moves, nothing is
// queued, so negotiation handlers may still veto the real mutation, and a
// busy machine may resolve it against other clocks by the time it runs.
// [Machine.Check] tells why a mutation would be canceled. Tracers see the
// check as a transition with [Transition.CheckOnly] set.
func (m *Machine) CanAdd(states S, args A) Result {
	return checkResult(m.check(MutationAdd, states, args))
}

// CanAdd1 is [Machine.CanAdd] for one state.
func (m *Machine) CanAdd1(state string, args A) Result {
	return checkResult(m.check(MutationAdd, S{state}, args))
}

// CanRemove is [Machine.CanAdd] for [Machine.Remove].
func (m *Machine) CanRemove(states S, args A) Result {
	return checkResult(m.check(MutationRemove, states, args))
}

// CanRemove1 is [Machine.CanRemove] for one state.
func (m *Machine) CanRemove1(state string, args A) Result {
	return checkResult(m.check(MutationRemove, S{state}, args))
}

// CanSet is [Machine.CanAdd] for [Machine.Set].
func (m *Machine) CanSet(states S, args A) Result {
	return checkResult(m.check(MutationSet, states, args))
}

// Check is the dry run behind [Machine.CanAdd], [Machine.CanRemove] and
// [Machine.CanSet]: it returns nil when the relations accept the mutation,
// and otherwise the error the mutation would be canceled with (wrapping
// [ErrUnknownState], [ErrConflict], [ErrRequirement] or [ErrDisposed]).
// Unlike a canceled mutation it leaves [Machine.LastCancel] alone.
func (m *Machine) Check(typ MutationType, states S, args A) error {
	return m.check(typ, states, args).Err
}

func checkResult(tx *Transition) Result {
	if tx.Accepted {
		return Executed
	}
	return Canceled
}

// check resolves a mutation against the current clocks with a resolver of
// its own, so it can run in any goroutine, next to a running transition.
func (m *Machine) check(typ MutationType, states S, args A) *Transition {
	m.mu.Lock()
	c, disposing, ts := m.schema, m.disposing, m.tracing
	before := slices.Clone(m.clocks)
	queueLen := len(m.queue) - m.queueHead
	m.mu.Unlock()

	tx := &Transition{
		MachineID:  m.id,
		Machine:    m,
		CheckOnly:  true,
		QueueLen:   queueLen,
		Start:      time.Now(),
		index:      c.names,
		TimeBefore: before,
		TimeAfter:  before,
	}
	called, unknown := c.appendIndexes(tx.calledBuf[:0], states)
	tx.Mutation = Mutation{Type: typ, Args: args, Called: called}
	switch {
	case disposing:
		tx.Err = mutationErr(typ, slices.Clone(states), ErrDisposed)
	case typ < MutationAdd || typ > MutationSet:
		tx.Err = fmt.Errorf("check %v: unknown mutation type %d", states, typ)
	case unknown != "":
		tx.Err = mutationErr(typ, slices.Clone(states), fmt.Errorf("%w %q", ErrUnknownState, unknown))
	default:
		var r resolver
		tx.Steps = tx.stepsBuf[:0]
		tx.Err = r.resolve(c, before, &tx.Mutation, tx)
	}
	tx.Accepted = tx.Err == nil
	// a disposed machine's tracers have seen MachineDispose already
	if disposing || !ts.any {
		tx.End = time.Now()
		return tx
	}
	m.trace(ts, hookTransitionInit, tx, "")
	tx.End = time.Now()
	m.trace(ts, hookTransitionEnd, tx, "")
	return tx
}
