package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationAssetInJaeger posts the checked-in asset, as it is, to a
// real Jaeger's OTLP/HTTP receiver, which parses OTLP JSON with the
// collector's own decoder, and reads the trace back through the query API
// that Jaeger's UI uses.
func TestIntegrationAssetInJaeger(t *testing.T) {
	j := e2e.StartJaeger(t)
	b, err := os.ReadFile(assetPath)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+j.OTLPHTTPAddr+"/v1/traces", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Jaeger rejected the asset: %s: %s", resp.Status, body)
	}

	traceID := hex.EncodeToString(decodeOTLPJSON(t, b).ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId)
	var tr e2e.Trace
	e2e.Eventually(t, 30*time.Second, "the demo trace in Jaeger", func(ctx context.Context) error {
		tr, err = j.Trace(ctx, traceID)
		if err == nil && len(tr.Spans) == 0 {
			err = fmt.Errorf("no spans yet")
		}
		return err
	})
	if got := jaegerTree(tr); got != demoTree {
		t.Errorf("Jaeger's tree:%s\nwant:%s", got, demoTree)
	}
	for _, s := range tr.Spans {
		if len(s.Warnings) > 0 {
			t.Errorf("span %s: Jaeger warnings %v", s.OperationName, s.Warnings)
		}
	}
	if p := tr.Processes[tr.Spans[0].ProcessID]; p.ServiceName != demoService {
		t.Errorf("service %q, want %q", p.ServiceName, demoService)
	}
}

// jaegerTree renders a trace from Jaeger's query API as demoTree shows it.
func jaegerTree(tr e2e.Trace) string {
	children := map[string][]e2e.Span{}
	var roots []e2e.Span
	for _, s := range tr.Spans {
		if p := s.ParentSpanID(); p != "" {
			children[p] = append(children[p], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	b.WriteByte('\n')
	var walk func(s e2e.Span, depth int)
	walk = func(s e2e.Span, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + s.OperationName)
		if code, _ := s.Tag("otel.status_code"); code == "ERROR" {
			desc, _ := s.Tag("otel.status_description")
			fmt.Fprintf(&b, " !%v", desc)
		}
		b.WriteByte('\n')
		kids := children[s.SpanID]
		slices.SortStableFunc(kids, func(a, b e2e.Span) int {
			return cmp.Or(cmp.Compare(a.StartTime, b.StartTime), strings.Compare(a.OperationName, b.OperationName))
		})
		for _, c := range kids {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
