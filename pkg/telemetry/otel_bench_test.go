package amtele_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/amkit-dev/amkit/internal/e2e"
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
//   - BenchmarkOtelSDKSpansOfOp replays, straight through the SDK, the spans
//     one op emits (names, parents, attributes, links, timestamps), to give
//     what the SDK alone spends on them; the tracer's own overhead is
//     BenchmarkOtelMutations/tracer minus /none minus this.
//   - BenchmarkOtelEndpoint runs the op with a real OTLP exporter, against
//     Jaeger and against a closed port.
//   - BenchmarkMutationsOtelAdded and BenchmarkMutationsOtelLoggerAdded
//     time ops with the tracer, or with a logger that logs nothing, next
//     to ops without, in turns, and report what each adds per transition.

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

// BenchmarkMutationsOtelAdded measures what the tracer adds per
// transition, its spans through the SDK included, next to a machine
// without it, on a machine shared with other work (see
// machtest.RunMutationsAdded).
func BenchmarkMutationsOtelAdded(b *testing.B) {
	tracer := amtele.NewOtelMachTracer(batchedTracer(b, discardExporter{}), nil)
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	machtest.RunMutationsAdded(b, plain, measured)
}

func BenchmarkOtelSDKSpansOfOp(b *testing.B) {
	spans := spansOfOp(b)
	tracer := batchedTracer(b, discardExporter{})
	bg := context.Background()
	ctxs := make(map[trace.SpanID]context.Context, len(spans))
	b.ReportAllocs()
	for b.Loop() {
		clear(ctxs)
		for _, s := range spans {
			parent, ok := ctxs[s.Parent().SpanID()]
			if !ok {
				parent = trace.ContextWithSpanContext(bg, s.Parent())
			}
			links := make([]trace.Link, len(s.Links()))
			for i, l := range s.Links() {
				links[i] = trace.Link{SpanContext: l.SpanContext, Attributes: l.Attributes}
			}
			ctx, span := tracer.Start(parent, s.Name(), trace.WithTimestamp(s.StartTime()),
				trace.WithAttributes(s.Attributes()...), trace.WithLinks(links...))
			ctxs[s.SpanContext().SpanID()] = ctx
			span.End(trace.WithTimestamp(s.EndTime()))
		}
	}
	b.ReportMetric(float64(len(spans)), "spans/op")
}

// spansOfOp returns the spans one op emits in a steady state, in start
// order, so that parents come before their children.
func spansOfOp(b *testing.B) []sdktrace.ReadOnlySpan {
	b.Helper()
	tracer, rec := recorded(b, nil)
	mach, _ := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	op := func() {
		mach.Add(am.S{"A", "B"}, nil)
		mach.Add1("D", nil)
		mach.Remove(am.S{"A", "C", "D"}, nil)
	}
	for range 10 {
		op()
	}
	before := len(rec.Ended())
	op()
	spans := slices.Clone(rec.Ended()[before:])
	slices.SortStableFunc(spans, func(x, y sdktrace.ReadOnlySpan) int { return x.StartTime().Compare(y.StartTime()) })
	return spans
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

// BenchmarkOtelEndpoint runs the op with a real OTLP/gRPC exporter: "down"
// exports to a closed port, "jaeger" to a real Jaeger. Both must cost the
// same per op: exporting happens on the batch processor's goroutine, and a
// full queue drops spans instead of blocking the machine.
func BenchmarkOtelEndpoint(b *testing.B) {
	b.Run("down", func(b *testing.B) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		// failed exports are reported through the global handler, which
		// would print into the benchmark's output
		prev := otel.GetErrorHandler()
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
		b.Cleanup(func() { otel.SetErrorHandler(prev) })
		benchOTLP(b, addr)
	})
	b.Run("jaeger", func(b *testing.B) {
		benchOTLP(b, e2e.StartJaeger(b).OTLPGRPCAddr)
	})
}

func benchOTLP(b *testing.B, addr string) {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	b.Cleanup(func() {
		// a dead endpoint would keep the flush retrying for a minute
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	tracer := amtele.NewOtelMachTracer(tp.Tracer("amtele-bench"), nil)
	mach, h := machtest.NewMutationsMachine(b, &am.Opts{Tracers: []am.Tracer{tracer}})
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// discardLogExporter drops every log record.
type discardLogExporter struct{}

func (discardLogExporter) Export(context.Context, []sdklog.Record) error { return nil }
func (discardLogExporter) Shutdown(context.Context) error                { return nil }
func (discardLogExporter) ForceFlush(context.Context) error              { return nil }

// BenchmarkMutationsOtelLoggerAdded measures what a bound OTel logger
// costs per transition in its hooks, next to a machine without it: neither
// machine logs, so no entry is made (see machtest.RunMutationsAdded).
func BenchmarkMutationsOtelLoggerAdded(b *testing.B) {
	provider := amtele.NewOtelLoggerProvider(discardLogExporter{})
	b.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, nil)
	if err := amtele.BindOtelLogger(measured, provider, "bench"); err != nil {
		b.Fatal(err)
	}
	machtest.RunMutationsAdded(b, plain, measured)
}

// BenchmarkOtelLogger runs the op logging state changes (one entry per
// transition) to a no-op sink, and to an OTel logger provider with a batch
// processor and a discarding exporter.
func BenchmarkOtelLogger(b *testing.B) {
	b.Run("sink", func(b *testing.B) {
		mach, h := machtest.NewMutationsMachine(b, &am.Opts{LogLevel: am.LogLevelChanges, Logger: am.LogSinkFunc(func(*am.LogEntry) {})})
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
	})
	b.Run("otel", func(b *testing.B) {
		provider := amtele.NewOtelLoggerProvider(discardLogExporter{})
		b.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
		mach, h := machtest.NewMutationsMachine(b, &am.Opts{LogLevel: am.LogLevelChanges})
		if err := amtele.BindOtelLogger(mach, provider, "bench"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		machtest.RunMutationsOp(b, mach, h)
	})
}
