// Command otel-demo runs an order workflow, an order machine with payment
// and shipping submachines, traced with amtele.
//
//	go run ./examples/otel-demo
//
// exports its traces and logs over OTLP as the OTEL_* environment variables
// say (see amtele.NewOtelProvidersFromEnv), for example to a local Jaeger:
//
//	OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 \
//	OTEL_LOGS_EXPORTER=console go run ./examples/otel-demo
//
// With -o it writes the trace to a file instead, as one OTLP JSON object
// that Jaeger's UI can load. This is how assets/otel-demo-trace.json is made:
//
//	go run ./examples/otel-demo -o assets/otel-demo-trace.json
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/amkit-dev/amkit/internal/buildinfo"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

func main() {
	out := flag.String("o", "", "write the trace to this `file` as OTLP JSON, instead of exporting it")
	version := buildinfo.Flag(flag.CommandLine)
	flag.Parse()
	if *version {
		fmt.Println(buildinfo.Version("otel-demo"))
		return
	}
	log.SetFlags(0)
	ctx := context.Background()
	if *out != "" {
		b, err := traceFile(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s\n", *out)
		return
	}
	if err := export(ctx); err != nil {
		log.Fatal(err)
	}
}

// export runs the workflow with traces and logs sent where the environment
// says.
func export(ctx context.Context) (err error) {
	otel, err := amtele.NewOtelProvidersFromEnv(ctx, demoService)
	if err != nil {
		return err
	}
	defer func() {
		// flush, but do not wait long on a backend that is down
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if shutdownErr := otel.Shutdown(ctx); shutdownErr != nil && err == nil {
			err = fmt.Errorf("flushing telemetry: %w", shutdownErr)
		}
	}()
	tracer := amtele.NewOtelMachTracer(otel.Tracer.Tracer(demoService), nil)
	return runWorkflow(ctx, tracer, func(order *am.Machine) error {
		order.SetLogLevel(am.LogLevelOps)
		return amtele.BindOtelLogger(order, otel.Logger, demoService)
	})
}
