package amprom_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	"github.com/amkit-dev/amkit/internal/e2e"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// TestIntegrationExemplars traces a machine to a real Jaeger and has a real
// Prometheus (with exemplar storage) scrape its metrics over OpenMetrics:
// the exemplars of am_transition_duration_seconds name traces that Jaeger
// holds, each with the transition span the exemplar points at.
func TestIntegrationExemplars(t *testing.T) {
	e2e.Require(t, e2e.Prometheus, e2e.Jaeger)
	jaeger := e2e.StartJaeger(t)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets:   []e2e.ScrapeTarget{{Job: "amprom", Addr: srv.Listener.Addr().String()}},
		Exemplars: true,
	})
	waitForScrape(t, prom, `up{job="amprom"}`)

	ctx := context.Background()
	service := e2e.Unique("amprom-exemplars")
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(jaeger.OTLPGRPCAddr), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service), semconv.HostName("e2e"))))
	t.Cleanup(func() { _ = tp.Shutdown(ctx) })

	machID := e2e.Unique("exemplars")
	mach := newMachine(t, machID, nil)
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	// bound after the metrics: the metrics find it anyway
	if err := mach.BindTracer(amtele.NewOtelMachTracer(tp.Tracer("amprom-e2e"), nil)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// past the metrics' once-a-second look for a tracer, at a pace whose
	// spans fit the batch processor's queue
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Since(start) < 1500*time.Millisecond {
		mach.Add1("A", nil)
		mach.Remove1("A", nil)
		<-tick.C
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	var exemplars []e2e.Exemplar
	query := fmt.Sprintf(`am_transition_duration_seconds_bucket{machine_id=%q}`, machID)
	e2e.Eventually(t, pollTimeout, "exemplars in Prometheus", func(ctx context.Context) error {
		var err error
		if exemplars, err = prom.QueryExemplars(ctx, query, start, time.Now()); err != nil {
			return err
		}
		if len(exemplars) == 0 {
			return fmt.Errorf("no exemplars of %s", query)
		}
		return nil
	})
	e := exemplars[len(exemplars)-1]
	traceID, spanID := e.Labels[amprom.ExemplarTraceID], e.Labels[amprom.ExemplarSpanID]
	var span e2e.Span
	e2e.Eventually(t, pollTimeout, "the exemplar's span in Jaeger", func(ctx context.Context) error {
		tr, err := jaeger.Trace(ctx, traceID)
		if err != nil {
			return err
		}
		for _, s := range tr.Spans {
			if s.SpanID == spanID {
				span = s
				return nil
			}
		}
		return fmt.Errorf("trace %s has %d spans, not the exemplar's span %s", traceID, len(tr.Spans), spanID)
	})
	if id, _ := span.Tag(string(amtele.AttrMachineID)); id != machID {
		t.Errorf("exemplar span %s: machine %v, want %s", span.OperationName, id, machID)
	}
	if _, ok := span.Tag(string(amtele.AttrTxID)); !ok {
		t.Errorf("exemplar span %s is not a transition span", span.OperationName)
	}
}
