package machine

import "strings"

// S is a list of state names.
type S = []string

// A holds the arguments of a mutation. Handlers read them from [Event.Args].
// Values are never logged or exported unless their key is listed in
// [Opts.LoggableArgs], because args may carry secrets or large values.
type A = map[string]any

// Time is a list of state clocks in index order (see [Machine.StateNames]).
type Time = []uint64

// Clock maps state names to their clocks.
type Clock = map[string]uint64

// Exception is the error state. Every machine has it, first in the index,
// and it is always Multi: each new error re-activates it.
const Exception = "Exception"

// Result is the outcome of a mutation call.
type Result uint8

const (
	// Executed means the transition ran and was accepted.
	Executed Result = iota + 1
	// Canceled means the transition was rejected: by the relations, by a
	// negotiation handler, because of unknown states, or because the machine
	// is disposed. [Machine.LastCancel] and the [Transition] tell why.
	Canceled
	// Queued means the mutation waits behind the running transition. Use
	// [Machine.WhenQueueDone] or [Machine.WhenTicks] to wait for it.
	Queued
)

// String returns the lower-case name of the result.
func (r Result) String() string {
	switch r {
	case Executed:
		return "executed"
	case Canceled:
		return "canceled"
	case Queued:
		return "queued"
	}
	return "unknown"
}

// MutationType says how a mutation changes the set of active states.
type MutationType uint8

const (
	// MutationAdd activates the called states and keeps the others.
	MutationAdd MutationType = iota + 1
	// MutationRemove deactivates the called states.
	MutationRemove
	// MutationSet activates exactly the called states (and what they imply)
	// and deactivates all others.
	MutationSet
)

// String returns the lower-case name of the mutation type, as used in logs
// and span names ("add", "remove", "set").
func (t MutationType) String() string {
	switch t {
	case MutationAdd:
		return "add"
	case MutationRemove:
		return "remove"
	case MutationSet:
		return "set"
	}
	return "unknown"
}

// Source links a mutation to the transition whose handler issued it. It is
// set by the Ev* mutation methods (for example [Machine.EvAdd]), which take
// the handler's [Event], and is empty otherwise.
type Source struct {
	// MachineID is the ID of the machine whose handler issued the mutation.
	MachineID string
	// TxID is the [Transition.ID] within that machine.
	TxID uint64
}

// IsZero reports whether the source is empty (the mutation did not come from
// a handler).
func (s Source) IsZero() bool { return s.MachineID == "" }

// Mutation is a request to change a machine's states.
type Mutation struct {
	// Type is add, remove or set.
	Type MutationType
	// Called lists the indexes of the called states, without duplicates, in
	// the order they were given.
	Called []int
	// Args are the mutation's arguments, passed to handlers.
	Args A
	// Auto is true for the follow-up transition that activates auto states.
	Auto bool
	// Source is the transition that issued this mutation, if known.
	Source Source
}

// String formats the mutation like the logs do, for example "[add] Foo Bar",
// with names resolved against the given index.
func (m *Mutation) String(index S) string {
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(m.Type.String())
	b.WriteByte(']')
	for _, i := range m.Called {
		b.WriteByte(' ')
		b.WriteString(index[i])
	}
	return b.String()
}
