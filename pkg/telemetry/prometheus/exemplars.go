package amprom

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Exemplar label names of am_transition_duration_seconds, as OpenTelemetry
// names the IDs; Grafana links trace_id to the trace.
const (
	ExemplarTraceID = "trace_id"
	ExemplarSpanID  = "span_id"
)

// transitionSpanner is amtele.TransitionSpanner, declared here so that
// amprom does not depend on the OpenTelemetry SDK: the OTel machine tracer
// implements it, and gives the span of a running or just ended transition.
type transitionSpanner interface {
	TransitionSpanContext(machineID string, txID uint64) (trace.SpanContext, bool)
}

// spannerLookupEvery is how often a machine without a spanner looks among
// its tracers again, so that an OTel tracer bound after amprom is found
// without a lookup, which copies the tracer list, per transition.
const spannerLookupEvery = time.Second

// findSpanner returns the first tracer of mach that gives span contexts.
func findSpanner(mach *am.Machine) transitionSpanner {
	for _, t := range mach.Tracers() {
		if s, ok := t.(transitionSpanner); ok {
			return s
		}
	}
	return nil
}

// exemplar is the last traced observation of a histogram bucket, kept as
// raw IDs so that recording it allocates nothing.
type exemplar struct {
	traceID trace.TraceID
	spanID  trace.SpanID
	value   float64
	at      time.Time
}

// spanOf returns the sampled span of tx, if the machine is traced.
func (st *machState) spanOf(tx *am.Transition) (trace.SpanContext, bool) {
	if st.spanner == nil {
		if tx.End.Before(st.nextLookup) {
			return trace.SpanContext{}, false
		}
		st.nextLookup = tx.End.Add(spannerLookupEvery)
		if st.spanner = findSpanner(st.mach); st.spanner == nil {
			return trace.SpanContext{}, false
		}
	}
	sc, ok := st.spanner.TransitionSpanContext(st.id, tx.ID)
	return sc, ok && sc.IsSampled()
}

// withExemplars attaches the buckets' exemplars to a histogram metric.
func withExemplars(m prometheus.Metric, exs []exemplar) prometheus.Metric {
	var out []prometheus.Exemplar
	for _, e := range exs {
		if !e.traceID.IsValid() {
			continue
		}
		out = append(out, prometheus.Exemplar{
			Value:     e.value,
			Timestamp: e.at,
			Labels: prometheus.Labels{
				ExemplarTraceID: e.traceID.String(),
				ExemplarSpanID:  e.spanID.String(),
			},
		})
	}
	if len(out) == 0 {
		return m
	}
	return prometheus.MustNewMetricWithExemplars(m, out...)
}
