package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
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
	// HealthURL is the health check extension's status endpoint.
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
// its own free loopback port so several Jaegers can run at once. It skips or
// fails like Require when the binary is missing.
func StartJaeger(t testing.TB) *JaegerBackend {
	t.Helper()
	j := &JaegerBackend{}
	startBackend(t, Jaeger, func(dir string) (launchSpec, error) {
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
	})
	return j
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

// Trace is one trace as returned by Jaeger's query API (/api/traces).
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is a span in Jaeger's query API model.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	// StartTime is microseconds since the Unix epoch, as Jaeger sends it.
	StartTime int64 `json:"startTime"`
	// Duration is in microseconds.
	Duration  int64      `json:"duration"`
	Tags      []KeyValue `json:"tags"`
	Logs      []SpanLog  `json:"logs"`
	ProcessID string     `json:"processID"`
	Warnings  []string   `json:"warnings"`
}

// Reference links a span to another, e.g. its parent (RefType "CHILD_OF").
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag; Value is decoded from JSON, so numbers are float64
// (Jaeger sends int64 tags as JSON numbers).
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// SpanLog is a timestamped event on a span.
type SpanLog struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Process identifies the service that emitted spans.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Tag returns the value of the span tag named key.
func (s Span) Tag(key string) (any, bool) { return findTag(s.Tags, key) }

// Tag returns the value of the process tag named key.
func (p Process) Tag(key string) (any, bool) { return findTag(p.Tags, key) }

func findTag(tags []KeyValue, key string) (any, bool) {
	for _, kv := range tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Start returns the span's start time.
func (s Span) Start() time.Time { return time.UnixMicro(s.StartTime) }

// ParentSpanID returns the span ID of the CHILD_OF reference, or "" for a
// root span.
func (s Span) ParentSpanID() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// SpanByName returns the first span with the given operation name.
func (tr Trace) SpanByName(op string) (Span, bool) {
	for _, s := range tr.Spans {
		if s.OperationName == op {
			return s, true
		}
	}
	return Span{}, false
}

// jaegerResponse is the envelope of Jaeger's JSON query API.
type jaegerResponse struct {
	Data   []Trace `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// Traces returns the recent traces of a service (GET /api/traces). An
// unknown service yields no traces and no error, so callers can poll.
func (j *JaegerBackend) Traces(ctx context.Context, service string) ([]Trace, error) {
	q := url.Values{
		"service":  {service},
		"lookback": {"1h"},
		"limit":    {"100"},
	}
	return j.getTraces(ctx, "/api/traces?"+q.Encode())
}

// Trace returns one trace by hex ID (GET /api/traces/{id}).
func (j *JaegerBackend) Trace(ctx context.Context, traceID string) (Trace, error) {
	traces, err := j.getTraces(ctx, "/api/traces/"+url.PathEscape(traceID))
	if err != nil {
		return Trace{}, err
	}
	if len(traces) != 1 {
		return Trace{}, fmt.Errorf("jaeger trace %s: got %d traces, want 1", traceID, len(traces))
	}
	return traces[0], nil
}

func (j *JaegerBackend) getTraces(ctx context.Context, path string) ([]Trace, error) {
	var resp jaegerResponse
	status, err := getJSON(ctx, j.QueryURL+path, &resp)
	if err != nil {
		return nil, fmt.Errorf("jaeger query %s: %w", path, err)
	}
	// The query API reports "trace not found" and unknown services as
	// errors in the body; treat them as "nothing yet" so callers can poll.
	if status == 404 {
		return nil, nil
	}
	if len(resp.Errors) > 0 {
		if resp.Errors[0].Code == 404 {
			return nil, nil
		}
		return nil, fmt.Errorf("jaeger query %s: %d %s", path, resp.Errors[0].Code, resp.Errors[0].Msg)
	}
	if status != 200 {
		return nil, fmt.Errorf("jaeger query %s: status %d", path, status)
	}
	return resp.Data, nil
}
