package amtele

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
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

// MaxOTLPResponseBody is how much of an OTLP/HTTP response the exporters of
// [NewOtelProvidersFromEnv] read. A success response holds a few bytes; an
// error body is only quoted in the error, and a misbehaving backend may
// send megabytes of it.
const MaxOTLPResponseBody = 4 << 10

// OtelProviders are a tracer and a logger provider configured from the
// environment by [NewOtelProvidersFromEnv].
type OtelProviders struct {
	// Tracer exports spans; give its Tracer to [NewOtelMachTracer].
	Tracer *sdktrace.TracerProvider
	// Logger exports log records; give it to [BindOtelLogger].
	Logger *sdklog.LoggerProvider
	// Disabled is true when OTEL_SDK_DISABLED=true made both providers
	// no-ops: they sample nothing and export nothing.
	Disabled bool

	spans, logs []*exportCounts
}

// OtelStats count what the providers of [NewOtelProvidersFromEnv] lost,
// over all their exporters.
type OtelStats struct {
	// SpansDropped and LogsDropped were dropped because the batch
	// processor's queue was full: the exporter fell behind, or the backend
	// is down and the exporter retrying.
	SpansDropped, LogsDropped uint64
	// SpansFailed and LogsFailed were in exports that failed, retries
	// included.
	SpansFailed, LogsFailed uint64
}

// Stats returns what the providers dropped or failed to export so far. The
// same counts, summed, are registered in package drops under
// [drops.OtelSpans] and [drops.OtelLogs], which amprom exports as
// am_telemetry_dropped_total.
func (p *OtelProviders) Stats() OtelStats {
	var s OtelStats
	for _, c := range p.spans {
		s.SpansDropped += c.dropped.Load()
		s.SpansFailed += c.failed.Load()
	}
	for _, c := range p.logs {
		s.LogsDropped += c.dropped.Load()
		s.LogsFailed += c.failed.Load()
	}
	return s
}

// Shutdown flushes what both providers hold and stops them. Call it before
// the process exits, after disposing the machines, within a deadline: a
// backend that is down makes the flush wait for ctx.
func (p *OtelProviders) Shutdown(ctx context.Context) error {
	// each batch processor keeps its final count in package drops as the
	// providers shut it down
	return errors.Join(p.Tracer.Shutdown(ctx), p.Logger.Shutdown(ctx))
}

// otelErrors is the error handler that NewOtelProvidersFromEnv installs.
var otelErrors = NewRateLimitedErrorHandler(DefaultErrorLogInterval, nil)

// OtelErrorHandler returns the rate-limited error handler that
// [NewOtelProvidersFromEnv] installs as OpenTelemetry's global one, to read
// how many errors it received.
func OtelErrorHandler() *RateLimitedErrorHandler { return otelErrors }

