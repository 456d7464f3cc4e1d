package e2e

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

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

// findTag returns the value of the tag named key.
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

// getTraces GETs a query API path that returns traces.
func (j *JaegerBackend) getTraces(ctx context.Context, path string) ([]Trace, error) {
	var resp jaegerResponse
	status, err := getJSON(ctx, j.QueryURL+path, &resp)
	if err != nil {
		return nil, fmt.Errorf("jaeger query %s: %w", path, err)
	}
	// The query API reports an unknown trace as a 404 error in the body;
	// treat it as "nothing yet" so callers can poll.
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
