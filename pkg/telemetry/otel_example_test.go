package amtele_test

import (
	"context"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"log"
	"slices"
	"strings"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// printTree prints span names indented by depth, children in start order,
// as the examples show them.
func printTree(spans []sdktrace.ReadOnlySpan) {
	fmt.Print(strings.TrimPrefix(newSpanTree(spans).render(), "\n"))
}

func ExampleNewOtelMachTracer() {
	// A real program exports with a batch processor, for example from
	// NewOtelProvidersFromEnv; the recorder shows what would be exported.
	rec := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer provider.Shutdown(context.Background())

	tracer := amtele.NewOtelMachTracer(provider.Tracer("example"), nil)
	ctx := context.Background()
	mach, _ := am.New(ctx, am.Schema{"Ready": {}}, &am.Opts{ID: "app", Tracers: []am.Tracer{tracer}})
	// the submachine inherits the tracer
	worker, _ := am.New(ctx, am.Schema{"Busy": {}}, &am.Opts{ID: "worker", Parent: mach})

	mach.Add1("Ready", nil)
	worker.Add1("Busy", nil)
	worker.Remove1("Busy", nil)
	mach.Dispose()
	<-worker.WhenDisposed()
	<-mach.WhenDisposed()

	printTree(rec.Ended())
	// Output:
	// mach:app
	//   states
	//     Ready
	//       Ready
	//   submachines
	//     mach:worker
	//       states
	//         Busy
	//           Busy
	//       transitions
	//         [add] Busy
	//         [remove] Busy
	//   transitions
	//     [add] Ready
}

func ExampleOtelMachTracerOpts() {
	rec := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer provider.Shutdown(context.Background())

	noisy := am.S{"Heartbeat"}
	tracer := amtele.NewOtelMachTracer(provider.Tracer("example"), &amtele.OtelMachTracerOpts{
		SkipHandlers: true,
		SkipCanceled: true,
		// asked once per machine and state, not per transition
		SkipState: func(_ *am.Machine, state string) bool { return slices.Contains(noisy, state) },
		// a new trace every 1000 transitions or every hour
		RotateTransitions: 1000,
		RotateInterval:    time.Hour,
	})
	mach, _ := am.New(context.Background(), am.Schema{"Ready": {}, "Heartbeat": {Multi: true}},
		&am.Opts{ID: "app", Tracers: []am.Tracer{tracer}})
	mach.Add1("Ready", nil)
	mach.Add1("Heartbeat", nil)
	mach.Add1("Heartbeat", nil)
	mach.Add1("Unknown", nil)
	mach.Dispose()
	<-mach.WhenDisposed()

	printTree(rec.Ended())
	// Output:
	// mach:app
	//   states
	//     Ready
	//       Ready
	//   transitions
	//     [add] Ready
}

// printingExporter prints each log record's severity and body.
type printingExporter struct{}

func (printingExporter) Export(_ context.Context, records []sdklog.Record) error {
	for _, r := range records {
		var machine string
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if string(kv.Key) == amtele.LogAttrMachineID {
				machine = kv.Value.AsString()
			}
			return true
		})
		fmt.Printf("%s %s: %s\n", r.Severity(), machine, r.Body().AsString())
	}
	return nil
}

func (printingExporter) Shutdown(context.Context) error   { return nil }
func (printingExporter) ForceFlush(context.Context) error { return nil }

func ExampleBindOtelLogger() {
	provider := amtele.NewOtelLoggerProvider(printingExporter{})

	ctx := context.Background()
	mach, _ := am.New(ctx, am.Schema{"Ready": {}}, &am.Opts{ID: "app"})
	// the machine logs nothing until its level says so
	mach.SetLogLevel(am.LogLevelOps)
	if err := amtele.BindOtelLogger(mach, provider, "my-service"); err != nil {
		log.Fatal(err)
	}
	mach.Add1("Ready", nil)

	// shutting down flushes the batch
	if err := provider.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// INFO app: [add] Ready
	// INFO app: [state] +Ready
}

func ExampleNewOtelProvidersFromEnv() {
	// For example OTEL_SERVICE_NAME=shop, OTEL_EXPORTER_OTLP_PROTOCOL=grpc
	// and OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 send traces
	// and logs to a local Jaeger or collector.
	ctx := context.Background()
	otel, err := amtele.NewOtelProvidersFromEnv(ctx, "shop")
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		// flush before exiting, but do not wait forever on a dead backend
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := otel.Shutdown(ctx); err != nil {
			log.Print(err)
		}
	}()

	mach, err := am.New(ctx, am.Schema{"Ready": {}}, &am.Opts{
		ID:       "shop",
		LogLevel: am.LogLevelChanges,
		Tracers:  []am.Tracer{amtele.NewOtelMachTracer(otel.Tracer.Tracer("shop"), nil)},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer mach.Dispose()
	if err := amtele.BindOtelLogger(mach, otel.Logger, "shop"); err != nil {
		log.Fatal(err)
	}
	mach.Add1("Ready", nil)
}