// NewOtelProvidersFromEnv builds a tracer and a logger provider from the
// standard OpenTelemetry environment variables, with batch processors, so
// exporting never blocks a machine. It reads:
//
//	Variable                               Values; default                         Read by
//	OTEL_SDK_DISABLED                      true: no-op providers; false            amtele
//	OTEL_TRACES_EXPORTER                   list of otlp, console; or none; otlp    amtele
//	OTEL_LOGS_EXPORTER                     list of otlp, console; or none; otlp    amtele
//	OTEL_EXPORTER_OTLP_PROTOCOL            http/protobuf, grpc; http/protobuf      amtele
//	OTEL_EXPORTER_OTLP_ENDPOINT            URL; localhost:4318 (gRPC :4317)        OTLP exporters
//	OTEL_EXPORTER_OTLP_HEADERS             key=value,...                           OTLP exporters
//	OTEL_EXPORTER_OTLP_TIMEOUT             ms per attempt; 10000                   OTLP exporters
//	OTEL_EXPORTER_OTLP_COMPRESSION         gzip, none; none                        OTLP exporters
//	OTEL_EXPORTER_OTLP_CERTIFICATE         PEM file of trusted CAs                 OTLP exporters
//	OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE  PEM file, with _CLIENT_KEY              OTLP exporters
//	OTEL_EXPORTER_OTLP_INSECURE            true: no TLS to a scheme-less endpoint  OTLP/gRPC
//	OTEL_EXPORTER_OTLP_TRACES_*, _LOGS_*   each OTLP one, per signal               as above
//	OTEL_SERVICE_NAME                      wins over serviceName                   resource
//	OTEL_RESOURCE_ATTRIBUTES               key=value,...                           resource
//	OTEL_TRACES_SAMPLER, _SAMPLER_ARG      always_on, traceidratio, ...            trace SDK
//	OTEL_BSP_MAX_QUEUE_SIZE                spans; 2048                             amtele
//	OTEL_BSP_SCHEDULE_DELAY                ms; 5000                                trace SDK
//	OTEL_BSP_EXPORT_TIMEOUT                ms per export, retries included; 30000  trace SDK
//	OTEL_BSP_MAX_EXPORT_BATCH_SIZE         spans; 512                              trace SDK
//	OTEL_BLRP_MAX_QUEUE_SIZE               log records; 2048                       amtele
//	OTEL_BLRP_SCHEDULE_DELAY               ms; 1000                                log SDK
//	OTEL_BLRP_EXPORT_TIMEOUT               ms; 30000                               log SDK
//	OTEL_BLRP_MAX_EXPORT_BATCH_SIZE        log records; 512                        log SDK
//	OTEL_SPAN_*_LIMIT, OTEL_ATTRIBUTE_*    span limits                             trace SDK
//	OTEL_LOGRECORD_ATTRIBUTE_*_LIMIT       log record limits                       log SDK
//
// OTEL_EXPORTER_OTLP_INSECURE applies, as the specification says, to an
// endpoint given without http:// or https:// (such as //collector:4317);
// for one given with a scheme, the scheme decides for the log exporter,
// while the span exporter lets the variable win over https://.
//
// Each exporter of a list gets a batch processor of its own. What a full
// queue drops and what failed exports lose is counted: see
// [OtelProviders.Stats]. OTLP/HTTP exporters read at most
// [MaxOTLPResponseBody] of a response, so a backend answering with a huge
// error body costs neither memory nor log volume.
//
// It installs [OtelErrorHandler] as OpenTelemetry's global error handler
// ([otel.SetErrorHandler]), which logs failed exports at most once per
// [DefaultErrorLogInterval] with their count; set another after this call
// to replace it.
//
// The resource also names the host (host.name): Jaeger uses it to tell
// that spans come from one clock and need no clock skew adjustment.
func NewOtelProvidersFromEnv(ctx context.Context, serviceName string) (*OtelProviders, error) {
	if boolEnv("OTEL_SDK_DISABLED") {
		return &OtelProviders{
			Tracer:   sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())),
			Logger:   sdklog.NewLoggerProvider(),
			Disabled: true,
		}, nil
	}
	traceKinds, traceProto, err := exporterEnv("TRACES")
	if err != nil {
		return nil, err
	}
	logKinds, logProto, err := exporterEnv("LOGS")
	if err != nil {
		return nil, err
	}
	spanQueue, err := queueSizeEnv("OTEL_BSP_MAX_QUEUE_SIZE")
	if err != nil {
		return nil, err
	}
	logQueue, err := queueSizeEnv("OTEL_BLRP_MAX_QUEUE_SIZE")
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil {
		return nil, fmt.Errorf("otel resource: %w", err)
	}

	p := &OtelProviders{}
	var spanExps []sdktrace.SpanExporter
	var logExps []sdklog.Exporter
	shutdownAll := func(err error) error {
		for _, e := range spanExps {
			err = errors.Join(err, e.Shutdown(ctx))
		}
		for _, e := range logExps {
			err = errors.Join(err, e.Shutdown(ctx))
		}
		return err
	}
	for _, kind := range traceKinds {
		exp, err := newSpanExporter(ctx, kind, traceProto)
		if err != nil {
			return nil, shutdownAll(err)
		}
		spanExps = append(spanExps, exp)
	}
	for _, kind := range logKinds {
		exp, err := newLogExporter(ctx, kind, logProto)
		if err != nil {
			return nil, shutdownAll(err)
		}
		logExps = append(logExps, exp)
	}

	tracerOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, exp := range spanExps {
		c := &exportCounts{capacity: int64(spanQueue)}
		p.spans = append(p.spans, c)
		tracerOpts = append(tracerOpts, sdktrace.WithSpanProcessor(newCountingSpanBatcher(exp, c)))
	}
	loggerOpts := []sdklog.LoggerProviderOption{sdklog.WithResource(res)}
	for _, exp := range logExps {
		c := &exportCounts{capacity: int64(logQueue)}
		p.logs = append(p.logs, c)
		loggerOpts = append(loggerOpts, sdklog.WithProcessor(newCountingLogBatcher(exp, c)))
	}
	p.Tracer = sdktrace.NewTracerProvider(tracerOpts...)
	p.Logger = sdklog.NewLoggerProvider(loggerOpts...)
	otel.SetErrorHandler(otelErrors)
	return p, nil
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

