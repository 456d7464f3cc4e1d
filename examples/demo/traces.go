package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// otelSwitches are the variables that turn OpenTelemetry export on: an
// endpoint, or an explicit exporter choice.
var otelSwitches = []string{
	"OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
	"OTEL_TRACES_EXPORTER",
	"OTEL_LOGS_EXPORTER",
}

// bindTraces exports traces and OpenTelemetry logs: over OTLP as the OTEL_*
// variables say, to the trace file, or both, from one tracer provider.
func (t *telemetry) bindTraces(ctx context.Context, cfg config, mach *am.Machine) error {
	var (
		tp      *sdktrace.TracerProvider
		file    *traceFile
		tracing bool // some exporter takes spans
	)
	// registered once tp exists; it sees file, set later
	closeTraces := func(ctx context.Context) error {
		// flushes the spans, to OTLP and into the file
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("flushing traces: %w", err)
		}
		if file == nil {
			return nil
		}
		return file.write()
	}

	if otelOn() {
		otel, err := amtele.NewOtelProvidersFromEnv(ctx, serviceName)
		if err != nil {
			return err
		}
		tp = otel.Tracer
		t.closers = append(t.closers, closeTraces, func(ctx context.Context) error {
			if err := otel.Logger.Shutdown(ctx); err != nil {
				return fmt.Errorf("flushing otel logs: %w", err)
			}
			return nil
		})
		traces, logs := otlpDestination("TRACES"), otlpDestination("LOGS")
		t.add("otel traces", traces, "OTEL_EXPORTER_OTLP_ENDPOINT")
		t.add("otel logs", logs, "OTEL_LOGS_EXPORTER")
		tracing = traces != ""
		if logs != "" {
			if err := amtele.BindOtelLogger(mach, otel.Logger, serviceName); err != nil {
				return fmt.Errorf("binding otel logger: %w", err)
			}
		}
	} else {
		t.add("otel", "", "OTEL_EXPORTER_OTLP_ENDPOINT")
	}

	fileWhere := ""
	if cfg.TraceFile != "" {
		if tp == nil {
			res, err := resource.New(ctx,
				resource.WithAttributes(semconv.ServiceName(serviceName)),
				resource.WithTelemetrySDK(),
				// tells Jaeger that the spans share one clock
				resource.WithHost(),
			)
			if err != nil {
				return fmt.Errorf("trace resource: %w", err)
			}
			tp = sdktrace.NewTracerProvider(sdktrace.WithResource(res))
			t.closers = append(t.closers, closeTraces)
		}
		file = newTraceFile(cfg.TraceFile, defaultTraceFileSpans)
		exp, err := file.exporter(ctx)
		if err != nil {
			return err
		}
		tp.RegisterSpanProcessor(sdktrace.NewBatchSpanProcessor(exp))
		t.traceFile = file
		fileWhere = cfg.TraceFile + ", written at exit"
		tracing = true
	}
	t.add("trace file", fileWhere, envTraceFile)
	if !tracing {
		return nil
	}
	if err := mach.BindTracer(amtele.NewOtelMachTracer(tp.Tracer(serviceName), nil)); err != nil {
		return fmt.Errorf("binding otel tracer: %w", err)
	}
	return nil
}

// otelOn reports whether the environment asks for OpenTelemetry export.
func otelOn() bool {
	for _, v := range otelSwitches {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// otlpDestination describes where amtele.NewOtelProvidersFromEnv sends a
// signal ("TRACES" or "LOGS"), or returns "" when it is off.
func otlpDestination(signal string) string {
	switch strings.TrimSpace(os.Getenv("OTEL_" + signal + "_EXPORTER")) {
	case "none":
		return ""
	case "console":
		return "standard output"
	}
	protocol := firstEnv("OTEL_EXPORTER_OTLP_"+signal+"_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	if protocol == "" {
		protocol = "http/protobuf"
	}
	if endpoint := firstEnv("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"); endpoint != "" {
		return endpoint + " (" + protocol + ")"
	}
	endpoint := firstEnv("OTEL_EXPORTER_OTLP_ENDPOINT")
	switch {
	case endpoint == "" && protocol == "grpc":
		endpoint = "localhost:4317"
	case endpoint == "":
		endpoint = "http://localhost:4318"
	}
	if protocol != "grpc" {
		// the HTTP exporters append the signal's path to the base endpoint
		endpoint = strings.TrimSuffix(endpoint, "/") + "/v1/" + strings.ToLower(signal)
	}
	return endpoint + " (" + protocol + ")"
}

// firstEnv returns the first non-empty variable of names.
func firstEnv(names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v
		}
	}
	return ""
}
