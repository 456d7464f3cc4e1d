package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// JaegerBackend is a running Jaeger v2 all-in-one with in-memory storage.
type JaegerBackend struct {
	// OTLPGRPCAddr is host:port of the OTLP/gRPC trace receiver, for
	// otlptracegrpc.WithEndpoint (plaintext: use WithInsecure).
	OTLPGRPCAddr string
	// OTLPHTTPAddr is host:port of the OTLP/HTTP receiver; traces go to
	// http://OTLPHTTPAddr/v1/traces.
	OTLPHTTPAddr string
	// QueryURL is the base URL of the query service (UI and /api/...).
	QueryURL string
	// HealthURL is the health check extension's status endpoint; empty for
	// an existing Jaeger (EnvJaegerURL), as are MetricsURL and Dir.
	HealthURL string
	// MetricsURL is where Jaeger exposes its own Prometheus metrics.
	MetricsURL string
	// Dir holds the generated config and Jaeger's log.
	Dir string
}

// jaegerPorts is the order in which StartJaeger assigns free ports.
const (
	jPortOTLPGRPC = iota
	jPortOTLPHTTP
	jPortQueryHTTP
	jPortQueryGRPC
	jPortHealth
	jPortMetrics
	jPortCount
)

// StartJaeger starts Jaeger v2 (the pinned cmd/jaeger build) with in-memory
// storage, OTLP gRPC and HTTP receivers and the query API, every listener on
// its own free loopback port so several Jaegers can run at once, or returns
// the one EnvJaegerURL names. It skips or fails like Require when the
// binary is missing.
func StartJaeger(t testing.TB) *JaegerBackend {
	t.Helper()
	b, err := startJaeger(context.Background(), testHost{t})
	mustStart(t, Jaeger, err)
	return b
}

// startJaeger starts Jaeger for h; ctx bounds the wait until it is ready.
func startJaeger(ctx context.Context, h host) (*JaegerBackend, error) {
	if u := External(Jaeger); u != "" {
		return externalJaeger(ctx, u)
	}
	j := &JaegerBackend{}
	if _, err := startBackend(ctx, h, Jaeger, func(dir string) (launchSpec, error) {
		ports, err := freePorts(jPortCount)
		if err != nil {
			return launchSpec{}, err
		}
		cfg := jaegerConfig(ports)
		b, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			return launchSpec{}, fmt.Errorf("encoding jaeger config: %w", err)
		}
		// JSON is YAML, and encoding/json gets the quoting right for free.
		path := filepath.Join(dir, "jaeger.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return launchSpec{}, fmt.Errorf("writing jaeger config: %w", err)
		}
		*j = JaegerBackend{
			OTLPGRPCAddr: hostPort(ports[jPortOTLPGRPC]),
			OTLPHTTPAddr: hostPort(ports[jPortOTLPHTTP]),
			QueryURL:     "http://" + hostPort(ports[jPortQueryHTTP]),
			HealthURL:    "http://" + hostPort(ports[jPortHealth]) + "/status",
			MetricsURL:   "http://" + hostPort(ports[jPortMetrics]) + "/metrics",
			Dir:          dir,
		}
		return launchSpec{
			args: []string{"--config=file:" + path},
			// The health check turns green only once every pipeline has
			// started; the query API and receiver probes guard against a
			// health endpoint that answers before the listeners are bound.
			ready: allOf(
				httpOK(j.HealthURL),
				httpOK(j.QueryURL+"/api/services"),
				tcpOpen(j.OTLPGRPCAddr),
				tcpOpen(j.OTLPHTTPAddr),
			),
		}, nil
	}); err != nil {
		return nil, err
	}
	return j, nil
}

// jaegerConfig builds the collector-style config for an all-in-one Jaeger
// that binds nothing on a default port.
func jaegerConfig(ports []int) map[string]any {
	addr := func(i int) string { return hostPort(ports[i]) }
	return map[string]any{
		"service": map[string]any{
			"extensions": []string{"jaeger_storage", "jaeger_query", "healthcheckv2"},
			"pipelines": map[string]any{
				"traces": map[string]any{
					"receivers":  []string{"otlp"},
					"processors": []string{"batch"},
					"exporters":  []string{"jaeger_storage_exporter"},
				},
			},
			"telemetry": map[string]any{
				"resource": map[string]any{"service.name": "jaeger"},
				"logs":     map[string]any{"level": "info"},
				"metrics": map[string]any{
					"level": "basic",
					"readers": []any{map[string]any{
						"pull": map[string]any{"exporter": map[string]any{
							"prometheus": map[string]any{"host": "127.0.0.1", "port": ports[jPortMetrics]},
						}},
					}},
				},
			},
		},
		"extensions": map[string]any{
			"jaeger_storage": map[string]any{
				"backends": map[string]any{
					"memstore": map[string]any{"memory": map[string]any{"max_traces": 100000}},
				},
			},
			"jaeger_query": map[string]any{
				"storage": map[string]any{"traces": "memstore"},
				"http":    map[string]any{"endpoint": addr(jPortQueryHTTP)},
				"grpc":    map[string]any{"endpoint": addr(jPortQueryGRPC)},
				// On by default, it traces the query service to the default
				// OTLP endpoint localhost:4317, which is not ours: exports
				// fail and shutdown then blocks for 10s flushing them.
				"enable_tracing": false,
			},
			"healthcheckv2": map[string]any{
				"use_v2": true,
				"http":   map[string]any{"endpoint": addr(jPortHealth)},
			},
		},
		"receivers": map[string]any{
			"otlp": map[string]any{"protocols": map[string]any{
				"grpc": map[string]any{"endpoint": addr(jPortOTLPGRPC)},
				"http": map[string]any{"endpoint": addr(jPortOTLPHTTP)},
			}},
		},
		"processors": map[string]any{
			// A short batch timeout keeps spans queryable soon after export.
			"batch": map[string]any{"timeout": "100ms"},
		},
		"exporters": map[string]any{
			"jaeger_storage_exporter": map[string]any{"trace_storage": "memstore"},
		},
	}
}
