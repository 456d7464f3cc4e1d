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
// each schema change, and one [DbgMsgTx] per transition, canceled ones
// included. Sending never blocks the machine: the transition hook hands the
// message to a bounded queue and returns; a background goroutine batches,
// encodes and sends. When the queue is full, or the server is unreachable
// long enough to fill it, transitions are dropped and counted
// ([Tracer.Dropped]). The tracer connects when there is something to send,
// reconnects with exponential backoff after a failure, and sends the struct
// message of every live machine again on each new connection, so a
// debugger started or restarted late still knows every schema.
//
// # Wire protocol
//
// A custom server or client needs only this section and the message types.
// The client calls the net/rpc method [ServiceMethod] ("Dbg.Send") with a
// [*Batch] argument and an [*Ack] reply, using net/rpc's default gob codec
// over one TCP connection, one call at a time. Batch.Msgs holds
// [*DbgMsgStruct] and [*DbgMsgTx] values, registered with gob under the
// names "amkit/dbg.Struct" and "amkit/dbg.Tx" (importing this package
// registers them). Within a connection, a machine's struct message always
// precedes its transitions, and a machine's transitions arrive in the order
// they ran. State indexes in a transition ([DbgMsgTx.Called],
// [am.Step.State], the positions in [DbgMsgTx.Clocks]) refer to
// [DbgMsgStruct.StateNames] of the latest struct message of that machine.
//
// An idle client sends an empty batch every [Opts.Heartbeat], so the server
// sees it alive and its drop count stays current. The server package
// (pkg/telemetry/dbg/server) implements the receiving side, and limits what
// one peer can cost it.
package dbg
