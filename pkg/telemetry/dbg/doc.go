// Package dbg sends a machine's structure and every transition to a
// debugger, such as am-dbg, over standard [net/rpc] on TCP.
//
// # Client
//
// Bind a [Tracer] to a machine; its submachines inherit it:
//
//	tracer, err := dbg.TransitionsToDbg(mach, dbg.DefaultAddr)
//
// or let the environment decide, with no code change between runs:
//
//	tracer, err := dbg.BindEnv(mach) // AM_DBG_ADDR=1 sends to DefaultAddr
//
// The tracer sends a [DbgMsgStruct] when it first sees a machine and after
// each schema change, one [DbgMsgTx] per transition, canceled ones and dry
// runs ([DbgMsgTx.CheckOnly]) included, a [DbgMsgHandlerTimeout] when a
// handler overruns the machine's handler timeout, and a [DbgMsgDispose]
// when the machine is disposed. While it is connected to a debugger, it
// times each handler ([DbgMsgTx.HandlerDurations]); with none, the
// handler hooks return before reading the clock. Sending
// never blocks the machine: the transition hook encodes its message into
// a pooled buffer (machines may reuse their transition records for the
// tracer, [am.TransitionBorrower]), the dispose hook makes its message,
// and both hand it to a bounded queue and return; a background goroutine
// batches and sends. When the queue is full, or the server is unreachable
// long enough to fill it, transition, dispose and handler timeout messages
// are dropped and counted ([Tracer.Dropped]); a full queue is seen before
// a transition is encoded, so transitions nobody will receive cost little. The tracer connects when there is something to send,
// reconnects with exponential backoff after a failure, and sends the struct
// message of every live machine again on each new connection, so a
// debugger started or restarted late still knows every schema. The same
// holds when a full server closes a connection that has sent only
// heartbeats for a while to make room for another client (see the server
// package's Opts.ShedQuietAfter): the tracer finds out at its next
// heartbeat or transition, reconnects, and sends its struct messages
// first; what it queued meanwhile follows.
//
// # Wire protocol
//
// A custom server or client needs only this section and the message types.
// The client calls the net/rpc method [ServiceMethod] ("Dbg.Send") with a
// [*Batch] argument and an [*Ack] reply, using net/rpc's default gob codec
// over one TCP connection, one call at a time. A client with a token
// ([Opts.Token], AM_DBG_TOKEN) first calls [AuthMethod] ("Dbg.Auth") with
// an [*Auth] on each connection; a server given a token
// (am-dbg --token) closes a connection that sends a batch before it, or a
// wrong one, and one that requires none accepts any. Within a connection, a
// machine's struct message always precedes its other messages, a
// machine's transitions arrive in the order they ran, and its dispose
// message, if any, comes after the last of them. Dry runs and mutations
// refused on a full queue have transition ID 0 and may arrive between any
// two transitions. A handler timeout arrives while its transition runs,
// before the transition's message. State indexes in a
// transition ([DbgMsgTx.Called], [am.Step.State], the positions in
// [DbgMsgTx.Clocks]) refer to [DbgMsgStruct.StateNames] of the latest
// struct message of that machine. An idle client sends an empty batch
// every [Opts.Heartbeat], so the server sees it alive and its drop count
// stays current. The server package (pkg/telemetry/dbg/server) implements
// the receiving side, and limits what one peer can cost it.
//
// # Binary encoding
//
// Batch is a gob value encoded by its GobEncode method in a compact form,
// which the message types also offer through AppendBinary, MarshalBinary
// and UnmarshalBinary. Gob's reflection would cost several times more per
// transition, and let a few bytes of a hostile peer decode to a hundred
// times their size; decoding this form allocates at most
// [MaxDecodeFactor] times its size plus [DecodeAllowance]. Integers are
// uvarints and varints of
// encoding/binary; a string is a uvarint length and its bytes; a list is a
// uvarint count and its elements; a map is a list of key, value pairs,
// sorted by key; a time is a varint of Unix nanoseconds, 0 for the zero
// time.
//
//	batch:   uvarint version, string ClientID, uvarint Dropped,
//	         then messages until the end
//	message: byte kind (1 struct, 2 transition, 3 dispose, 4 handler
//	         timeout), uvarint length, body
//
//	struct body:     MachineID, ParentID, Tags, StateNames (strings and
//	                 lists of strings), Clocks (list of uvarints), Schema
//	                 (map of name to state), Groups (map of name to list of
//	                 strings)
//	state:           byte flags (1 Auto, 2 Multi), then Require, Add,
//	                 Remove, After, Tags (lists of strings)
//	transition body: MachineID, uvarint ID, Clocks, uvarint QueueTick,
//	                 varint QueueLen, byte Type, Called (list of varints),
//	                 Args (map of strings), byte flags (1 Auto, 2 CheckOnly,
//	                 4 Accepted), Source.MachineID, uvarint Source.TxID,
//	                 Steps, LogsBefore, Logs, Err, time Start, time End,
//	                 HandlerDurations (list of varints, nanoseconds;
//	                 versions 1 and 2 end the body before it)
//	step:            byte Type, varint State, varint Related, Handler
//	log entry:       time Time, varint Level, Text, MachineID, uvarint
//	                 TxID, States (list of strings)
//	dispose body:    MachineID, time Time
//	timeout body:    MachineID, uvarint TxID, Handler, varint Elapsed
//	                 (nanoseconds), time Time
//
// Decoding reads zero or empty lists and maps as nil.
//
// # Versions
//
// The client sends [ProtocolVersion] in every batch; decoders accept
// [MinProtocolVersion] to ProtocolVersion and refuse the rest with
// [ErrVersion]. Version 2 added the dispose message (kind 3); version 3
// the handler timeout message (kind 4), set the CheckOnly flag of dry
// runs, which were not sent before, and ended the transition body with
// its handlers' durations. Batches of older versions are
// otherwise identical, so a current server reads older clients. A message kind a decoder does not know is malformed: adding
// one takes a new version, which older servers refuse as a whole.
// AuthMethod came without a new version, as it changes no batch: clients
// without a token do not call it, and a server that predates it answers
// it as an unknown method and disconnects.
package dbg
