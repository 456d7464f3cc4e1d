package amtele_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// The benchmarks below compare as ratios within one run:
//
//   - BenchmarkOtelSpanFloor is the SDK's own cost of one span with two
//     attributes, through a batch processor into a discarding exporter.
//   - BenchmarkOtelMutations runs machtest's BenchmarkMutations op without
//     a tracer and with NewOtelMachTracer on the same kind of provider, and
//     reports the spans each op emits, so that the tracer's added cost per
//     op can be set against spans/op times the floor.
//   - BenchmarkIntegrationOtelEndpoint (otel_integration_test.go) runs the
//     op with a real OTLP exporter, against Jaeger and against a closed port.

// discardExporter drops every span, so benchmarks measure the SDK and the
// tracer, not I/O.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// batchedTracer returns a tracer on a provider with a batch span processor
// over exp, shut down when b ends.
func batchedTracer(b *testing.B, exp sdktrace.SpanExporter) trace.Tracer {
	b.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer("amtele-bench")
}

func BenchmarkOtelSpanFloor(b *testing.B) {
	tracer := batchedTracer(b, discardExporter{})
	ctx := context.Background()
	a1, a2 := attribute.String("am.machine.id", "bench"), attribute.Int64("am.tx.id", 1)
	b.ReportAllocs()
	for b.Loop() {
		_, span := tracer.Start(ctx, "span", trace.WithAttributes(a1, a2))
		span.End()
	}
}

func BenchmarkOtelMutations(b *testing.B) {
	b.Run("none", func(b *testing.B) {
		mach, h := machtest.NewMutationsMachine(b, nil)
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
	})
	for _, bc := range []struct {
		name string
		opts *amtele.OtelMachTracerOpts
	}{
		{"tracer", nil},
		{"skip-handlers", &amtele.OtelMachTracerOpts{SkipHandlers: true}},
		{"skip-transitions", &amtele.OtelMachTracerOpts{SkipTransitions: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			spans := spansPerOp(b, bc.opts)
			tracer := amtele.NewOtelMachTracer(batchedTracer(b, discardExporter{}), bc.opts)
			mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
			b.ReportAllocs()
			machtest.RunMutationsOp(b, mach, h)
			b.ReportMetric(spans, "spans/op")
		})
	}
}

// spansPerOp counts the spans that one op emits in a steady state (the
// grouping spans of the first ops excluded), using a synchronous recorder.
func spansPerOp(b *testing.B, opts *amtele.OtelMachTracerOpts) float64 {
	b.Helper()
	const warmup, ops = 10, 100
	tracer, rec := recorded(b, opts)
	mach, _ := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	run := func(n int) {
		for range n {
			mach.Add(am.S{"A", "B"}, nil)
			mach.Add1("D", nil)
			mach.Remove(am.S{"A", "C", "D"}, nil)
		}
	}
	run(warmup)
	before := len(rec.Ended())
	run(ops)
	return float64(len(rec.Ended())-before) / ops
}
