package store

import (
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Machine is what the store keeps about one machine. Its methods need
// the store's read lock ([Store.RLock]); a Machine the store evicted
// stays readable, with an empty history, and reports [Machine.Evicted].
type Machine struct {
	id     string
	parent string
	tags   []string
	sch    *Schema
	// clocks are the latest clocks known, in the index of sch: what the
	// next transition starts from.
	clocks am.Time
	hist   History
	// live is true while the connection the machine last reported through
	// is open.
	live bool
	conn string
	// disposed is true once the client said the machine was disposed,
	// whatever became of the connection.
	disposed bool
	evicted  bool
	// size is what the machine's own data is accounted as: its ID, tags,
	// clocks, current schema and history ring, without its transitions.
	size int64
	// orderIdx is the machine's index in the store's order.
	orderIdx int
	// queued is true while the machine is in the budget's queue of
	// disposed machines.
	queued bool
	stuck  *Stuck
}

// Stuck is a handler that ran past its machine's handler timeout and, as
// far as the debugger knows, runs still: the client reported it
// ([dbg.DbgMsgHandlerTimeout]) and no transition of the machine arrived
// since. A handler that never returns never ends its transition, so this
// is all there is to show of it.
type Stuck struct {
	// Handler is the handler's method name, as the client sent it.
	Handler string
	// TxID is the ID of the transition running the handler.
	TxID uint64
	// Elapsed is how long the handler had run when the client saw the
	// timeout.
	Elapsed time.Duration
	// Time is when the client saw the timeout, by the client's clock.
	Time time.Time
}

// Life is how a machine's life stands, as far as the debugger can tell.
type Life uint8

const (
	// Running is a machine whose client is connected.
	Running Life = iota
	// Disposed is a machine its client said was disposed.
	Disposed
	// Gone is a machine whose client went away without disposing it: the
	// process may have crashed, or a recording ended.
	Gone
)

// ID returns the machine's ID.
func (m *Machine) ID() string { return m.id }

// Parent returns the parent machine's ID, or "".
func (m *Machine) Parent() string { return m.parent }

// Tags returns the machine's tags.
func (m *Machine) Tags() []string { return m.tags }

// Schema returns the newest schema version.
func (m *Machine) Schema() *Schema { return m.sch }

// Clocks returns the newest clocks known, in the index of [Machine.Schema].
func (m *Machine) Clocks() am.Time { return m.clocks }

// History returns the machine's kept transitions.
func (m *Machine) History() *History { return &m.hist }

// Live reports whether the connection the machine last reported through
// is open.
func (m *Machine) Live() bool { return m.live }

// Disposed reports whether the client said the machine was disposed.
func (m *Machine) Disposed() bool { return m.disposed }

// Evicted reports whether the memory budget removed the machine from the
// store. A later message with its ID makes a new Machine.
func (m *Machine) Evicted() bool { return m.evicted }

// Stuck returns the handler stuck in the machine now, or nil. A
// transition of the machine arriving clears it: the machine runs one
// transition at a time, so the handler has returned, or the machine was
// started again. So does a new machine reusing the ID after a disposal.
// A disposed machine or one whose client went away keeps it, as the
// handler may be why.
func (m *Machine) Stuck() *Stuck { return m.stuck }

// Life returns how the machine's life stands.
func (m *Machine) Life() Life {
	switch {
	case m.disposed:
		return Disposed
	case m.live:
		return Running
	default:
		return Gone
	}
}
