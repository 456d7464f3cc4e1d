package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// demoService is the service name in the demo trace.
const demoService = "amkit-demo"

// traceFile runs the workflow and returns its trace as one OTLP JSON object
// ({"resourceSpans": [...]}), the form Jaeger's UI loads from a file.
//
// The spans go through the SDK's own OTLP/HTTP exporter into a receiver in
// this process, so the file holds exactly what a collector would receive.
func traceFile(ctx context.Context) ([]byte, error) {
	rcv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer rcv.close()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(rcv.url))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(demoService))),
	)
	runErr := runWorkflow(ctx, amtele.NewOtelMachTracer(tp.Tracer(demoService), nil), nil)
	// shutting down flushes every span to the receiver
	if err := errors.Join(runErr, tp.Shutdown(ctx)); err != nil {
		return nil, err
	}
	return encodeOTLPJSON(rcv.merged())
}

// receiver is a minimal OTLP/HTTP trace receiver (protobuf encoding).
type receiver struct {
	url string
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("otlp receiver: %w", err)
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/v1/traces", ln: ln}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serveHTTP)}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	msg := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(body, msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, msg)
	r.mu.Unlock()
	resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(resp)
}

func (r *receiver) close() { r.srv.Close() }

// merged returns the received spans as one request, with one resource and
// one scope: the batches differ only in which spans they carry.
func (r *receiver) merged() *coltracepb.ExportTraceServiceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rs *tracepb.ResourceSpans
	var ss *tracepb.ScopeSpans
	for _, req := range r.requests {
		for _, res := range req.ResourceSpans {
			for _, scope := range res.ScopeSpans {
				if rs == nil {
					ss = &tracepb.ScopeSpans{Scope: scope.Scope, SchemaUrl: scope.SchemaUrl}
					rs = &tracepb.ResourceSpans{Resource: res.Resource, SchemaUrl: res.SchemaUrl, ScopeSpans: []*tracepb.ScopeSpans{ss}}
				}
				ss.Spans = append(ss.Spans, scope.Spans...)
			}
		}
	}
	out := &coltracepb.ExportTraceServiceRequest{}
	if rs != nil {
		out.ResourceSpans = []*tracepb.ResourceSpans{rs}
	}
	return out
}

// idKeys are the OTLP JSON fields that hold trace and span IDs.
var idKeys = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true}

// encodeOTLPJSON encodes req as OTLP JSON. protojson gives the protobuf
// JSON mapping, which OTLP JSON follows except for two rules: IDs are hex,
// not base64, and enums are numbers.
func encodeOTLPJSON(req *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("otlp json: %w", err)
	}
	return recodeIDs(b, func(s string) (string, error) {
		id, err := base64.StdEncoding.DecodeString(s)
		return hex.EncodeToString(id), err
	})
}

// recodeIDs rewrites every ID field of a JSON document with recode, and
// returns the document indented.
func recodeIDs(b []byte, recode func(string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	// keep numbers as they are written
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("otlp json: %w", err)
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			for k, field := range v {
				if s, ok := field.(string); ok && idKeys[k] {
					id, err := recode(s)
					if err != nil {
						return fmt.Errorf("otlp json: %s %q: %w", k, s, err)
					}
					v[k] = id
					continue
				}
				if err := walk(field); err != nil {
					return err
				}
			}
		case []any:
			for _, item := range v {
				if err := walk(item); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("otlp json: %w", err)
	}
	return append(out, '\n'), nil
}
