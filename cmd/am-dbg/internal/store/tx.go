package store

import (
	"slices"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Tx is one transition in a machine's history. A Tx never changes once
// the store made it, so it can be read without the store's lock, and
// kept after the store evicted it.
type Tx struct {
	// Msg is the transition as the client sent it.
	Msg *dbg.DbgMsgTx
	// Seq is the transition's position in the machine's history, from 0,
	// counting evicted transitions too.
	Seq uint64
	// Schema is the schema version Msg's state indexes refer to.
	Schema *Schema
	// Before are the clocks the debugger knew right before the
	// transition, in the index of BeforeSchema: the previous transition's
	// clocks, or the struct message's. Shared, never copied.
	Before       am.Time
	BeforeSchema *Schema
	// size is what the transition is accounted as, in bytes, including
	// schema versions only it keeps alive.
	size int64
}

// Change is how a transition moved one state's clock.
type Change uint8

const (
	// Unchanged is a clock the transition did not move.
	Unchanged Change = iota
	// Activated is a state the transition activated.
	Activated
	// Deactivated is a state the transition deactivated.
	Deactivated
	// Reactivated is an active Multi state activated again: its clock
	// moved by 2.
	Reactivated
)

// Change says how the transition moved the named state's clock.
func (t *Tx) Change(name string) Change {
	after := t.Schema.Tick(t.Msg.Clocks, name)
	before := t.BeforeSchema.Tick(t.Before, name)
	switch {
	case after == before:
		return Unchanged
	case after%2 == 0:
		return Deactivated
	case before%2 == 1:
		return Reactivated
	default:
		return Activated
	}
}

// Called reports whether the mutation named the state.
func (t *Tx) Called(name string) bool {
	i, ok := t.Schema.Index[name]
	if !ok {
		return false
	}
	for _, c := range t.Msg.Called {
		if c == i {
			return true
		}
	}
	return false
}

// Touches reports whether the transition concerns the named state: the
// mutation called it, its clock moved, or a step decided about it.
func (t *Tx) Touches(name string) bool {
	i, ok := t.Schema.Index[name]
	if !ok {
		return false
	}
	if t.Called(name) || t.Change(name) != Unchanged {
		return true
	}
	for _, s := range t.Msg.Steps {
		if s.State == i || s.Related == i {
			return true
		}
	}
	return false
}

// CalledNames returns the names of the called states.
func (t *Tx) CalledNames() am.S {
	out := make(am.S, len(t.Msg.Called))
	for i, c := range t.Msg.Called {
		out[i] = t.Schema.Name(c)
	}
	return out
}

// Empty reports whether the transition was accepted and changed no
// clock: every called state was already as the mutation asked.
func (t *Tx) Empty() bool {
	if !t.Msg.Accepted {
		return false
	}
	if t.Schema == t.BeforeSchema {
		return slices.Equal(t.Before, t.Msg.Clocks)
	}
	for _, name := range t.Schema.Names() {
		if t.Change(name) != Unchanged {
			return false
		}
	}
	return true
}

// StepDurations returns how long the handler of each step ran, parallel
// to Msg.Steps: the duration at each [am.StepHandler] step, 0 at the
// others. It returns nil when the client did not time the handlers
// ([dbg.DbgMsgTx.HandlerDurations]), or sent durations that do not pair
// with the handler steps.
func (t *Tx) StepDurations() []time.Duration {
	durations := t.Msg.HandlerDurations
	if len(durations) == 0 {
		return nil
	}
	out := make([]time.Duration, len(t.Msg.Steps))
	n := 0
	for i, s := range t.Msg.Steps {
		if s.Type != am.StepHandler {
			continue
		}
		if n == len(durations) {
			return nil
		}
		out[i] = durations[n]
		n++
	}
	if n != len(durations) {
		return nil
	}
	return out
}

// Stuck returns the handlers of the transition that overran their
// timeout ([am.StepHandlerTimeout]), in the order they ran.
func (t *Tx) Stuck() []string {
	var out []string
	for _, s := range t.Msg.Steps {
		if s.Type == am.StepHandlerTimeout {
			out = append(out, s.Handler)
		}
	}
	return out
}

// Failed reports whether the transition went wrong beyond being
// canceled: it activated Exception, or a handler panicked or overran its
// timeout.
func (t *Tx) Failed() bool {
	for _, s := range t.Msg.Steps {
		if s.Type == am.StepHandlerPanic || s.Type == am.StepHandlerTimeout {
			return true
		}
	}
	c := t.Change(am.Exception)
	return c == Activated || c == Reactivated
}
