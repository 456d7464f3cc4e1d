package amtele

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Log record attribute keys, next to the service name (semconv
// service.name). They match the span attributes of the same meaning.
const (
	// LogAttrMachineID is the ID of the machine that logged.
	LogAttrMachineID = string(AttrMachineID)
	// LogAttrTxID is the ID of the transition running when the entry was
	// made, absent outside of transitions.
	LogAttrTxID = string(AttrTxID)
	// LogAttrStates lists the states an entry is about, when it names any.
	LogAttrStates = "am.states"
	// LogAttrLevel is the machine's log level of the entry, such as "ops".
	LogAttrLevel = "am.log.level"
)

// loggerScope is the instrumentation scope of machine log records.
const loggerScope = "github.com/amkit-dev/amkit/pkg/telemetry"

// NewOtelLoggerProvider returns a logger provider that exports through
// exporter with the SDK's batch processor: records are queued and exported
// in the background, and a full queue drops records instead of blocking
// the machine. opts are added to the provider's options, for example
// sdklog.WithResource; without a resource, the SDK's default one takes the
// service name from OTEL_SERVICE_NAME.
//
// The queue holds OTEL_BLRP_MAX_QUEUE_SIZE records (2048 when unset or not
// a positive number, as in the SDK). The records that a full queue drops,
// and those of exports that fail, are counted in package drops under
// [drops.OtelLogs], which amprom exports as am_telemetry_dropped_total;
// the provider has no Stats of its own, unlike [OtelProviders].
//
// Shutting the provider down flushes the queued records, and keeps its
// final count in the drops total.
func NewOtelLoggerProvider(exporter sdklog.Exporter, opts ...sdklog.LoggerProviderOption) *sdklog.LoggerProvider {
	size, err := queueSizeEnv("OTEL_BLRP_MAX_QUEUE_SIZE")
	if err != nil {
		// there is no error to return: report it and fall back, as the SDK
		// does when it reads the variable itself
		otel.Handle(err)
		size = defaultQueueSize
	}
	c := &exportCounts{capacity: int64(size)}
	opts = append([]sdklog.LoggerProviderOption{sdklog.WithProcessor(newCountingLogBatcher(exporter, c))}, opts...)
	return sdklog.NewLoggerProvider(opts...)
}

// BindOtelLogger makes every log entry of mach, and of its submachines, an
// OpenTelemetry log record of provider: the entry's text as the body, its
// time, a severity mapped from its level (see [OtelSeverity]), and
// attributes for serviceID (service.name), the machine ID, the transition
// ID, the states the entry names and the machine's level name.
//
// The severity text is left empty, so that backends name the level from
// the severity number in their usual words (Loki's detected_level "info",
// "debug", "error"), rather than from the machine's level names.
//
// When an OTel tracer ([NewOtelMachTracer]) is bound to the same machine,
// in either order, each record made during a transition carries the trace
// and span IDs of that transition's span, as the OTel SDK takes them from
// the context of Emit; records made outside a transition, and those of a
// transition whose span is not sampled, carry none. A span that the tracer
// drops at the transition's end (SkipEmpty, SkipCanceled) is named all the
// same, since that is not known while the transition logs.
//
// Entries follow the machine's log level ([am.Machine.SetLogLevel]), which
// is [am.LogLevelNothing] unless [am.Opts.LogLevel] says otherwise. The
// binding is an inheritable tracer, so submachines created with
// [am.Opts.Parent] (or [am.OptsWithParentTracers]) log to provider too. It
// is an error to bind to a disposed machine.
func BindOtelLogger(mach *am.Machine, provider log.LoggerProvider, serviceID string) error {
	if err := mach.BindTracer(newOtelLogBinder(provider, serviceID)); err != nil {
		return fmt.Errorf("bind otel logger to %s: %w", mach.ID(), err)
	}
	return nil
}

func newOtelLogBinder(provider log.LoggerProvider, serviceID string) *otelLogBinder {
	return &otelLogBinder{
		logger:  provider.Logger(loggerScope),
		service: attribute.String(string(semconv.ServiceNameKey), serviceID),
	}
}

// otelLogBinder adds a log sink to every machine it is bound to or
// inherited by.
type otelLogBinder struct {
	am.NoOpTracer
	logger  log.Logger
	service attribute.KeyValue
	spans   logSpans
}

// TracerID returns "otel-logger".
func (*otelLogBinder) TracerID() string { return "otel-logger" }

// Inheritable returns true, so submachines log too.
func (*otelLogBinder) Inheritable() bool { return true }

// BorrowsTransitions returns true: the binder reads a transition's IDs in
// its hook and keeps nothing of it, so the machine may reuse its records
// ([am.TransitionBorrower]).
func (*otelLogBinder) BorrowsTransitions() bool { return true }

// TracerHooks returns TransitionInit, the one hook of the hot path the
// binder implements, so that machines skip the others ([am.HookFilter]).
func (*otelLogBinder) TracerHooks() am.TracerHooks { return am.HookTransitionInit }

// MachineInit adds the sink. The sink is never removed: the machine logs
// its own disposal after its tracers heard of it, and a removed sink would
// send that last entry to standard error.
func (b *otelLogBinder) MachineInit(m *am.Machine) {
	m.AddLogSink(&otelLogSink{
		logger:  b.logger,
		service: b.service,
		machine: attribute.String(LogAttrMachineID, m.ID()),
		spans:   b.spans.machine(m),
	})
}

// TransitionInit looks for the machine's transition spans, while it has
// none.
func (b *otelLogBinder) TransitionInit(tx *am.Transition) { b.spans.seen(tx) }

// MachineDispose forgets the machine's span lookup; its sink keeps its own.
func (b *otelLogBinder) MachineDispose(machineID string) { b.spans.disposed(machineID) }

// otelLogSink turns a machine's log entries into log records.
type otelLogSink struct {
	logger           log.Logger
	service, machine attribute.KeyValue
	spans            *machineSpans
}

// LogEntry emits e, in the context of its transition's span if it has one.
// The batch processor only queues it, so this never waits for the
// exporter.
func (s *otelLogSink) LogEntry(e *am.LogEntry) {
	ctx := context.Background()
	if sc, ok := s.spans.span(e.TxID); ok {
		ctx = trace.ContextWithSpanContext(ctx, sc)
	}
	var r log.Record
	r.SetTimestamp(e.Time)
	r.SetSeverity(OtelSeverity(e))
	r.SetBody(attribute.StringValue(e.Text))
	r.AddAttributes(s.service, s.machine, levelAttr(e.Level))
	if e.TxID != 0 {
		r.AddAttributes(attribute.Int64(LogAttrTxID, int64(e.TxID)))
	}
	if len(e.States) > 0 {
		states := make([]attribute.Value, len(e.States))
		for i, name := range e.States {
			states[i] = attribute.StringValue(name)
		}
		r.AddAttributes(attribute.Slice(LogAttrStates, states...))
	}
	s.logger.Emit(ctx, r)
}

// levelAttrs are the LogAttrLevel attributes of the machine's levels, made
// once rather than per entry.
var levelAttrs = func() []attribute.KeyValue {
	out := make([]attribute.KeyValue, am.LogLevelEverything+1)
	for l := range out {
		out[l] = attribute.String(LogAttrLevel, am.LogLevel(l).String())
	}
	return out
}()

func levelAttr(l am.LogLevel) attribute.KeyValue {
	if l >= 0 && int(l) < len(levelAttrs) {
		return levelAttrs[l]
	}
	return attribute.String(LogAttrLevel, l.String())
}

// OtelSeverity maps a machine log entry to an OpenTelemetry severity the
// way [am.SlogLevel] maps levels for log/slog: changes and ops are Info,
// decisions Debug, everything Trace. Errors the machine reports (entries
// starting with "[error]") are Error, whatever their level.
func OtelSeverity(e *am.LogEntry) log.Severity {
	if strings.HasPrefix(e.Text, "[error]") {
		return log.SeverityError
	}
	switch {
	case e.Level <= am.LogLevelOps:
		return log.SeverityInfo
	case e.Level == am.LogLevelDecisions:
		return log.SeverityDebug
	}
	return log.SeverityTrace
}