// newSpanExporter returns an exporter of a kind of OTEL_TRACES_EXPORTER.
func newSpanExporter(ctx context.Context, kind, protocol string) (sdktrace.SpanExporter, error) {
	var exp sdktrace.SpanExporter
	var err error
	switch {
	case kind == exporterConsole:
		exp, err = stdouttrace.New()
	case protocol == protocolGRPC:
		exp, err = otlptracegrpc.New(ctx)
	default:
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithMaxResponseSize(MaxOTLPResponseBody))
	}
	if err != nil {
		return nil, fmt.Errorf("otel %s span exporter: %w", kind, err)
	}
	return exp, nil
}

// newLogExporter returns an exporter of a kind of OTEL_LOGS_EXPORTER.
func newLogExporter(ctx context.Context, kind, protocol string) (sdklog.Exporter, error) {
	var exp sdklog.Exporter
	var err error
	switch {
	case kind == exporterConsole:
		exp, err = stdoutlog.New()
	case protocol == protocolGRPC:
		exp, err = otlploggrpc.New(ctx)
	default:
		exp, err = otlploghttp.New(ctx, otlploghttp.WithMaxResponseSize(MaxOTLPResponseBody))
	}
	if err != nil {
		return nil, fmt.Errorf("otel %s log exporter: %w", kind, err)
	}
	return exp, nil
}

// exporterEnv reads and checks the exporter kinds and OTLP protocol of a
// signal ("TRACES" or "LOGS"). The kinds are a comma-separated list,
// without repeats; "none" stands alone and gives no kinds.
func exporterEnv(signal string) (kinds []string, protocol string, err error) {
	kindVar := "OTEL_" + signal + "_EXPORTER"
	value := strings.TrimSpace(os.Getenv(kindVar))
	if value == "" {
		value = exporterOTLP
	}
	for _, kind := range strings.Split(value, ",") {
		switch kind = strings.TrimSpace(kind); kind {
		case exporterOTLP, exporterConsole:
			if !slices.Contains(kinds, kind) {
				kinds = append(kinds, kind)
			}
		case exporterNone:
			if value != exporterNone {
				return nil, "", fmt.Errorf("%s=%q: %s cannot be listed with other exporters", kindVar, value, exporterNone)
			}
		default:
			return nil, "", fmt.Errorf("%s=%q: want a list of %s and %s, or %s", kindVar, value, exporterOTLP, exporterConsole, exporterNone)
		}
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
		return nil, "", fmt.Errorf("%s=%q: want %s or %s", protoVar, protocol, protocolHTTP, protocolGRPC)
	}
	return kinds, protocol, nil
}

// boolEnv reads a boolean variable as the specification says: "true" in
// any case is true; unset, empty and "false" are false. Other values are
// false too, with a warning.
func boolEnv(name string) bool {
	v := strings.TrimSpace(os.Getenv(name))
	switch {
	case strings.EqualFold(v, "true"):
		return true
	case v != "" && !strings.EqualFold(v, "false"):
		slog.Warn("ignoring an OpenTelemetry variable that is neither true nor false", "variable", name, "value", v)
	}
	return false
}

// defaultQueueSize is the SDKs' default queue size of both batch
// processors.
const defaultQueueSize = 2048

// queueSizeEnv reads a batch processor's queue size, which the counting
// processors must know. Unlike the SDK, which falls back to the default,
// an invalid value is an error.
func queueSizeEnv(name string) (int, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return defaultQueueSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive number", name, v)
	}
	return n, nil
}
