package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// pollTimeout bounds each wait for a backend to show the demo's data:
// Prometheus applies its scrape config about 5s after it starts, and
// pushes happen every metricsInterval.
const pollTimeout = 60 * time.Second

// machineIDs are the machines of the demo with its default worker count.
var machineIDs = []string{"supervisor", "worker-1", "worker-2", "worker-3"}

// dbgCounts counts the debugger messages per machine.
type dbgCounts struct {
	mu            sync.Mutex
	structs, txes map[string]int
}

func (c *dbgCounts) HandleBatch(_ server.Peer, b *dbg.Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range b.Msgs {
		switch m := m.(type) {
		case *dbg.DbgMsgStruct:
			c.structs[m.MachineID]++
		case *dbg.DbgMsgTx:
			c.txes[m.MachineID]++
		}
	}
}

// TestIntegrationDemo runs the demo with every exporter pointed at a real
// backend, as `make stack` does, and checks that each backend got its
// data: Prometheus scrapes the demo and, through the Pushgateway, sees its
// pushes; Jaeger has its traces, VictoriaLogs its logs over both the Loki
// push API and the OTLP path, a line naming the span of its transition in
// Jaeger, a debugger server its structs and transitions, and the trace
// file its spans.
func TestIntegrationDemo(t *testing.T) {
	e2e.Require(t, e2e.Prometheus, e2e.Pushgateway, e2e.Jaeger, e2e.VictoriaLogs)
	gw := e2e.StartPushgateway(t)
	jaeger := e2e.StartJaeger(t)
	vl := e2e.StartVictoriaLogs(t)
	demoAddr, err := e2e.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{
		{Job: serviceName, Addr: demoAddr}, gw.ScrapeTarget(),
	}})
	counts := &dbgCounts{structs: map[string]int{}, txes: map[string]int{}}
	srv, err := server.Listen("127.0.0.1:0", counts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	traceFile := filepath.Join(t.TempDir(), "trace.json")
	for k, v := range map[string]string{
		envLogLevel:  "ops",
		envPromAddr:  demoAddr,
		envPushURL:   gw.URL,
		envLokiAddr:  vl.LokiPushURL,
		envTraceFile: traceFile,
		dbg.EnvAddr:  srv.Addr().String(),
		// as the README shows; logs go to VictoriaLogs' OTLP endpoint instead
		"OTEL_EXPORTER_OTLP_ENDPOINT":      "http://" + jaeger.OTLPHTTPAddr,
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": vl.OTLPLogsURL,
	} {
		t.Setenv(k, v)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out := &e2e.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, os.Getenv, out, out) }()

	// the metrics must be collected while the demo runs
	for _, job := range []string{serviceName, pushJob} {
		promHasMachines(t, prom, job)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo: %v\n%s", err, out)
		}
	case <-time.After(drainTimeout + closeTimeout + 10*time.Second):
		t.Fatalf("demo did not stop:\n%s", out)
	}
	for _, exporter := range []string{"logs", "metrics", "pushgateway", "otel traces", "otel logs", "trace file", "loki", "debugger"} {
		if !bannerLine(exporter, `\S.*`).MatchString(out.String()) || bannerLine(exporter, "off").MatchString(out.String()) {
			t.Errorf("%s is not on:\n%s", exporter, out)
		}
	}

	e2e.Eventually(t, pollTimeout, "the demo's traces in Jaeger", func(ctx context.Context) error {
		traces, err := jaeger.Traces(ctx, serviceName)
		if err != nil {
			return err
		}
		var names []string
		for _, tr := range traces {
			for _, s := range tr.Spans {
				names = append(names, s.OperationName)
			}
		}
		return missing("spans", names, "mach:supervisor", "mach:worker-1", "[add] Assigned", "DownloadingState")
	})
	var assigned e2e.LogRecord
	e2e.Eventually(t, pollTimeout, "Loki push lines in VictoriaLogs", func(ctx context.Context) error {
		entries, err := vl.Query(ctx, `{service_name="amkit-demo", machine_id="worker-1"}`)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.Contains(e.Msg, "[state] +Assigned") {
				assigned = e
				return nil
			}
		}
		return fmt.Errorf("no +Assigned line among %d", len(entries))
	})
	// the line names the span of its transition, which Jaeger has
	traceID, spanID := assigned.Fields["trace_id"], assigned.Fields["span_id"]
	if traceID == "" || spanID == "" {
		t.Errorf("the +Assigned line names no span: %v", assigned.Fields)
	} else {
		e2e.Eventually(t, pollTimeout, "the +Assigned line's span in Jaeger", func(ctx context.Context) error {
			tr, err := jaeger.Trace(ctx, traceID)
			if err != nil {
				return err
			}
			for _, sp := range tr.Spans {
				if sp.SpanID == spanID {
					if id, _ := sp.Tag("am.machine.id"); id != "worker-1" || sp.OperationName != "[add] Assigned" {
						t.Errorf("the +Assigned line names span %q of machine %v", sp.OperationName, id)
					}
					return nil
				}
			}
			return fmt.Errorf("no span %s in trace %s", spanID, traceID)
		})
	}
	e2e.Eventually(t, pollTimeout, "OTLP log records in VictoriaLogs", func(ctx context.Context) error {
		// the OTLP path has the service and machine as record attributes
		entries, err := vl.Query(ctx, `service.name:="amkit-demo" am.machine.id:="worker-1"`)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return errors.New("none yet")
		}
		return nil
	})

	counts.mu.Lock()
	for _, id := range machineIDs {
		if counts.structs[id] == 0 || counts.txes[id] == 0 {
			t.Errorf("debugger got %d struct and %d transition messages of %s", counts.structs[id], counts.txes[id], id)
		}
	}
	counts.mu.Unlock()

	b, err := os.ReadFile(traceFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := missing("trace file spans", spanNames(decodeOTLPJSON(t, b)), "mach:supervisor", "mach:worker-1"); err != nil {
		t.Error(err)
	}
}

