package machine

import "errors"

// Errors that explain why a mutation was canceled or a call failed. They are
// wrapped with details (state names, handler names); test with [errors.Is].
var (
	// ErrSchema reports an invalid schema or state order.
	ErrSchema = errors.New("invalid schema")
	// ErrUnknownState reports a state name that the schema lacks.
	ErrUnknownState = errors.New("unknown state")
	// ErrDisposed reports a call on a disposed machine.
	ErrDisposed = errors.New("machine disposed")
	// ErrConflict reports two called states that remove each other.
	ErrConflict = errors.New("called states conflict")
	// ErrRequirement reports a called state whose requirement cannot hold.
	ErrRequirement = errors.New("requirement not met")
	// ErrHandlerCanceled reports a negotiation handler that returned false.
	ErrHandlerCanceled = errors.New("canceled by handler")
	// ErrHandlerPanic reports a handler that panicked.
	ErrHandlerPanic = errors.New("handler panicked")
	// ErrHandlers reports a handler struct that cannot be bound.
	ErrHandlers = errors.New("invalid handlers")
	// ErrTracer reports a tracer that cannot be bound or detached.
	ErrTracer = errors.New("invalid tracer")
	// ErrHandlerTimeout reports a handler that ran past [Opts.HandlerTimeout].
	ErrHandlerTimeout = errors.New("handler timed out")
	// ErrQueueFull reports a mutation rejected because the queue held
	// [Opts.QueueLimit] entries.
	ErrQueueFull = errors.New("queue full")
	// ErrSnapshot reports a [Snapshot] that cannot be decoded or imported.
	ErrSnapshot = errors.New("invalid snapshot")
)
