package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/amkit-dev/amkit/internal/otlpjson"
)

// decodeOTLPJSON decodes an OTLP JSON document with the OTLP protobuf
// types, failing the test on anything they reject.
func decodeOTLPJSON(t *testing.T, b []byte) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	req, err := otlpjson.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// spanNames returns the names of the spans in an export request.
func spanNames(req *coltracepb.ExportTraceServiceRequest) []string {
	var names []string
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// traceFileProvider returns a tracer provider that exports to f as soon as
// each span ends.
func traceFileProvider(t *testing.T, f *traceFile) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := f.exporter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
}

func TestTraceFileWritesOTLPJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.json")
	f := newTraceFile(path, defaultTraceFileSpans)
	tp := traceFileProvider(t, f)
	tr := tp.Tracer("test")
	ctx, root := tr.Start(context.Background(), "root")
	_, child := tr.Start(ctx, "child")
	child.End()
	root.End()
	_, other := tr.Start(context.Background(), "other trace")
	other.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.write(); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`"traceId": "[0-9a-f]{32}"`).Match(b) {
		t.Errorf("trace IDs are not hex:\n%.400s", b)
	}
	req := decodeOTLPJSON(t, b)
	if len(req.ResourceSpans) != 1 || len(req.ResourceSpans[0].ScopeSpans) != 1 {
		t.Fatalf("want one resource and one scope, got %d resources", len(req.ResourceSpans))
	}
	spans := req.ResourceSpans[0].ScopeSpans[0].Spans
	if got := spanNames(req); !slices.Equal(got, []string{"child", "root", "other trace"}) {
		t.Fatalf("spans %v", got)
	}
	if string(spans[0].ParentSpanId) != string(spans[1].SpanId) || string(spans[0].TraceId) != string(spans[1].TraceId) {
		t.Error("child lost its parent")
	}
	if string(spans[2].TraceId) == string(spans[1].TraceId) {
		t.Error("two traces merged into one")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestTraceFileKeepsNewestTraces(t *testing.T) {
	f := newTraceFile(filepath.Join(t.TempDir(), "trace.json"), 4)
	tp := traceFileProvider(t, f)
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("test")

	// three spans of a first trace, the root still open
	ctx, first := tr.Start(context.Background(), "first")
	for range 2 {
		_, s := tr.Start(ctx, "first child")
		s.End()
	}
	// a second trace pushes the total past 4: the first trace goes whole
	ctx2, second := tr.Start(context.Background(), "second")
	for range 2 {
		_, s := tr.Start(ctx2, "second child")
		s.End()
	}
	second.End()
	// a late span of the dropped trace stays out, too
	first.End()

	kept, dropped := f.stats()
	if kept != 3 || dropped != 3 {
		t.Errorf("kept %d, dropped %d spans; want 3 and 3", kept, dropped)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.spans {
		if s.Name != "second" && s.Name != "second child" {
			t.Errorf("kept %q of the dropped trace", s.Name)
		}
	}
}
