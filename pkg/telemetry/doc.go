// Package amtele exports amkit machines to observability backends:
// OpenTelemetry traces and logs, and Loki. Import it as amtele:
//
//	import amtele "github.com/amkit-dev/amkit/pkg/telemetry"
//
// Exporters hang on a machine's tracer hooks and log sinks. An exporter
// bound to a machine reaches its submachines (created with am.Opts.Parent,
// or given the parent's tracers with am.OptsWithParentTracers), and never
// blocks the machine: I/O happens on the exporter's own goroutines, and a
// backend that is slow or down costs dropped data, not time.
//
// # Traces
//
// [NewOtelMachTracer] makes a machine and its submachines one trace:
//
//	mach:ID               the machine
//	  states
//	    Foo               groups the activations of state Foo
//	      Foo             one activation, from activation to deactivation
//	  transitions
//	    [add] Foo         one transition, named after its mutation
//	      FooEnter        one handler that ran, for as long as it ran
//	      FooState
//	  submachines
//	    mach:ID2          a submachine: the same tree again
//
// Names are for people; the attributes (the Attr constants) carry the IDs
// for queries: machine, transition, mutation type, called states, the args
// listed in am.Opts.LoggableArgs, accepted or canceled and why, queue
// length, and the clocks of the states a transition touched. A transition
// canceled by an error (a panicking handler, an unknown state) has an error
// status, as have the transition that activates Exception and the Exception
// activation. A negotiation handler's veto or a relation that cancels is not
// an error: am.tx.accepted is false and am.tx.cancel_reason says why. A
// span with an error status carries error.type, as the semantic
// conventions ask: one of the ErrorType constants for the machine's own
// errors, or the Go type of the error given to Exception.
//
// The names above vary with machine IDs and called states, which is
// unbounded for backends that index operation names;
// [OtelMachTracerOpts.StableNames] names machine and transition spans by
// kind only ("mach", "[add]").
//
// # Span lifetimes
//
// A machine may run for hours, and a span is exported only once it ends.
// So every span is emitted as soon as what it stands for is over, with its
// real start and end times:
//
//   - A transition and its handlers: when the transition ends (the
//     transition's span starts with it, see below).
//   - An activation: when the state deactivates, re-activates (Multi), or
//     the machine is disposed.
//   - The grouping spans (mach:ID, states, transitions, submachines and the
//     state groups): right after they start. They carry the tree's
//     structure, not time, and children of an ended span show in Jaeger as
//     usual. Keeping them open instead would hold the whole tree's shape
//     back until the machine ends, and leave every other span without a
//     parent until then.
//
// The grouping spans last a nanosecond per level of submachines rather
// than nothing: Jaeger flags zero-length spans, and reports clock skew for
// a child that neither fits in its parent nor outlasts it.
//
// With the SDK's batch span processor, a transition or a finished
// activation reaches the backend within its export delay (5 seconds by
// default). Shutting the tracer provider down flushes every ended span;
// dispose the machines first, so that their open activations end.
//
// A transition's span starts with the transition (its TransitionInit hook),
// so that other exporters bound to the machine can name it while it runs:
// log records made during a transition carry its trace and span IDs, and
// metrics carry its trace ID as an exemplar (see [TransitionSpanner]). Its
// attributes, its status and its handler spans are added when it ends.
// SkipTransitions and SkipState decide before the span starts, and cost
// nothing; SkipCanceled and SkipEmpty need the outcome, so they drop the
// started span by never ending it: it is never exported, but the SDK's
// cost of starting it is paid, and a span processor that acts on span start
// (OnStart) sees it.
//
// # Bounded traces
//
// Jaeger's UI slows down past a few thousand spans in one trace, so a tree
// rotates its trace after [OtelMachTracerOpts.RotateTransitions]
// transitions or [OtelMachTracerOpts.RotateInterval]: the next transition
// begins a new mach:ID tree, whose root carries [AttrTraceGeneration] and
// links to the previous root. A submachine joins the new trace with its next
// transition. An activation belongs to the trace it began in, however long
// it lasts.
//
// # Links
//
// A mutation made from a handler with an Ev method (am.Machine.EvAdd)
// records the transition that caused it. The effect's transition span links
// to the cause's span ([LinkSource]), also when the cause is still running
// (a handler mutating another, idle machine), since its span started with
// it. A cause that SkipCanceled or SkipEmpty drops at its end leaves such a
// link pointing at a span never exported. Links are given when a span
// starts, where samplers see them, and nothing is recorded as a span event.
//
// # Logs
//
// [BindOtelLogger] sends a machine's log entries to an OpenTelemetry logger
// provider, such as one from [NewOtelLoggerProvider]. Log backends ingest
// them over OTLP/HTTP: point the otlploghttp exporter with
// otlploghttp.WithEndpointURL at VictoriaLogs' /insert/opentelemetry/v1/logs
// or Loki 3's /otlp/v1/logs, and give the provider a resource with
// service.name. VictoriaLogs keeps the attribute names as fields (such as
// am.machine.id); Loki makes service.name its service_name label and the
// attributes structured metadata, with dots turned to underscores.
// When the machine also has the OTel tracer of [NewOtelMachTracer], the
// records made during a transition carry the trace and span IDs of its span
// (found through [TransitionSpanner]).
//
// [BindLokiLogger] sends the entries over Loki's push API with the client
// of package github.com/amkit-dev/amkit/pkg/telemetry/loki, which
// VictoriaLogs takes too (at /insert/loki/api/v1/push): stream labels
// service_name, machine_id and level, structured metadata tx_id and, with
// the OTel tracer, trace_id and span_id.
//
// # Configuration from the environment
//
// [NewOtelProvidersFromEnv] builds both providers from the standard OTEL_*
// variables (its documentation lists them), with OTLP over gRPC or HTTP,
// the console, or both; OTEL_SDK_DISABLED=true makes them no-ops.
//
// # What is lost, and where to read it
//
// Exporters never block a machine, so a backend that is down or slow costs
// data. The providers of [NewOtelProvidersFromEnv] count the spans and log
// records that a full queue dropped or a failed export lost
// ([OtelProviders.Stats]), and register the counts in package drops, which
// amprom exports as am_telemetry_dropped_total{exporter="otel_spans"} and
// {exporter="otel_logs"}. Failures are logged through a rate-limited
// handler ([OtelErrorHandler]): one line per interval with a count, not
// one per failed batch.
package amtele
