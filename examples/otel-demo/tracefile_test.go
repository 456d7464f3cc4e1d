package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/amkit-dev/amkit/internal/otlpjson"
)

// assetPath is the checked-in demo trace.
const assetPath = "../../assets/otel-demo-trace.json"

// demoTree is the span tree of the workflow, siblings in start order, with
// "!" marking error status.
const demoTree = `
mach:order-1
  states
    Created
      Created
    Delivered
      Delivered
    Paid
      Paid
    Shipped
      Shipped
  submachines
    mach:payment-1
      states
        Authorized
          Authorized
        Authorizing
          Authorizing
          Authorizing
        Captured
          Captured
        Exception
          Exception !card network timeout
      transitions
        [add] Authorizing
          AuthorizingState
        [add] Exception !card network timeout
        [add] Authorizing
          AuthorizingState
        [remove] Exception
        [add] Authorized
          AuthorizedState
        [add] Captured
          CapturedState
    mach:shipping-1
      states
        Delivered
          Delivered
        InTransit
          InTransit
        Packed
          Packed
        Packing
          Packing
      transitions
        [add] Packing
          PackingState
        [add] Packed
          PackedState
        [add] InTransit
          InTransitEnter
          InTransitState
        [add] Delivered
          DeliveredState
  transitions
    [add] Delivered
    [add] Created
      CreatedState
    [add] Paid
      PaidState
    [add] Shipped
    [add] Delivered
`

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

// renderTree renders the spans of req as demoTree shows them, failing t
// unless they form one trace with one root.
func renderTree(t *testing.T, req *coltracepb.ExportTraceServiceRequest) string {
	t.Helper()
	var spans []*tracepb.Span
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			spans = append(spans, ss.Spans...)
		}
	}
	children := map[string][]*tracepb.Span{}
	var roots []*tracepb.Span
	for _, s := range spans {
		if string(s.TraceId) != string(spans[0].TraceId) {
			t.Fatalf("span %s is in trace %x, not %x", s.Name, s.TraceId, spans[0].TraceId)
		}
		if len(s.ParentSpanId) == 0 {
			roots = append(roots, s)
			continue
		}
		children[string(s.ParentSpanId)] = append(children[string(s.ParentSpanId)], s)
	}
	if len(roots) != 1 {
		t.Fatalf("%d root spans, want 1", len(roots))
	}
	var b strings.Builder
	b.WriteByte('\n')
	var walk func(s *tracepb.Span, depth int)
	walk = func(s *tracepb.Span, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + s.Name)
		if s.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			fmt.Fprintf(&b, " !%s", s.Status.Message)
		}
		b.WriteByte('\n')
		kids := children[string(s.SpanId)]
		slices.SortStableFunc(kids, func(a, b *tracepb.Span) int {
			return cmp.Or(cmp.Compare(a.StartTimeUnixNano, b.StartTimeUnixNano), strings.Compare(a.Name, b.Name))
		})
		for _, c := range kids {
			walk(c, depth+1)
		}
	}
	walk(roots[0], 0)
	if n := strings.Count(b.String(), "\n") - 1; n != len(spans) {
		t.Fatalf("%d of %d spans are in the tree", n, len(spans))
	}
	return b.String()
}

func TestTraceFile(t *testing.T) {
	b, err := traceFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := renderTree(t, decodeOTLPJSON(t, b)); got != demoTree {
		t.Errorf("trace:%s\nwant:%s", got, demoTree)
	}
}

// TestAsset checks that the checked-in asset is valid OTLP JSON and the
// trace of the current workflow; regenerate it with
// go run ./examples/otel-demo -o assets/otel-demo-trace.json
func TestAsset(t *testing.T) {
	b, err := os.ReadFile(assetPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := renderTree(t, decodeOTLPJSON(t, b)); got != demoTree {
		t.Errorf("asset trace:%s\nwant:%s", got, demoTree)
	}
}
