package server

import "errors"

// Errors that end a connection because of what the peer sent. The server
// logs them wrapped with details; test with errors.Is.
var (
	// ErrMsgTooLarge reports a gob message longer than [Opts.MaxMsgBytes].
	ErrMsgTooLarge = errors.New("message too large")
	// ErrMalformed reports bytes that are not a valid request.
	ErrMalformed = errors.New("malformed request")
	// ErrTooManyTypes reports a peer defining more gob types than the
	// protocol needs.
	ErrTooManyTypes = errors.New("too many type definitions")
	// ErrHandlerPanic reports a batch that made the [Handler] panic.
	ErrHandlerPanic = errors.New("handler panicked")
	// ErrHandlerExit reports a batch whose [Handler] called
	// runtime.Goexit, which ends the call without an answer.
	ErrHandlerExit = errors.New("handler called runtime.Goexit")
	// ErrNoBatch reports a connection that sent no valid batch within
	// [Opts.FirstBatchTimeout] of connecting.
	ErrNoBatch = errors.New("no valid batch in time")
	// ErrShed reports a connection closed to make room for a new one: the
	// server was full, and this connection had not sent a valid batch, or
	// had sent nothing but heartbeats for [Opts.ShedQuietAfter].
	ErrShed = errors.New("shed for a new connection")
	// ErrFull reports a connection refused after its first batch: every
	// slot was taken, and the batch had no machine messages or no
	// connection was quiet enough to make room (see [Opts.ShedQuietAfter]).
	ErrFull = errors.New("server full")
	// ErrAuth reports a connection that sent a wrong token, or a batch
	// before its token, to a server with [Opts.Token].
	ErrAuth = errors.New("wrong or missing token")
)
