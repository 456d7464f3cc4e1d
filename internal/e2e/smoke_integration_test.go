package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// pollTimeout bounds how long a smoke test waits for data to become
// queryable; scrapes are 1s apart, so this leaves room for a slow -race run.
const pollTimeout = 30 * time.Second

// TestIntegrationPrometheusScrape exposes a gauge with client_golang, has a
// real Prometheus scrape it, and reads the value back with PromQL.
func TestIntegrationPrometheusScrape(t *testing.T) {
	e2e.Require(t, e2e.Prometheus)

	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "amkit_e2e_smoke_value",
		Help: "Value set by the Prometheus smoke test.",
	}, []string{"color"})
	reg.MustRegister(g)
	g.WithLabelValues("teal").Set(42.5)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	target := srv.Listener.Addr().String()

	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{{Job: "smoke", Addr: target, Labels: map[string]string{"suite": "e2e"}}},
	})

	var got []e2e.Sample
	e2e.Eventually(t, pollTimeout, "gauge scraped by prometheus", func(ctx context.Context) error {
		var err error
		got, err = prom.Query(ctx, `amkit_e2e_smoke_value{job="smoke"}`)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no samples yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d series, want 1: %+v", len(got), got)
	}
	s := got[0]
	if s.Value != 42.5 {
		t.Errorf("value = %v, want 42.5", s.Value)
	}
	want := map[string]string{
		"__name__": "amkit_e2e_smoke_value",
		"color":    "teal",
		"job":      "smoke",
		"instance": target,
		"suite":    "e2e",
	}
	for k, v := range want {
		if s.Metric[k] != v {
			t.Errorf("label %s = %q, want %q (all: %v)", k, s.Metric[k], v, s.Metric)
		}
	}
	if d := time.Since(s.Time); d < 0 || d > time.Minute {
		t.Errorf("sample time %v is %v from now", s.Time, d)
	}

	// A changed value must show up too, or the query could be reading a
	// stale first scrape by accident.
	g.WithLabelValues("teal").Set(-7)
	e2e.Eventually(t, pollTimeout, "updated gauge scraped", func(ctx context.Context) error {
		got, err := prom.Query(ctx, `amkit_e2e_smoke_value{job="smoke",color="teal"}`)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Value != -7 {
			return fmt.Errorf("got %+v, want one sample of -7", got)
		}
		return nil
	})
}

// TestIntegrationPushgateway pushes a gauge with client_golang/push and reads
// it back through a Prometheus that scrapes the Pushgateway.
func TestIntegrationPushgateway(t *testing.T) {
	e2e.Require(t, e2e.Prometheus, e2e.Pushgateway)

	pg := e2e.StartPushgateway(t)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{pg.ScrapeTarget()},
	})

	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "amkit_e2e_pushed_value",
		Help: "Value pushed by the Pushgateway smoke test.",
	})
	g.Set(1234)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := push.New(pg.URL, "smoke_batch").
		Grouping("shard", "s1").
		Collector(g).
		PushContext(ctx); err != nil {
		t.Fatalf("pushing to %s: %v", pg.URL, err)
	}

	var got []e2e.Sample
	e2e.Eventually(t, pollTimeout, "pushed gauge visible in prometheus", func(ctx context.Context) error {
		var err error
		got, err = prom.Query(ctx, `amkit_e2e_pushed_value`)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no samples yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d series, want 1: %+v", len(got), got)
	}
	if got[0].Value != 1234 {
		t.Errorf("value = %v, want 1234", got[0].Value)
	}
	// honor_labels keeps the pusher's job and grouping labels; without it
	// job would be "pushgateway".
	if j := got[0].Metric["job"]; j != "smoke_batch" {
		t.Errorf("job = %q, want smoke_batch (labels %v)", j, got[0].Metric)
	}
	if s := got[0].Metric["shard"]; s != "s1" {
		t.Errorf("shard = %q, want s1 (labels %v)", s, got[0].Metric)
	}
}

