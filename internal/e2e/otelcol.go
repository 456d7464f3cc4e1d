package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// CollectorOptions configures StartCollector: where the Collector sends
// what it receives. A signal without a destination has no pipeline.
type CollectorOptions struct {
	// TracesOTLPGRPC is host:port of an OTLP/gRPC trace receiver, such as
	// JaegerBackend.OTLPGRPCAddr; sent in plaintext.
	TracesOTLPGRPC string
	// LogsOTLPHTTP is the URL of an OTLP/HTTP logs endpoint, such as
	// VictoriaLogsBackend.OTLPLogsURL.
	LogsOTLPHTTP string
}

// CollectorBackend is a running OpenTelemetry Collector (the build of
// tools/otelcol): an OTLP receiver, a batch processor, and OTLP exporters
// to the destinations of its CollectorOptions.
type CollectorBackend struct {
	// OTLPGRPCAddr is host:port of the OTLP/gRPC receiver.
	OTLPGRPCAddr string
	// OTLPHTTPAddr is host:port of the OTLP/HTTP receiver.
	OTLPHTTPAddr string
	// Dir holds the generated config and the Collector's log.
	Dir string
}

// StartCollector starts the pinned Collector build on free loopback ports,
// forwarding to opts' destinations. It skips or fails like Require when the
// binary is missing.
func StartCollector(t testing.TB, opts CollectorOptions) *CollectorBackend {
	t.Helper()
	b, err := startCollector(context.Background(), testHost{t}, opts)
	mustStart(t, Collector, err)
	return b
}

// startCollector starts the Collector for h; ctx bounds the wait until it
// is ready.
func startCollector(ctx context.Context, h host, opts CollectorOptions) (*CollectorBackend, error) {
	if opts.TracesOTLPGRPC == "" && opts.LogsOTLPHTTP == "" {
		return nil, fmt.Errorf("e2e: a Collector with nowhere to send to")
	}
	c := &CollectorBackend{}
	if _, err := startBackend(ctx, h, Collector, func(dir string) (launchSpec, error) {
		ports, err := freePorts(2)
		if err != nil {
			return launchSpec{}, err
		}
		*c = CollectorBackend{OTLPGRPCAddr: hostPort(ports[0]), OTLPHTTPAddr: hostPort(ports[1]), Dir: dir}
		b, err := json.MarshalIndent(collectorConfig(c, opts), "", "  ")
		if err != nil {
			return launchSpec{}, fmt.Errorf("encoding collector config: %w", err)
		}
		// JSON is YAML
		path := filepath.Join(dir, "otelcol.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return launchSpec{}, fmt.Errorf("writing collector config: %w", err)
		}
		return launchSpec{
			args:  []string{"--config=file:" + path},
			ready: allOf(tcpOpen(c.OTLPGRPCAddr), tcpOpen(c.OTLPHTTPAddr)),
		}, nil
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// collectorConfig builds the Collector's config: a pipeline per signal
// with a destination, batching briefly so tests see data soon.
func collectorConfig(c *CollectorBackend, opts CollectorOptions) map[string]any {
	exporters := map[string]any{}
	pipelines := map[string]any{}
	if opts.TracesOTLPGRPC != "" {
		exporters["otlp"] = map[string]any{
			"endpoint": opts.TracesOTLPGRPC,
			"tls":      map[string]any{"insecure": true},
		}
		pipelines["traces"] = map[string]any{
			"receivers": []string{"otlp"}, "processors": []string{"batch"}, "exporters": []string{"otlp"},
		}
	}
	if opts.LogsOTLPHTTP != "" {
		exporters["otlphttp"] = map[string]any{"logs_endpoint": opts.LogsOTLPHTTP}
		pipelines["logs"] = map[string]any{
			"receivers": []string{"otlp"}, "processors": []string{"batch"}, "exporters": []string{"otlphttp"},
		}
	}
	return map[string]any{
		"receivers": map[string]any{
			"otlp": map[string]any{"protocols": map[string]any{
				"grpc": map[string]any{"endpoint": c.OTLPGRPCAddr},
				"http": map[string]any{"endpoint": c.OTLPHTTPAddr},
			}},
		},
		"processors": map[string]any{"batch": map[string]any{"timeout": "200ms"}},
		"exporters":  exporters,
		"service": map[string]any{
			"pipelines": pipelines,
			"telemetry": map[string]any{
				"logs": map[string]any{"level": "warn"},
				// its own metrics would listen on the fixed port 8888
				"metrics": map[string]any{"level": "none"},
			},
		},
	}
}
