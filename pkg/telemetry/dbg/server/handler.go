package server

import "github.com/amkit-dev/amkit/pkg/telemetry/dbg"

// Peer identifies a client connection.
type Peer struct {
	// ID numbers the server's connections from 1. A client that reconnects
	// gets a new ID; [dbg.Batch.ClientID] stays the same.
	ID uint64
	// Addr is the client's address.
	Addr string
}

// Handler receives what clients send. Calls for one connection come one at
// a time, in the order the client sent its batches; calls for different
// connections may run concurrently. The client waits for HandleBatch to
// return (its call times out after [dbg.Opts.Timeout], 5 s by default), so
// a handler must not block for long; one that is slow to consume should
// queue and return.
//
// The batch has passed the server's checks: its protocol version is one
// dbg decodes ([dbg.MinProtocolVersion] to [dbg.ProtocolVersion]) and
// every message names a machine. Its contents are otherwise
// the peer's word: check state indexes against [dbg.DbgMsgStruct.StateNames]
// before using them. The handler may keep the batch and its messages. A
// handler that panics disconnects the peer whose batch caused it; the
// server and its other clients carry on.
type Handler interface {
	HandleBatch(p Peer, b *dbg.Batch)
}

// HandlerFunc adapts a function to [Handler].
type HandlerFunc func(p Peer, b *dbg.Batch)

// HandleBatch calls f(p, b).
func (f HandlerFunc) HandleBatch(p Peer, b *dbg.Batch) { f(p, b) }

// Multi returns a handler that passes every batch to each of hs, in order,
// like a tee: for example a recorder and a live view.
func Multi(hs ...Handler) Handler {
	return HandlerFunc(func(p Peer, b *dbg.Batch) {
		for _, h := range hs {
			h.HandleBatch(p, b)
		}
	})
}
