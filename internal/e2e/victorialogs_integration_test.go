package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationVictoriaLogsLokiPush pushes two lines in Loki's JSON push
// format, one with structured metadata, and reads them back with LogsQL:
// lines, timestamps, stream labels as stream fields and structured metadata
// as ordinary fields.
func TestIntegrationVictoriaLogsLokiPush(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.VictoriaLogs)

	vl := e2e.StartVictoriaLogs(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	ts := time.Now().Truncate(time.Millisecond)
	labels := map[string]string{"app": "amkit-smoke", "run": run}
	// Pushed newest first, so the test sees Query put them in time order.
	// Loki wants timestamps as strings of Unix nanoseconds.
	values := []any{
		[]any{strconv.FormatInt(ts.Add(time.Millisecond).UnixNano(), 10), "machine m1 entered Ready",
			map[string]string{"tx_id": "42"}},
		[]any{strconv.FormatInt(ts.UnixNano(), 10), "machine m1 entered Start"},
	}
	body, err := json.Marshal(map[string]any{
		"streams": []any{map[string]any{"stream": labels, "values": values}},
	})
	if err != nil {
		t.Fatalf("encoding push body: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, vl.LokiPushURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building push request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("pushing to %s: %v", vl.LokiPushURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("push to %s: status %s, want 204", vl.LokiPushURL, resp.Status)
	}

	// A word filter as well as the stream filter: the stream alone would
	// match even if the line text had been dropped.
	query := fmt.Sprintf(`{app="amkit-smoke",run=%q} "machine m1"`, run)
	got := vl.WaitRecords(t, pollTimeout, query, 2)
	want := []e2e.LogRecord{
		{Time: ts, Msg: "machine m1 entered Start", Stream: labels, Fields: labels},
		{
			Time: ts.Add(time.Millisecond), Msg: "machine m1 entered Ready", Stream: labels,
			Fields: map[string]string{"app": "amkit-smoke", "run": run, "tx_id": "42"},
		},
	}
	for i, w := range want {
		assertRecord(t, i, got[i], w)
	}
}

// TestIntegrationVictoriaLogsRestart pushes a line, stops VictoriaLogs,
// sees a push refused while it is down, restarts it, and finds the first
// line kept and a new one stored.
func TestIntegrationVictoriaLogsRestart(t *testing.T) {
	t.Parallel()
	e2e.RequireOwn(t, e2e.VictoriaLogs)

	vl := e2e.StartVictoriaLogs(t)
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	push := func(line string) error {
		body := fmt.Sprintf(`{"streams":[{"stream":{"app":"restart"},"values":[[%q,%q]]}]}`,
			strconv.FormatInt(time.Now().UnixNano(), 10), line)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, vl.LokiPushURL, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("push: status %s", resp.Status)
		}
		return nil
	}
	if err := push("before the outage"); err != nil {
		t.Fatal(err)
	}
	vl.WaitRecords(t, pollTimeout, `{app="restart"}`, 1)
	if err := vl.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := push("during the outage"); err == nil {
		t.Fatal("a push to the stopped VictoriaLogs succeeded")
	}
	if err := vl.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := push("after the outage"); err != nil {
		t.Fatal(err)
	}
	got := vl.WaitRecords(t, pollTimeout, `{app="restart"}`, 2)
	if got[0].Msg != "before the outage" || got[1].Msg != "after the outage" {
		t.Errorf("lines %q and %q, want the ones before and after the outage", got[0].Msg, got[1].Msg)
	}
}

// TestIntegrationVictoriaLogsOTLP sends a log record made inside a span with
// the OTel SDK's OTLP/HTTP exporter and reads it back with LogsQL: the
// resource becomes the stream, record attributes keep their dotted names,
// and the span's IDs arrive as trace_id and span_id.
func TestIntegrationVictoriaLogsOTLP(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.VictoriaLogs)

	vl := e2e.StartVictoriaLogs(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(vl.OTLPLogsURL))
	if err != nil {
		t.Fatalf("creating OTLP log exporter for %s: %v", vl.OTLPLogsURL, err)
	}
	rec := &recordingExporter{Exporter: exp}
	service := "amkit-e2e-smoke-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	provider := sdklog.NewLoggerProvider(
		// The simple processor exports inside Emit, so rec.err is final
		// as soon as Emit returns.
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(rec)),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	// The SDK takes a record's trace context from the context of Emit.
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	ts := time.Now().Truncate(time.Millisecond)
	var r log.Record
	r.SetTimestamp(ts)
	r.SetSeverity(log.SeverityWarn)
	r.SetSeverityText("WARN")
	r.SetBody(attribute.StringValue("machine m1 canceled Ready"))
	r.AddAttributes(attribute.String("am.machine.id", "m1"))
	provider.Logger("amkit/e2e/smoke").Emit(trace.ContextWithSpanContext(ctx, sc), r)
	if rec.err != nil {
		t.Fatalf("exporting to %s: %v", vl.OTLPLogsURL, rec.err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatalf("shutting down the logger provider: %v", err)
	}

	got := vl.WaitRecords(t, pollTimeout, fmt.Sprintf(`{service.name=%q} "canceled Ready"`, service), 1)
	stream := map[string]string{"service.name": service}
	assertRecord(t, 0, got[0], e2e.LogRecord{
		Time: ts, Msg: "machine m1 canceled Ready", Stream: stream,
		Fields: map[string]string{
			"service.name": service,
			"scope.name":   "amkit/e2e/smoke",
			// VictoriaLogs' word for an empty scope version
			"scope.version":   "unknown",
			"am.machine.id":   "m1",
			"severity_text":   "WARN",
			"severity_number": strconv.Itoa(int(log.SeverityWarn)),
			"trace_id":        sc.TraceID().String(),
			"span_id":         sc.SpanID().String(),
		},
	})
}

// TestIntegrationVictoriaLogsUI opens the built-in web UI the way a
// browser does, and checks that a page of another server does not pass.
func TestIntegrationVictoriaLogsUI(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.VictoriaLogs)

	vl := e2e.StartVictoriaLogs(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := e2e.CheckVictoriaLogsUI(ctx, vl.UIURL); err != nil {
		t.Fatal(err)
	}
	// the health page is served by VictoriaLogs too, but is no UI
	if err := e2e.CheckVictoriaLogsUI(ctx, vl.URL+"/health"); err == nil {
		t.Errorf("%s/health passed for the UI", vl.URL)
	}
}

// assertRecord compares a record read back with the one sent, field by
// field.
func assertRecord(t *testing.T, i int, got, want e2e.LogRecord) {
	t.Helper()
	if got.Msg != want.Msg {
		t.Errorf("entry %d msg = %q, want %q", i, got.Msg, want.Msg)
	}
	if !got.Time.Equal(want.Time) {
		t.Errorf("entry %d time = %v, want the sent %v", i, got.Time, want.Time)
	}
	if !maps.Equal(got.Stream, want.Stream) {
		t.Errorf("entry %d stream = %v, want %v", i, got.Stream, want.Stream)
	}
	if !maps.Equal(got.Fields, want.Fields) {
		t.Errorf("entry %d fields = %v, want %v", i, got.Fields, want.Fields)
	}
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
