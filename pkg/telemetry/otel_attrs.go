package amtele

import "go.opentelemetry.io/otel/attribute"

// Span attribute keys. IDs are attributes as well as parts of span names, so
// queries never have to parse names.
const (
	// AttrMachineID is the machine's ID, on every span.
	AttrMachineID = attribute.Key("am.machine.id")
	// AttrParentID is the parent machine's ID, on mach:ID spans of
	// submachines.
	AttrParentID = attribute.Key("am.machine.parent_id")
	// AttrTraceGeneration counts the traces of a machine tree, from 1; see
	// [OtelMachTracerOpts.RotateTransitions].
	AttrTraceGeneration = attribute.Key("am.trace.generation")
	// AttrTxID is the transition's ID within its machine.
	AttrTxID = attribute.Key("am.tx.id")
	// AttrMutation is the mutation type: add, remove or set.
	AttrMutation = attribute.Key("am.tx.mutation")
	// AttrCalled lists the states the mutation called.
	AttrCalled = attribute.Key("am.tx.called")
	// AttrAccepted is false for a canceled transition.
	AttrAccepted = attribute.Key("am.tx.accepted")
	// AttrCancelReason says why a transition was canceled.
	AttrCancelReason = attribute.Key("am.tx.cancel_reason")
	// AttrAuto marks the transitions that activated auto states.
	AttrAuto = attribute.Key("am.tx.auto")
	// AttrQueueLen is the machine's queue length when the transition started.
	AttrQueueLen = attribute.Key("am.tx.queue_len")
	// AttrSourceMachineID and AttrSourceTxID name the transition whose
	// handler issued the mutation, when known.
	AttrSourceMachineID = attribute.Key("am.tx.source.machine_id")
	// AttrSourceTxID: see [AttrSourceMachineID].
	AttrSourceTxID = attribute.Key("am.tx.source.tx_id")
	// AttrArgPrefix prefixes the mutation args that the machine lists in
	// am.Opts.LoggableArgs, for example "am.arg.addr".
	AttrArgPrefix = "am.arg."
	// AttrClocks lists the clocks of the states a transition touched, after
	// it, in index order: "Foo=3 Bar=2". One attribute rather than one per
	// state, because the SDK's cost per span climbs past eight attributes.
	AttrClocks = attribute.Key("am.tx.clocks")
	// AttrState is the state of a state group span.
	AttrState = attribute.Key("am.state")
	// AttrTick is the state's clock when an activation began.
	AttrTick = attribute.Key("am.state.tick")
	// AttrHandlerCanceled marks a negotiation handler that returned false.
	AttrHandlerCanceled = attribute.Key("am.handler.canceled")
	// AttrLink says what a span link points at: one of the Link* values.
	AttrLink = attribute.Key("am.link")
)

// Values of [AttrLink].
const (
	// LinkPrevious points from a mach:ID span to the same machine's mach:ID
	// span in the previous trace.
	LinkPrevious = "previous"
	// LinkSource points from a transition to the transition whose handler
	// issued its mutation.
	LinkSource = "source"
)

// Link attribute sets are shared by every link of their kind: attributes are
// immutable, and sharing saves an allocation per link.
var (
	linkPreviousAttrs   = []attribute.KeyValue{AttrLink.String(LinkPrevious)}
	linkSourceAttrs     = []attribute.KeyValue{AttrLink.String(LinkSource)}
	acceptedAttr        = AttrAccepted.Bool(true)
	canceledAttr        = AttrAccepted.Bool(false)
	autoAttr            = AttrAuto.Bool(true)
	handlerCanceledAttr = AttrHandlerCanceled.Bool(true)
)
