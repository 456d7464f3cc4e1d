package amtele

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutlog"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
)

// OtelProviders are a tracer and a logger provider configured from the
// environment by [NewOtelProvidersFromEnv].
type OtelProviders struct {
	// Tracer exports spans; give its Tracer to [NewOtelMachTracer].
	Tracer *sdktrace.TracerProvider
	// Logger exports log records; give it to [BindOtelLogger].
	Logger *sdklog.LoggerProvider
}

// Shutdown flushes what both providers hold and stops them. Call it before
// the process exits, after disposing the machines, within a deadline: a
// backend that is down makes the flush wait for ctx.
func (p *OtelProviders) Shutdown(ctx context.Context) error {
	return errors.Join(p.Tracer.Shutdown(ctx), p.Logger.Shutdown(ctx))
}

// NewOtelProvidersFromEnv builds a tracer and a logger provider from the
// standard OpenTelemetry environment variables, with batch processors, so
// exporting never blocks a machine:
//
//   - OTEL_TRACES_EXPORTER, OTEL_LOGS_EXPORTER: "otlp" (the default),
//     "console" (standard output) or "none".
//   - OTEL_EXPORTER_OTLP_PROTOCOL, or per signal
//     OTEL_EXPORTER_OTLP_TRACES_PROTOCOL and OTEL_EXPORTER_OTLP_LOGS_PROTOCOL:
//     "http/protobuf" (the default) or "grpc".
//   - OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION,
//     _CERTIFICATE and their per-signal forms, read by the OTLP exporters.
//   - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, which win over
//     serviceName, the default service name.
//   - OTEL_TRACES_SAMPLER, OTEL_BSP_* and OTEL_BLRP_*, read by the SDK.
//
// The resource also names the host (host.name): Jaeger uses it to tell
// that spans come from one clock and need no clock skew adjustment.
func NewOtelProvidersFromEnv(ctx context.Context, serviceName string) (*OtelProviders, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil {
		return nil, fmt.Errorf("otel resource: %w", err)
	}
	spanExp, err := spanExporterFromEnv(ctx)
	if err != nil {
		return nil, err
	}
	logExp, err := logExporterFromEnv(ctx)
	if err != nil {
		if spanExp != nil {
			err = errors.Join(err, spanExp.Shutdown(ctx))
		}
		return nil, err
	}

	tracerOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if spanExp != nil {
		tracerOpts = append(tracerOpts, sdktrace.WithBatcher(spanExp))
	}
	loggerOpts := []sdklog.LoggerProviderOption{sdklog.WithResource(res)}
	if logExp != nil {
		loggerOpts = append(loggerOpts, sdklog.WithProcessor(sdklog.NewBatchProcessor(logExp)))
	}
	return &OtelProviders{
		Tracer: sdktrace.NewTracerProvider(tracerOpts...),
		Logger: sdklog.NewLoggerProvider(loggerOpts...),
	}, nil
}

// Exporter kinds of OTEL_TRACES_EXPORTER and OTEL_LOGS_EXPORTER.
const (
	exporterOTLP    = "otlp"
	exporterConsole = "console"
	exporterNone    = "none"
)

// OTLP protocols of OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	protocolHTTP = "http/protobuf"
	protocolGRPC = "grpc"
)

// spanExporterFromEnv returns the exporter OTEL_TRACES_EXPORTER asks for,
// or nil for "none".
func spanExporterFromEnv(ctx context.Context) (sdktrace.SpanExporter, error) {
	kind, protocol, err := exporterEnv("TRACES")
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	switch {
	case kind == exporterNone:
		return nil, nil
	case kind == exporterConsole:
		exp, err = stdouttrace.New()
	case protocol == protocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	default:
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("otel %s span exporter: %w", kind, err)
	}
	return exp, nil
}

// logExporterFromEnv returns the exporter OTEL_LOGS_EXPORTER asks for, or
// nil for "none".
func logExporterFromEnv(ctx context.Context) (sdklog.Exporter, error) {
	kind, protocol, err := exporterEnv("LOGS")
	if err != nil {
		return nil, err
	}
	var exp sdklog.Exporter
	switch {
	case kind == exporterNone:
		return nil, nil
	case kind == exporterConsole:
		exp, err = stdoutlog.New()
	case protocol == protocolGRPC:
		exp, err = otlploggrpc.New(ctx)
	default:
		exp, err = otlploghttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("otel %s log exporter: %w", kind, err)
	}
	return exp, nil
}

// exporterEnv reads and checks the exporter kind and OTLP protocol of a
// signal ("TRACES" or "LOGS").
func exporterEnv(signal string) (kind, protocol string, err error) {
	kindVar := "OTEL_" + signal + "_EXPORTER"
	kind = strings.TrimSpace(os.Getenv(kindVar))
	switch kind {
	case "":
		kind = exporterOTLP
	case exporterOTLP, exporterConsole, exporterNone:
	default:
		return "", "", fmt.Errorf("%s=%q: want %s, %s or %s", kindVar, kind, exporterOTLP, exporterConsole, exporterNone)
	}
	protoVar := "OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"
	protocol = strings.TrimSpace(os.Getenv(protoVar))
	if protocol == "" {
		protoVar = "OTEL_EXPORTER_OTLP_PROTOCOL"
		protocol = strings.TrimSpace(os.Getenv(protoVar))
	}
	switch protocol {
	case "":
		protocol = protocolHTTP
	case protocolHTTP, protocolGRPC:
	default:
		// http/json is standard, but the Go OTLP exporters do not speak it
		return "", "", fmt.Errorf("%s=%q: want %s or %s", protoVar, protocol, protocolHTTP, protocolGRPC)
	}
	return kind, protocol, nil
}
