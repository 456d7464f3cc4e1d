package hostile

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // the codec oversizedCodec wraps
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GRPCBehavior is how an OTLP/gRPC backend of OTLPGRPC answers each export.
type GRPCBehavior int

const (
	// GRPCHang receives each export and never answers, until the client
	// gives up or the test ends.
	GRPCHang GRPCBehavior = iota
	// GRPCUnavailable answers each export with codes.Unavailable, which
	// OTLP clients retry.
	GRPCUnavailable
	// GRPCOversized answers each export with a response of OversizedResponse
	// bytes, over the 4 MiB that a gRPC client receives by default.
	GRPCOversized
)

// OversizedResponse is the size of the error message in each answer of a
// GRPCOversized backend.
const OversizedResponse = 5 << 20

// OTLPGRPC starts an OTLP/gRPC backend on 127.0.0.1, for traces and logs,
// that answers every export as b says. It returns the endpoint, an
// http:// URL for OTEL_EXPORTER_OTLP_ENDPOINT (plaintext), and a counter
// of the exports it received. The oversized answer is made once, before
// the server starts, so that a heap measured later sees only its copies on
// the wire.
func OTLPGRPC(t testing.TB, b GRPCBehavior) (endpoint string, requests *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("hostile: listen for OTLP/gRPC: %v", err)
	}
	o := &otlpGRPC{behavior: b, requests: &atomic.Int64{}, done: make(chan struct{})}
	codec := oversizedCodec{}
	if b == GRPCOversized {
		codec.encoded, err = proto.Marshal(&coltracepb.ExportTraceServiceResponse{
			PartialSuccess: &coltracepb.ExportTracePartialSuccess{ErrorMessage: strings.Repeat("x", OversizedResponse)},
		})
		if err != nil {
			t.Fatalf("hostile: encode the oversized answer: %v", err)
		}
	}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(codec))
	coltracepb.RegisterTraceServiceServer(srv, traceService{otlpGRPC: o})
	collogspb.RegisterLogsServiceServer(srv, logsService{otlpGRPC: o})
	go func() { _ = srv.Serve(ln) }()
	// LIFO: hanging exports return before Stop waits for them
	t.Cleanup(srv.Stop)
	t.Cleanup(func() { close(o.done) })
	return "http://" + ln.Addr().String(), o.requests
}

// otlpGRPC is the behaviour both services share.
type otlpGRPC struct {
	behavior GRPCBehavior
	requests *atomic.Int64
	done     chan struct{}
}

// answer counts an export and returns whether to send the oversized
// answer, or the error to fail the export with.
func (o *otlpGRPC) answer(ctx context.Context) (oversized bool, err error) {
	o.requests.Add(1)
	switch o.behavior {
	case GRPCUnavailable:
		return false, status.Error(codes.Unavailable, "hostile: unavailable")
	case GRPCOversized:
		return true, nil
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-o.done:
		return false, status.Error(codes.Unavailable, "hostile: stopping")
	}
}

// oversizedTraces and oversizedLogs mark the answers that oversizedCodec
// replaces with its encoded bytes: a partial success of logs has the same
// wire format as one of traces.
var (
	oversizedTraces = &coltracepb.ExportTraceServiceResponse{}
	oversizedLogs   = &collogspb.ExportLogsServiceResponse{}
)

// oversizedCodec is the proto codec, except that it encodes
// oversizedAnswer as the bytes made once at start, so that the server does
// not allocate OversizedResponse bytes per answer in the process whose heap
// the test measures.
type oversizedCodec struct {
	encoded []byte
}

func (c oversizedCodec) Name() string { return "proto" }

func (c oversizedCodec) Marshal(v any) (mem.BufferSlice, error) {
	if v == any(oversizedTraces) || v == any(oversizedLogs) {
		return mem.BufferSlice{mem.SliceBuffer(c.encoded)}, nil
	}
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (c oversizedCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	*otlpGRPC
}

func (s traceService) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	oversized, err := s.answer(ctx)
	if err != nil {
		return nil, err
	}
	if oversized {
		return oversizedTraces, nil
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type logsService struct {
	collogspb.UnimplementedLogsServiceServer
	*otlpGRPC
}

func (s logsService) Export(ctx context.Context, _ *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	oversized, err := s.answer(ctx)
	if err != nil {
		return nil, err
	}
	if oversized {
		return oversizedLogs, nil
	}
	return &collogspb.ExportLogsServiceResponse{}, nil
}
