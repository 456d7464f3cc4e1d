package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationLokiPush pushes two lines in Loki's JSON push format and
// reads them back with LogQL, stream labels and timestamps included.
func TestIntegrationLokiPush(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Loki)

	loki := e2e.StartLoki(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	ts := time.Now().Truncate(time.Millisecond)
	// Pushed newest first, so the test sees Query put them in time order.
	lines := []struct {
		ts   time.Time
		line string
	}{
		{ts.Add(time.Millisecond), "machine m1 entered Ready run=" + run},
		{ts, "machine m1 entered Start run=" + run},
	}
	values := make([][]string, len(lines))
	for i, l := range lines {
		// Loki wants the timestamp as a string of Unix nanoseconds.
		values[i] = []string{strconv.FormatInt(l.ts.UnixNano(), 10), l.line}
	}
	body, err := json.Marshal(map[string]any{
		"streams": []any{map[string]any{
			"stream": map[string]string{"app": "amkit-smoke", "run": run},
			"values": values,
		}},
	})
	if err != nil {
		t.Fatalf("encoding push body: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loki.PushURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building push request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("pushing to %s: %v", loki.PushURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("push to %s: status %s, want 204", loki.PushURL, resp.Status)
	}

	// A line filter as well as the label matchers: labels alone would
	// match even if Loki had dropped the line text.
	query := fmt.Sprintf(`{app="amkit-smoke",run=%q} |= "machine m1"`, run)
	got := queryUntil(t, loki, query, len(lines))
	for i, want := range []int{1, 0} {
		e, w := got[i], lines[want]
		if e.Line != w.line {
			t.Errorf("entry %d line = %q, want %q", i, e.Line, w.line)
		}
		if !e.Time.Equal(w.ts) {
			t.Errorf("entry %d time = %v, want the pushed %v", i, e.Time, w.ts)
		}
		if e.Labels["app"] != "amkit-smoke" || e.Labels["run"] != run {
			t.Errorf("entry %d labels app=%q run=%q, want amkit-smoke and %s (all %v)",
				i, e.Labels["app"], e.Labels["run"], run, e.Labels)
		}
	}
}

// TestIntegrationLokiOTLP sends a log record with the OTel SDK's OTLP/HTTP
// exporter to Loki's native OTLP endpoint and reads it back with LogQL: the
// resource's service.name becomes the service_name label, record attributes
// become structured metadata.
func TestIntegrationLokiOTLP(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Loki)

	loki := e2e.StartLoki(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(loki.OTLPLogsURL))
	if err != nil {
		t.Fatalf("creating OTLP log exporter for %s: %v", loki.OTLPLogsURL, err)
	}
	rec := &recordingExporter{Exporter: exp}
	service := "amkit-e2e-smoke-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	provider := sdklog.NewLoggerProvider(
		// The simple processor exports inside Emit, so rec.err is final
		// as soon as Emit returns.
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(rec)),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	ts := time.Now().Truncate(time.Millisecond)
	var r log.Record
	r.SetTimestamp(ts)
	r.SetSeverity(log.SeverityWarn)
	r.SetSeverityText("WARN")
	r.SetBody(attribute.StringValue("machine m1 canceled Ready"))
	r.AddAttributes(attribute.String("amkit.machine", "m1"))
	provider.Logger("amkit/e2e/smoke").Emit(ctx, r)
	if rec.err != nil {
		t.Fatalf("exporting to %s: %v", loki.OTLPLogsURL, rec.err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatalf("shutting down the logger provider: %v", err)
	}

	got := queryUntil(t, loki, fmt.Sprintf(`{service_name=%q} |= "canceled Ready"`, service), 1)
	e := got[0]
	if e.Line != "machine m1 canceled Ready" {
		t.Errorf("line = %q, want the record's body", e.Line)
	}
	if !e.Time.Equal(ts) {
		t.Errorf("time = %v, want the record's %v", e.Time, ts)
	}
	if e.Labels["service_name"] != service {
		t.Errorf("service_name label = %q, want %q (labels %v)", e.Labels["service_name"], service, e.Labels)
	}
	// Loki writes OTLP attribute names with dots as underscores.
	if e.Metadata["amkit_machine"] != "m1" || e.Metadata["severity_text"] != "WARN" {
		t.Errorf("structured metadata = %v, want amkit_machine=m1 and severity_text=WARN", e.Metadata)
	}
}

// queryUntil polls Loki with a LogQL query until it returns n entries, and
// fails the test if it returns more or never gets there.
func queryUntil(t *testing.T, loki *e2e.LokiBackend, query string, n int) []e2e.LogEntry {
	t.Helper()
	var got []e2e.LogEntry
	e2e.Eventually(t, pollTimeout, fmt.Sprintf("%d entries for %s", n, query), func(ctx context.Context) error {
		var err error
		got, err = loki.Query(ctx, query)
		if err != nil {
			return err
		}
		if len(got) < n {
			return fmt.Errorf("%d entries so far", len(got))
		}
		return nil
	})
	if len(got) != n {
		t.Fatalf("%s: got %d entries, want %d: %+v", query, len(got), n, got)
	}
	return got
}

// recordingExporter keeps the errors of its exporter, which the SDK would
// otherwise hand to the global OTel error handler, out of the test's sight.
type recordingExporter struct {
	sdklog.Exporter
	err error
}

// Export exports records and records the result.
func (e *recordingExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := e.Exporter.Export(ctx, records)
	if err != nil {
		e.err = err
	}
	return err
}
