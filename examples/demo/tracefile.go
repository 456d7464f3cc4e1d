package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/amkit-dev/amkit/internal/otlpjson"
)

// defaultTraceFileSpans keeps a trace file to about 20 MB, which Jaeger's UI
// still loads comfortably: a few minutes of the demo.
const defaultTraceFileSpans = 20000

// traceFile collects spans in memory and writes them as one OTLP JSON object
// ({"resourceSpans": [...]}), a form that Jaeger's UI loads from a file
// (Search, Upload). The SDK's own OTLP/HTTP exporter encodes the spans, and
// traceFile is its HTTP transport, so the file holds exactly what a
// collector would receive, without a network round trip.
//
// It keeps the newest traces: past maxSpans, the oldest trace is dropped
// whole, because a trace with holes shows in Jaeger as orphaned spans.
type traceFile struct {
	path     string
	maxSpans int

	mu       sync.Mutex
	resource *tracepb.ResourceSpans // the first batch's, without spans
	spans    []*tracepb.Span        // oldest first
	evicted  map[string]bool        // trace IDs dropped for space
	dropped  int
}

func newTraceFile(path string, maxSpans int) *traceFile {
	return &traceFile{path: path, maxSpans: maxSpans, evicted: map[string]bool{}}
}

// exporter returns a span exporter that sends to the file. Its options win
// over the OTEL_EXPORTER_OTLP_* variables, which configure the OTLP
// exporter of a real backend, not this one.
func (f *traceFile) exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL("http://trace-file.invalid/v1/traces"),
		otlptracehttp.WithHTTPClient(&http.Client{Transport: f}),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		return nil, fmt.Errorf("trace file exporter: %w", err)
	}
	return exp, nil
}

// RoundTrip takes one export request of the OTLP exporter.
func (f *traceFile) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading spans: %w", err)
	}
	msg := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(body, msg); err != nil {
		return nil, fmt.Errorf("decoding spans: %w", err)
	}
	f.add(msg)
	resp, err := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	if err != nil {
		return nil, fmt.Errorf("encoding export response: %w", err)
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-protobuf"}},
		Body:          io.NopCloser(bytes.NewReader(resp)),
		ContentLength: int64(len(resp)),
		Request:       req,
	}, nil
}

// add keeps the spans of one export request, merged into one resource and
// one scope: every batch comes from the same tracer provider.
func (f *traceFile) add(req *coltracepb.ExportTraceServiceRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			if f.resource == nil {
				f.resource = &tracepb.ResourceSpans{
					Resource:  rs.Resource,
					SchemaUrl: rs.SchemaUrl,
					ScopeSpans: []*tracepb.ScopeSpans{{
						Scope:     ss.Scope,
						SchemaUrl: ss.SchemaUrl,
					}},
				}
			}
			for _, s := range ss.Spans {
				if f.evicted[string(s.TraceId)] {
					f.dropped++
					continue
				}
				f.spans = append(f.spans, s)
			}
		}
	}
	for len(f.spans) > f.maxSpans {
		oldest := string(f.spans[0].TraceId)
		if oldest == string(f.spans[len(f.spans)-1].TraceId) {
			// the trace being written is never dropped; the tracer
			// rotates to a new trace well before this
			break
		}
		f.evicted[oldest] = true
		n := len(f.spans)
		f.spans = slices.DeleteFunc(f.spans, func(s *tracepb.Span) bool { return string(s.TraceId) == oldest })
		f.dropped += n - len(f.spans)
	}
}

// stats returns how many spans the file holds and how many were dropped.
func (f *traceFile) stats() (kept, dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.spans), f.dropped
}

// write writes the spans received so far, replacing the file at once so
// that a reader never sees half of it. Shut the tracer provider down first:
// that flushes the spans the exporter still holds.
func (f *traceFile) write() error {
	f.mu.Lock()
	req := &coltracepb.ExportTraceServiceRequest{}
	if f.resource != nil {
		rs := proto.CloneOf(f.resource)
		rs.ScopeSpans[0].Spans = f.spans
		req.ResourceSpans = []*tracepb.ResourceSpans{rs}
	}
	b, err := otlpjson.Encode(req)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".*")
	if err != nil {
		return fmt.Errorf("writing trace file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing trace file: %w", err)
	}
	// CreateTemp makes the file private; a trace file is for sharing
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing trace file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing trace file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("writing trace file: %w", err)
	}
	return nil
}