// TestIntegrationJaegerOTLP exports a parent and child span over OTLP/gRPC
// with the OTel SDK and reads them back, attributes and parent link
// included, from Jaeger's query API.
func TestIntegrationJaegerOTLP(t *testing.T) {
	e2e.Require(t, e2e.Jaeger)

	j := e2e.StartJaeger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	exp, err := otlptracegrpc.New(ctx,
		otlptracegrpc.WithEndpoint(j.OTLPGRPCAddr),
		otlptracegrpc.WithInsecure(),
	)
	if err != nil {
		t.Fatalf("creating OTLP exporter for %s: %v", j.OTLPGRPCAddr, err)
	}
	service := "amkit-e2e-smoke-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	res := resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("deployment.environment", "e2e"),
	)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
	)
	tracer := tp.Tracer("amkit/e2e/smoke")

	pctx, parent := tracer.Start(ctx, "smoke-parent",
		trace.WithAttributes(attribute.String("amkit.state", "Ready")))
	_, child := tracer.Start(pctx, "smoke-child",
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			attribute.String("amkit.machine", "m1"),
			attribute.Int64("amkit.tick", 7),
			attribute.Bool("amkit.auto", true),
		))
	child.End()
	parent.End()
	traceID := parent.SpanContext().TraceID().String()
	parentID := parent.SpanContext().SpanID().String()
	childID := child.SpanContext().SpanID().String()

	// Shutdown flushes the batcher, so the spans have left the process when
	// it returns.
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("flushing spans to %s: %v", j.OTLPGRPCAddr, err)
	}

	e2e.Eventually(t, pollTimeout, "trace listed for service "+service, func(ctx context.Context) error {
		traces, err := j.Traces(ctx, service)
		if err != nil {
			return err
		}
		if len(traces) != 1 || len(traces[0].Spans) != 2 {
			return fmt.Errorf("got %d traces (want 1 with 2 spans): %+v", len(traces), traces)
		}
		if traces[0].TraceID != traceID {
			return fmt.Errorf("listed trace %s, want %s", traces[0].TraceID, traceID)
		}
		return nil
	})

	tr, err := j.Trace(ctx, traceID)
	if err != nil {
		t.Fatalf("fetching trace %s: %v", traceID, err)
	}
	p, ok := tr.SpanByName("smoke-parent")
	if !ok {
		t.Fatalf("no smoke-parent span in %+v", tr.Spans)
	}
	c, ok := tr.SpanByName("smoke-child")
	if !ok {
		t.Fatalf("no smoke-child span in %+v", tr.Spans)
	}
	if p.SpanID != parentID || c.SpanID != childID {
		t.Errorf("span IDs = %s/%s, want %s/%s", p.SpanID, c.SpanID, parentID, childID)
	}
	if got := p.ParentSpanID(); got != "" {
		t.Errorf("parent span has parent %s, want none", got)
	}
	if got := c.ParentSpanID(); got != parentID {
		t.Errorf("child's CHILD_OF reference = %q, want %s (refs %+v)", got, parentID, c.References)
	}
	if v, _ := p.Tag("amkit.state"); v != "Ready" {
		t.Errorf("parent amkit.state = %v, want Ready", v)
	}
	wantTags := map[string]any{"amkit.machine": "m1", "amkit.tick": float64(7), "amkit.auto": true}
	for k, want := range wantTags {
		if v, ok := c.Tag(k); !ok || v != want {
			t.Errorf("child tag %s = %v (present %v), want %v; tags %+v", k, v, ok, want, c.Tags)
		}
	}
	proc, ok := tr.Processes[c.ProcessID]
	if !ok {
		t.Fatalf("child's process %q missing from %+v", c.ProcessID, tr.Processes)
	}
	if proc.ServiceName != service {
		t.Errorf("service = %q, want %q", proc.ServiceName, service)
	}
	if v, _ := proc.Tag("deployment.environment"); v != "e2e" {
		t.Errorf("process deployment.environment = %v, want e2e; tags %+v", v, proc.Tags)
	}
	if d := time.Since(c.Start()); d < 0 || d > time.Minute {
		t.Errorf("child start %v is %v from now", c.Start(), d)
	}
}

// TestIntegrationLogsLokiPush pushes a line in Loki's JSON push format and
// reads it back with LogsQL, stream labels included as fields.
func TestIntegrationLogsLokiPush(t *testing.T) {
	e2e.Require(t, e2e.Logs)

	logs := e2e.StartLogs(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	line := "machine m1 entered Ready run=" + run
	ts := time.Now().Truncate(time.Millisecond)
	body, err := json.Marshal(map[string]any{
		"streams": []any{map[string]any{
			"stream": map[string]string{"app": "amkit-smoke", "run": run},
			// Loki wants the timestamp as a string of Unix nanoseconds.
			"values": [][]string{{strconv.FormatInt(ts.UnixNano(), 10), line}},
		}},
	})
	if err != nil {
		t.Fatalf("encoding push body: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, logs.LokiPushURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building push request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("pushing to %s: %v", logs.LokiPushURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("push to %s: status %s", logs.LokiPushURL, resp.Status)
	}

	var got []e2e.LogEntry
	query := fmt.Sprintf(`{app="amkit-smoke",run=%q}`, run)
	e2e.Eventually(t, pollTimeout, "pushed line visible to LogsQL", func(ctx context.Context) error {
		var err error
		got, err = logs.Query(ctx, query)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no records yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d records, want 1: %+v", len(got), got)
	}
	e := got[0]
	if e.Msg != line {
		t.Errorf("_msg = %q, want %q", e.Msg, line)
	}
	if e.Fields["app"] != "amkit-smoke" || e.Fields["run"] != run {
		t.Errorf("label fields app=%q run=%q, want amkit-smoke and %s (all %v)", e.Fields["app"], e.Fields["run"], run, e.Fields)
	}
	if !strings.Contains(e.Stream, `app="amkit-smoke"`) || !strings.Contains(e.Stream, `run="`+run+`"`) {
		t.Errorf("_stream = %q, want both labels in it", e.Stream)
	}
	if !e.Time.Equal(ts) {
		t.Errorf("_time = %v, want the pushed %v", e.Time, ts)
	}

	// A word filter on the message must find the line too: the label match
	// alone would pass even if the line text were dropped.
	byWord, err := logs.Query(ctx, fmt.Sprintf(`app:="amkit-smoke" "run=%s"`, run))
	if err != nil {
		t.Fatalf("querying by message: %v", err)
	}
	if len(byWord) != 1 || byWord[0].Msg != line {
		t.Errorf("query by message got %+v, want the pushed line", byWord)
	}
}
