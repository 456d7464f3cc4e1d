package amprom_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// discardSpans drops every span.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkMutationsExemplars runs the op on a machine traced by amtele,
// without and with metrics: the difference is what metrics cost when each
// transition's duration also looks up its span for an exemplar.
func BenchmarkMutationsExemplars(b *testing.B) {
	for _, withMetrics := range []bool{false, true} {
		name := "traced"
		if withMetrics {
			name = "traced+metrics"
		}
		b.Run(name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			mach, h := machtest.NewMutationsMachine(b, &am.Opts{
				Tracers: []am.Tracer{amtele.NewOtelMachTracer(tp.Tracer("bench"), nil)},
			})
			if withMetrics {
				bindMetrics(b, mach)
			}
			b.ReportAllocs()
			machtest.RunMutationsOp(b, mach, h)
		})
	}
}
