package amprom_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// durationExemplars returns the trace IDs of the exemplars of
// am_transition_duration_seconds in reg.
func durationExemplars(t *testing.T, reg prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, mf := range mfs {
		if mf.GetName() != "am_transition_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, b := range m.GetHistogram().GetBucket() {
				if ex := b.GetExemplar(); ex != nil {
					for _, lp := range ex.GetLabel() {
						if lp.GetName() == amprom.ExemplarTraceID {
							ids = append(ids, lp.GetValue())
						}
					}
				}
			}
		}
	}
	return ids
}

// TestExemplars: with the OTel tracer bound before or after the metrics,
// transition durations carry the trace ID of their span.
func TestExemplars(t *testing.T) {
	for _, otelFirst := range []bool{true, false} {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		otelTracer := amtele.NewOtelMachTracer(tp.Tracer("exemplars"), nil)

		mach := newMachine(t, "m", nil)
		bindOtel := func() {
			if err := mach.BindTracer(otelTracer); err != nil {
				t.Fatal(err)
			}
		}
		if otelFirst {
			bindOtel()
		}
		reg := prometheus.NewRegistry()
		if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
			t.Fatal(err)
		}
		if !otelFirst {
			bindOtel()
		}
		mach.Add1("A", nil)

		var traceID string
		for _, s := range rec.Ended() {
			if s.Name() == "[add] A" {
				traceID = s.SpanContext().TraceID().String()
			}
		}
		ids := durationExemplars(t, reg)
		if len(ids) != 1 || ids[0] != traceID || traceID == "" {
			t.Errorf("otel first %v: exemplar trace IDs %v, want the span's %q", otelFirst, ids, traceID)
		}
	}
}

func TestNoExemplarsUntraced(t *testing.T) {
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	if ids := durationExemplars(t, reg); len(ids) != 0 {
		t.Errorf("untraced machine: exemplars %v", ids)
	}
}

var droppedMetricRuns atomic.Int64

// TestDroppedMetric: the counts of package drops are exported by exporter.
func TestDroppedMetric(t *testing.T) {
	var n uint64 = 5
	// drops keeps the totals of unregistered exporters for the process:
	// a name per run keeps go test -count=N exact
	exporter := fmt.Sprint("test_exporter_", droppedMetricRuns.Add(1))
	defer drops.Register(exporter, func() uint64 { return n })()
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	// a second machine's metrics share the collector
	other := newMachine(t, "other", nil)
	if err := amprom.TransitionsToPrometheus(other, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	key := "am_telemetry_dropped_total{exporter=" + exporter + "}"
	if got := gather(t, reg)[key]; got != 5 {
		t.Errorf("%s = %v, want 5", key, got)
	}
}
