package main

import (
	"context"
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
	"google.golang.org/protobuf/proto"

	"github.com/amkit-dev/amkit/internal/otlpjson"
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
	return otlpjson.Encode(rcv.merged())
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
