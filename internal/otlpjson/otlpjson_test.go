package otlpjson

import (
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestRoundTrip(t *testing.T) {
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId:           []byte{0: 1, 15: 0xff},
			SpanId:            []byte{0: 2, 7: 0xab},
			ParentSpanId:      []byte{0: 3, 7: 0xcd},
			Name:              "mach:demo",
			Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
			StartTimeUnixNano: 1<<63 + 1, // must stay exact
		}}}},
	}}}
	b, err := Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"traceId": "010000000000000000000000000000ff"`,
		`"spanId": "02000000000000ab"`,
		`"parentSpanId": "03000000000000cd"`,
		`"kind": 1`,
		`"startTimeUnixNano": "9223372036854775809"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoded document lacks %s:\n%s", want, b)
		}
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, req) {
		t.Errorf("round trip changed the request:\n got  %v\n want %v", got, req)
	}
}

func TestDecodeRejectsBadDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":         `{`,
		"unknown field":    `{"resourceSpans": [], "extra": 1}`,
		"base64 trace ID":  `{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "AQAAAAAAAAAAAAAAAAAA/w=="}]}]}]}`,
		"short span ID":    `{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "abcd"}]}]}]}`,
		"malformed number": `{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}`,
	} {
		if _, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
