package amtele_test

import (
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// fakeCollector is an OTLP receiver over HTTP (and gRPC, with serveGRPC)
// that records what it is sent, for tests of the exporters' configuration.
type fakeCollector struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []fakeRequest
	spans    []string
	logs     []string
	// attrs holds the attributes of every span and record, key=value.
	attrs []string
	// resources holds the resource attributes of every request.
	resources []string
	got       chan struct{}
}

// fakeRequest is one export: its path (or gRPC method) and headers.
type fakeRequest struct {
	path   string
	header http.Header
	tls    bool
}

func newFakeCollector(t testing.TB, tlsServer func(http.Handler) *httptest.Server) *fakeCollector {
	t.Helper()
	c := &fakeCollector{got: make(chan struct{}, 1024)}
	h := http.HandlerFunc(c.serveHTTP)
	if tlsServer != nil {
		c.srv = tlsServer(h)
	} else {
		c.srv = httptest.NewServer(h)
	}
	t.Cleanup(c.srv.Close)
	return c
}

// URL is the endpoint to give OTEL_EXPORTER_OTLP_ENDPOINT.
func (c *fakeCollector) URL() string { return c.srv.URL }

func (c *fakeCollector) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := fakeRequest{path: r.URL.Path, header: r.Header.Clone(), tls: r.TLS != nil}
	var traces coltrace.ExportTraceServiceRequest
	var logs collogs.ExportLogsServiceRequest
	// both messages decode from either's bytes: the path tells them apart
	switch {
	case strings.HasSuffix(r.URL.Path, "logs") && proto.Unmarshal(raw, &logs) == nil:
		c.addLogs(req, &logs)
	case proto.Unmarshal(raw, &traces) == nil:
		c.addTraces(req, &traces)
	default:
		c.add(req)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (c *fakeCollector) add(req fakeRequest) {
	c.mu.Lock()
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	c.got <- struct{}{}
}

func (c *fakeCollector) addTraces(req fakeRequest, r *coltrace.ExportTraceServiceRequest) {
	c.mu.Lock()
	for _, rs := range r.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			c.resources = append(c.resources, kv.Key+"="+kv.GetValue().GetStringValue())
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, s.Name)
				for _, kv := range s.Attributes {
					c.attrs = append(c.attrs, kv.Key+"="+kv.GetValue().GetStringValue())
				}
			}
		}
	}
	c.mu.Unlock()
	c.add(req)
}

func (c *fakeCollector) addLogs(req fakeRequest, r *collogs.ExportLogsServiceRequest) {
	c.mu.Lock()
	for _, rl := range r.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			for _, l := range sl.LogRecords {
				c.logs = append(c.logs, l.GetBody().GetStringValue())
				for _, kv := range l.Attributes {
					c.attrs = append(c.attrs, kv.Key+"="+kv.GetValue().GetStringValue())
				}
			}
		}
	}
	c.mu.Unlock()
	c.add(req)
}

// snapshot returns copies of what was received.
func (c *fakeCollector) snapshot() (reqs []fakeRequest, spans, logs, attrs, resources []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]fakeRequest(nil), c.requests...), append([]string(nil), c.spans...),
		append([]string(nil), c.logs...), append([]string(nil), c.attrs...), append([]string(nil), c.resources...)
}

// grpcCollector receives OTLP over gRPC into c.
type grpcCollector struct {
	coltrace.UnimplementedTraceServiceServer
	collogs.UnimplementedLogsServiceServer
	c *fakeCollector
}

func (g *grpcCollector) Export(ctx context.Context, r *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	g.c.addTraces(fakeRequest{path: "grpc:traces"}, r)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// grpcLogs adapts the logs service, whose method has the same name.
type grpcLogs struct {
	collogs.UnimplementedLogsServiceServer
	c *fakeCollector
}

func (g *grpcLogs) Export(ctx context.Context, r *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	g.c.addLogs(fakeRequest{path: "grpc:logs"}, r)
	return &collogs.ExportLogsServiceResponse{}, nil
}

// serveGRPC starts an OTLP/gRPC receiver into c and returns its address.
func (c *fakeCollector) serveGRPC(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(s, &grpcCollector{c: c})
	collogs.RegisterLogsServiceServer(s, &grpcLogs{c: c})
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return l.Addr().String()
}
