package amtele

import (
	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// TransitionSpanner gives the span of a machine's transition to the other
// exporters bound to the same machine: log records made during a transition
// carry its trace and span IDs, and metrics carry the trace ID as an
// exemplar. The tracer of [NewOtelMachTracer] implements it; find it among
// a machine's tracers with [FindTransitionSpanner].
//
// Exporters may declare the same one-method interface themselves rather
// than import this package, which is what amprom does.
type TransitionSpanner interface {
	// TransitionSpanContext returns the span of transition txID of the
	// machine machineID, from its TransitionInit hook on, and after it
	// ended if it was exported, for the last few transitions. ok is false
	// for a transition without a span: skipped by an option, dropped at
	// its end by SkipCanceled or SkipEmpty, or too old. A span context
	// that is not sampled is still returned; check IsSampled before
	// pointing a user at the trace.
	//
	// It is safe to call from any goroutine, and from any hook of any
	// tracer bound to the machine, in whichever order they were bound.
	TransitionSpanContext(machineID string, txID uint64) (sc trace.SpanContext, ok bool)
}

// FindTransitionSpanner returns the first tracer bound to mach that
// implements [TransitionSpanner], or nil. The tracers can change, so an
// exporter that binds before the OTel tracer looks it up again until it
// finds one, and may keep it once found: tracers are rarely detached.
func FindTransitionSpanner(mach *am.Machine) TransitionSpanner {
	for _, t := range mach.Tracers() {
		if s, ok := t.(TransitionSpanner); ok {
			return s
		}
	}
	return nil
}

var _ TransitionSpanner = (*otelMachTracer)(nil)

// TransitionSpanContext implements [TransitionSpanner].
func (t *otelMachTracer) TransitionSpanContext(machineID string, txID uint64) (trace.SpanContext, bool) {
	ms := t.byMachineID(machineID)
	if ms == nil {
		return trace.SpanContext{}, false
	}
	return ms.txSpan(txID)
}