// promHasMachines waits until Prometheus has the transition counters of
// every machine of the demo under job.
func promHasMachines(t *testing.T, prom *e2e.PrometheusBackend, job string) {
	t.Helper()
	e2e.Eventually(t, pollTimeout, "transitions of job "+job+" in Prometheus", func(ctx context.Context) error {
		samples, err := prom.Query(ctx, fmt.Sprintf(`am_transitions_total{job=%q} > 0`, job))
		if err != nil {
			return err
		}
		var ids []string
		for _, s := range samples {
			ids = append(ids, s.Metric["machine_id"])
		}
		return missing("machine_id", ids, machineIDs...)
	})
}

// missing returns an error naming the wanted values that got lacks.
func missing(what string, got []string, want ...string) error {
	var lack []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			lack = append(lack, w)
		}
	}
	if len(lack) > 0 {
		return fmt.Errorf("no %s %q yet", what, lack)
	}
	return nil
}

// TestIntegrationTraceFileInJaeger posts a trace file the demo wrote, as it
// is, to a real Jaeger's OTLP/HTTP receiver, which decodes OTLP JSON with
// the collector's own code, and finds the demo's trace through the query
// API that Jaeger's UI uses.
func TestIntegrationTraceFileInJaeger(t *testing.T) {
	jaeger := e2e.StartJaeger(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.json")
	t.Setenv(envLogLevel, "off")
	t.Setenv(envPromAddr, "off")
	t.Setenv(envTraceFile, path)
	if err := run(context.Background(), []string{"--duration", "1s"}, os.Getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+jaeger.OTLPHTTPAddr+"/v1/traces", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Jaeger rejected the trace file: %s: %s", resp.Status, body)
	}
	// by the file's trace IDs, not the service: an existing Jaeger
	// (e2e.EnvJaegerURL) holds the demo's traces of earlier runs too
	ids := map[string]bool{}
	for _, rs := range decodeOTLPJSON(t, b).ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				ids[hex.EncodeToString(sp.TraceId)] = true
			}
		}
	}
	e2e.Eventually(t, pollTimeout, "the trace file's spans in Jaeger", func(ctx context.Context) error {
		var names []string
		for id := range ids {
			tr, err := jaeger.Trace(ctx, id)
			if err != nil {
				return err
			}
			for _, s := range tr.Spans {
				names = append(names, s.OperationName)
				if len(s.Warnings) > 0 {
					return fmt.Errorf("span %s: Jaeger warnings %v", s.OperationName, s.Warnings)
				}
			}
		}
		return missing("spans", names, "mach:supervisor", "mach:worker-1")
	})
}
