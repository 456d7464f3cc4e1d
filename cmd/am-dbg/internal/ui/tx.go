package ui

import (
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// tx is one transition in a machine's history.
type tx struct {
	msg *dbg.DbgMsgTx
	// seq is the transition's position in the machine's history, from 0,
	// counting evicted transitions too.
	seq uint64
	// sch is the schema version msg's state indexes refer to.
	sch *schema
	// before are the clocks the debugger knew right before the transition,
	// in the index of beforeSch: the previous transition's clocks, or the
	// struct message's. Shared, never copied.
	before    am.Time
	beforeSch *schema
}

// change is how a transition moved one state's clock.
type change uint8

const (
	unchanged change = iota
	activated
	deactivated
	// reactivated is an active Multi state activated again: its clock moved
	// by 2.
	reactivated
)

// change says how the transition moved the named state's clock.
func (t *tx) change(name string) change {
	after := t.sch.tick(t.msg.Clocks, name)
	before := t.beforeSch.tick(t.before, name)
	switch {
	case after == before:
		return unchanged
	case after%2 == 0:
		return deactivated
	case before%2 == 1:
		return reactivated
	default:
		return activated
	}
}

// called reports whether the mutation named the state.
func (t *tx) called(name string) bool {
	i, ok := t.sch.index[name]
	if !ok {
		return false
	}
	for _, c := range t.msg.Called {
		if c == i {
			return true
		}
	}
	return false
}

// touches reports whether the transition concerns the named state: the
// mutation called it, its clock moved, or a step decided about it.
func (t *tx) touches(name string) bool {
	i, ok := t.sch.index[name]
	if !ok {
		return false
	}
	if t.called(name) || t.change(name) != unchanged {
		return true
	}
	for _, s := range t.msg.Steps {
		if s.State == i || s.Related == i {
			return true
		}
	}
	return false
}

// calledNames returns the names of the called states.
func (t *tx) calledNames() am.S {
	out := make(am.S, len(t.msg.Called))
	for i, c := range t.msg.Called {
		out[i] = t.sch.name(c)
	}
	return out
}
