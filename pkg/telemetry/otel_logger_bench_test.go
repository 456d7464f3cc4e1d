package amtele_test

import (
	"context"
	"testing"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// BenchmarkOtelLoggerTraced runs the op with an OTel tracer alone, and with
// the tracer and an OTel logger whose records carry the transition spans'
// IDs (one entry per transition at LogLevelChanges). The difference is what
// the logger costs next to a tracer, trace context included; compare it with
// BenchmarkOtelLogger, whose logger finds no spans.
func BenchmarkOtelLoggerTraced(b *testing.B) {
	for _, withLogger := range []bool{false, true} {
		name := "tracer"
		if withLogger {
			name = "tracer+logger"
		}
		b.Run(name, func(b *testing.B) {
			tracer := amtele.NewOtelMachTracer(batchedTracer(b, discardExporter{}), nil)
			// both log, to a sink that drops the entries
			mach, h := machtest.NewMutationsMachine(b, &am.Opts{
				LogLevel: am.LogLevelChanges,
				Logger:   am.DiscardLogs,
				Tracers:  []am.Tracer{tracer},
			})
			if withLogger {
				provider := amtele.NewOtelLoggerProvider(discardLogExporter{})
				b.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
				if err := amtele.BindOtelLogger(mach, provider, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			machtest.RunMutationsOp(b, mach, h)
		})
	}
}
