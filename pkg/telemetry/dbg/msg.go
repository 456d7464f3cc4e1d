package dbg

import (
	"encoding"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// ProtocolVersion is the version of the wire protocol that this package
// sends: [Batch], the message types and their binary encoding. Version 2
// added [DbgMsgDispose], version 3 [DbgMsgHandlerTimeout], dry runs
// ([DbgMsgTx.CheckOnly]) and [DbgMsgTx.HandlerDurations]; an older batch
// is the same without them.
const ProtocolVersion = 3

// MinProtocolVersion is the oldest version a decoder accepts. Batches of
// versions from MinProtocolVersion to [ProtocolVersion] decode; others fail
// with [ErrVersion], so an older server refuses a newer client outright
// instead of failing on a message kind it does not know.
const MinProtocolVersion = 1

// ServiceMethod is the net/rpc method a client calls with a [*Batch] and an
// [*Ack].
const ServiceMethod = "Dbg.Send"

// AuthMethod is the net/rpc method a client calls with an [*Auth] and an
// [*Ack] on each new connection, before any batch, when it has a token
// ([Opts.Token]) for a server that requires one.
const AuthMethod = "Dbg.Auth"

// DbgMsg is a message about one machine: a [*DbgMsgStruct], a [*DbgMsgTx],
// a [*DbgMsgDispose] or a [*DbgMsgHandlerTimeout]. The set is closed;
// consumers switch on the type.
// Each encodes to the binary form described in the package documentation, with
// AppendBinary, MarshalBinary and UnmarshalBinary.
type DbgMsg interface {
	// MachID returns the ID of the machine the message is about.
	MachID() string
	encoding.BinaryAppender
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
	kind() byte
}

// DbgMsgStruct describes a machine: its identity, where it sits in the
// machine tree, and its schema. It is sent when the client first sees the
// machine, after each schema change, and again on every new connection.
type DbgMsgStruct struct {
	// MachineID is the machine's ID ([am.Machine.ID]).
	MachineID string
	// ParentID is the ID of the parent machine, or "" for a root machine
	// ([am.Machine.ParentID]).
	ParentID string
	// Tags are the machine's tags ([am.Machine.Tags]).
	Tags []string
	// StateNames is the state index ([am.Machine.StateNames]): the order of
	// the clocks in [DbgMsgTx.Clocks], and what every state index in a
	// transition refers to. Exception is always present.
	StateNames am.S
	// Schema is the machine's schema with all relations (Require, Add,
	// Remove, After), the Auto and Multi flags and the state tags
	// ([am.Machine.Schema]).
	Schema am.Schema
	// Groups maps a group name to its states, in index order, so a debugger
	// can fold related states: the machine's [am.Machine.Groups]. Nil when
	// the machine has no groups.
	Groups map[string]am.S
	// Clocks are all the machine's clocks, in index order, when the message
	// was made. A debugger that missed earlier transitions starts from
	// them; every [DbgMsgTx] carries the full clocks again.
	Clocks am.Time
}

// MachID returns MachineID.
func (m *DbgMsgStruct) MachID() string { return m.MachineID }

func (*DbgMsgStruct) kind() byte { return kindStruct }

// DbgMsgTx describes one transition, accepted or canceled, as it ended.
// State indexes refer to [DbgMsgStruct.StateNames] of the same machine.
type DbgMsgTx struct {
	// MachineID is the ID of the machine that ran the transition.
	MachineID string
	// ID numbers the machine's transitions from 1 ([am.Transition.ID]).
	// MachineID and ID identify a transition. IDs of one machine arrive in
	// increasing order; a gap means dropped messages. It is 0 for a record
	// that never ran on the machine's queue ([am.Transition.OffQueue]): a
	// dry run (CheckOnly), or a mutation refused because the queue was
	// full. Those may arrive between any two transitions.
	ID uint64
	// Clocks are all the machine's clocks right after the transition, in
	// index order: equal to what [am.Machine.Time] returned at that moment.
	// For a canceled transition they are the unchanged clocks.
	Clocks am.Time
	// QueueTick counts the mutations the machine had queued (rather than run
	// at once), as seen by the client since it started observing the
	// machine, up to the end of this transition. A mutation queued at
	// QueueTick n runs in a later transition whose QueueTick is at least n.
	// The machine keeps no queue counter of its own, so the client counts.
	QueueTick uint64
	// QueueLen is the number of mutations waiting in the machine's queue
	// when the transition started ([am.Transition.QueueLen]).
	QueueLen int
	// Type is the mutation type: add, remove or set.
	Type am.MutationType
	// Called are the indexes of the states the mutation named, in the
	// order given.
	Called []int
	// Args are the mutation's args that the machine marks loggable
	// ([am.Opts.LoggableArgs]), formatted and cut to 256 bytes by
	// [am.Machine.LoggableArgs]. Other args never leave the process. Nil
	// when there are none.
	Args map[string]string
	// Auto is true for a transition the machine made by itself to activate
	// auto states.
	Auto bool
	// CheckOnly marks a dry run ([am.Transition.CheckOnly], from
	// [am.Machine.CanAdd] and the like): the mutation was resolved against
	// the relations, no handler ran and no clock moved. Accepted says
	// whether the relations would take it, Err why not. Protocol version
	// 3 and later; always false before.
	CheckOnly bool
	// Source is the transition whose handler issued the mutation, possibly
	// on another machine, or zero when unknown ([am.Mutation.Source]).
	Source am.Source
	// Steps are the transition's decisions, in order: requested states,
	// relations applied, requirements dropped, handlers run or canceling
	// ([am.Transition.Steps]).
	Steps []am.Step
	// LogsBefore are the machine's log entries made since the previous
	// transition ended, outside any transition (for example the user's own
	// [am.Machine.Log] lines), at most [Opts.MaxLogsBefore] of them.
	// Entries are only made at or below the machine's log level.
	LogsBefore []am.LogEntry
	// Logs are the log entries made while the transition ran
	// ([am.Transition.Logs]).
	Logs []am.LogEntry
	// Accepted is true when the transition committed; false when it was
	// canceled.
	Accepted bool
	// Err says why a canceled transition was canceled; "" when accepted.
	Err string
	// Start and End are when the transition started and ended, to the
	// nanosecond, in local time.
	Start, End time.Time
	// HandlerDurations are how long the transition's handlers ran, in the
	// order they ran: the i-th is that of the i-th [am.StepHandler] step
	// in Steps. The tracer times handlers only while it is connected to a
	// debugger, so it is nil for a transition during which it was not,
	// and for a transition without handlers. Protocol version 3 and
	// later; a decoder does not check that it pairs with the steps.
	HandlerDurations []time.Duration
}

// MachID returns MachineID.
func (m *DbgMsgTx) MachID() string { return m.MachineID }

func (*DbgMsgTx) kind() byte { return kindTx }

// DbgMsgDispose says that a machine was disposed ([am.Machine.Dispose]).
// It follows the machine's last transition, and nothing of the machine
// follows it; a later message with the same MachineID is about a new
// machine reusing the ID, and starts with its struct message. A machine
// whose client went away without this message was not disposed as far as
// a debugger can tell: the process may have crashed. Protocol version 2
// and later.
type DbgMsgDispose struct {
	// MachineID is the ID of the disposed machine.
	MachineID string
	// Time is when the client saw the disposal, to the nanosecond, in
	// local time.
	Time time.Time
}

// MachID returns MachineID.
func (m *DbgMsgDispose) MachID() string { return m.MachineID }

func (*DbgMsgDispose) kind() byte { return kindDispose }

// DbgMsgHandlerTimeout says that a handler of a running transition has
// run past the machine's handler timeout ([am.Opts.HandlerTimeout]) and
// has not returned ([am.Tracer.HandlerTimeout]). It is sent while the
// handler still runs, so it arrives before the transition's [DbgMsgTx],
// which records an [am.StepHandlerTimeout] step once the handler returns;
// a handler that never returns leaves the transition's message unsent,
// and this message is all a debugger learns of it. Protocol version 3 and
// later.
type DbgMsgHandlerTimeout struct {
	// MachineID is the ID of the machine running the handler.
	MachineID string
	// TxID is the ID of the transition running the handler ([DbgMsgTx.ID]).
	TxID uint64
	// Handler is the handler's method name, for example "WorkState".
	Handler string
	// Elapsed is how long the handler had run when the timeout was seen.
	Elapsed time.Duration
	// Time is when the timeout was seen, to the nanosecond, in local time.
	Time time.Time
}

// MachID returns MachineID.
func (m *DbgMsgHandlerTimeout) MachID() string { return m.MachineID }

func (*DbgMsgHandlerTimeout) kind() byte { return kindHandlerTimeout }

// Batch is the argument of [ServiceMethod]: messages from one client, in
// the order it sends them. It travels as a gob value in the compact binary
// encoding of [Batch.GobEncode].
type Batch struct {
	// Version is the client's [ProtocolVersion]. A decoded batch holds
	// the version it was sent with.
	Version int
	// ClientID identifies the sending [Tracer] across its reconnections.
	ClientID string
	// Dropped is how many transition, dispose and handler timeout messages
	// the client has dropped so far ([Tracer.Dropped]).
	Dropped uint64
	// Msgs are the messages; empty for a heartbeat.
	Msgs []DbgMsg
}

// Auth is the argument of [AuthMethod].
type Auth struct {
	// Token is the secret the server was given.
	Token string
}

// Ack is the reply of [ServiceMethod] and [AuthMethod].
type Ack struct {
	// Msgs is how many messages the server took from the batch.
	Msgs int
}
