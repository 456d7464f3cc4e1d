package e2e_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationJaegerOTLP exports a parent and child span over OTLP/gRPC
// with the OTel SDK and reads them back, attributes and parent link
// included, from Jaeger's query API.
func TestIntegrationJaegerOTLP(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Jaeger)

	j := e2e.StartJaeger(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	exp, err := otlptracegrpc.New(ctx,
		otlptracegrpc.WithEndpoint(j.OTLPGRPCAddr),
		otlptracegrpc.WithInsecure(),
	)
	if err != nil {
		t.Fatalf("creating OTLP exporter for %s: %v", j.OTLPGRPCAddr, err)
	}
	service := "amkit-e2e-smoke-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	res := resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("deployment.environment", "e2e"),
	)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
	)
	tracer := tp.Tracer("amkit/e2e/smoke")

	pctx, parent := tracer.Start(ctx, "smoke-parent",
		trace.WithAttributes(attribute.String("amkit.state", "Ready")))
	_, child := tracer.Start(pctx, "smoke-child",
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			attribute.String("amkit.machine", "m1"),
			attribute.Int64("amkit.tick", 7),
			attribute.Bool("amkit.auto", true),
		))
	child.End()
	parent.End()
	traceID := parent.SpanContext().TraceID().String()
	parentID := parent.SpanContext().SpanID().String()
	childID := child.SpanContext().SpanID().String()

	// Shutdown flushes the batcher, so the spans have left the process when
	// it returns.
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("flushing spans to %s: %v", j.OTLPGRPCAddr, err)
	}

	e2e.Eventually(t, pollTimeout, "trace listed for service "+service, func(ctx context.Context) error {
		traces, err := j.Traces(ctx, service)
		if err != nil {
			return err
		}
		if len(traces) != 1 || len(traces[0].Spans) != 2 {
			return fmt.Errorf("got %d traces (want 1 with 2 spans): %+v", len(traces), traces)
		}
		if traces[0].TraceID != traceID {
			return fmt.Errorf("listed trace %s, want %s", traces[0].TraceID, traceID)
		}
		return nil
	})

	fetchCtx, fetchCancel := context.WithTimeout(context.Background(), callTimeout)
	defer fetchCancel()
	tr, err := j.Trace(fetchCtx, traceID)
	if err != nil {
		t.Fatalf("fetching trace %s: %v", traceID, err)
	}
	p, ok := tr.SpanByName("smoke-parent")
	if !ok {
		t.Fatalf("no smoke-parent span in %+v", tr.Spans)
	}
	c, ok := tr.SpanByName("smoke-child")
	if !ok {
		t.Fatalf("no smoke-child span in %+v", tr.Spans)
	}
	if p.SpanID != parentID || c.SpanID != childID {
		t.Errorf("span IDs = %s/%s, want %s/%s", p.SpanID, c.SpanID, parentID, childID)
	}
	if got := p.ParentSpanID(); got != "" {
		t.Errorf("parent span has parent %s, want none", got)
	}
	if got := c.ParentSpanID(); got != parentID {
		t.Errorf("child's CHILD_OF reference = %q, want %s (refs %+v)", got, parentID, c.References)
	}
	if v, _ := p.Tag("amkit.state"); v != "Ready" {
		t.Errorf("parent amkit.state = %v, want Ready", v)
	}
	wantTags := map[string]any{"amkit.machine": "m1", "amkit.tick": float64(7), "amkit.auto": true}
	for k, want := range wantTags {
		if v, ok := c.Tag(k); !ok || v != want {
			t.Errorf("child tag %s = %v (present %v), want %v; tags %+v", k, v, ok, want, c.Tags)
		}
	}
	proc, ok := tr.Processes[c.ProcessID]
	if !ok {
		t.Fatalf("child's process %q missing from %+v", c.ProcessID, tr.Processes)
	}
	if proc.ServiceName != service {
		t.Errorf("service = %q, want %q", proc.ServiceName, service)
	}
	if v, _ := proc.Tag("deployment.environment"); v != "e2e" {
		t.Errorf("process deployment.environment = %v, want e2e; tags %+v", v, proc.Tags)
	}
	if d := time.Since(c.Start()); d < 0 || d > time.Minute {
		t.Errorf("child start %v is %v from now", c.Start(), d)
	}
}
