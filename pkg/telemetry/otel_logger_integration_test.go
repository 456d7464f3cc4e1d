package amtele_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// TestIntegrationOtelLoggerVictoriaLogs sends machine logs over OTLP/HTTP
// to a real VictoriaLogs and reads them back with LogsQL: line, machine,
// transition and severity of every record.
func TestIntegrationOtelLoggerVictoriaLogs(t *testing.T) {
	vl := e2e.StartVictoriaLogs(t)
	service := e2e.Unique("amtele-logs")
	ctx := context.Background()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(vl.OTLPLogsURL))
	if err != nil {
		t.Fatal(err)
	}
	provider := amtele.NewOtelLoggerProvider(exp, sdklog.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	t.Cleanup(func() { _ = provider.Shutdown(ctx) })

	root := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "root", LogLevel: am.LogLevelOps})
	if err := amtele.BindOtelLogger(root, provider, service); err != nil {
		t.Fatal(err)
	}
	child := newMachine(t, am.Schema{"Bar": {}}, &am.Opts{ID: "child", Parent: root, LogLevel: am.LogLevelOps})
	root.Add1("Foo", nil)
	child.Add1("Bar", nil)
	root.AddErr(errors.New("boom"), nil)
	// shutting down flushes every record
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// line, machine, transition, level name, severity: what a log panel
	// filters and colors by
	want := []string{
		"[add] Foo root 1 ops 9",
		"[state] +Foo root 1 changes 9",
		"[add] Bar child 1 ops 9",
		"[state] +Bar child 1 changes 9",
		"[error] boom root  changes 17",
		"[add] Exception root 2 ops 9",
		"[state] +Exception root 2 changes 9",
	}
	var got []string
	e2e.Eventually(t, 30*time.Second, "machine logs in VictoriaLogs", func(ctx context.Context) error {
		// the resource's service.name is the stream
		entries, err := vl.Query(ctx, fmt.Sprintf(`{service.name=%q}`, service))
		if err != nil {
			return err
		}
		got = got[:0]
		for _, e := range entries {
			f := e.Fields
			got = append(got, strings.Join([]string{e.Msg, f[amtele.LogAttrMachineID], f[amtele.LogAttrTxID],
				f[amtele.LogAttrLevel], f["severity_number"]}, " "))
		}
		if len(got) < len(want) {
			return fmt.Errorf("%d of %d entries", len(got), len(want))
		}
		return nil
	})
	// entries of the same nanosecond have no order, so compare as sets
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("VictoriaLogs entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestIntegrationOtelLogsToTraces binds an OTel tracer exporting to a real
// Jaeger and an OTel logger exporting to a real VictoriaLogs to the same
// machine, reads the transition's log records back from VictoriaLogs, and
// follows their trace_id and span_id to the transition's span in Jaeger.
// A record made outside a transition names no span.
func TestIntegrationOtelLogsToTraces(t *testing.T) {
	jaeger := e2e.StartJaeger(t)
	vl := e2e.StartVictoriaLogs(t)
	service := e2e.Unique("amtele-logs-to-traces")
	ctx := context.Background()
	res := resource.NewSchemaless(semconv.ServiceName(service))

	spanExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(jaeger.OTLPGRPCAddr), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spanExp), sdktrace.WithResource(res))
	t.Cleanup(func() { _ = tp.Shutdown(ctx) })
	logExp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(vl.OTLPLogsURL))
	if err != nil {
		t.Fatal(err)
	}
	provider := amtele.NewOtelLoggerProvider(logExp, sdklog.WithResource(res))
	t.Cleanup(func() { _ = provider.Shutdown(ctx) })

	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{
		ID:       "traced",
		LogLevel: am.LogLevelOps,
		Tracers:  []am.Tracer{amtele.NewOtelMachTracer(tp.Tracer("amtele-it"), nil)},
	})
	if err := amtele.BindOtelLogger(mach, provider, service); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Foo", nil)
	mach.Log("after the transition")
	mach.Dispose()
	<-mach.WhenDisposed()
	// shutting down flushes every span and record
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	byLine := map[string]e2e.LogRecord{}
	e2e.Eventually(t, 30*time.Second, "the machine's records in VictoriaLogs", func(ctx context.Context) error {
		entries, err := vl.Query(ctx, fmt.Sprintf(`{service.name=%q}`, service))
		if err != nil {
			return err
		}
		for _, e := range entries {
			byLine[e.Msg] = e
		}
		for _, line := range []string{"[add] Foo", "[state] +Foo", "after the transition"} {
			if _, ok := byLine[line]; !ok {
				return fmt.Errorf("no record %q among %d", line, len(entries))
			}
		}
		return nil
	})
	if e := byLine["after the transition"]; e.Fields["trace_id"] != "" || e.Fields["span_id"] != "" {
		t.Errorf("a record outside a transition names trace %q span %q", e.Fields["trace_id"], e.Fields["span_id"])
	}
	add, state := byLine["[add] Foo"], byLine["[state] +Foo"]
	traceID, spanID := add.Fields["trace_id"], add.Fields["span_id"]
	if traceID == "" || spanID == "" {
		t.Fatalf("record [add] Foo has no trace context: %v", add.Fields)
	}
	if state.Fields["trace_id"] != traceID || state.Fields["span_id"] != spanID {
		t.Errorf("records of one transition name different spans: %v and %v", add.Fields, state.Fields)
	}

	var span e2e.Span
	e2e.Eventually(t, 30*time.Second, "trace "+traceID+" in Jaeger", func(ctx context.Context) error {
		tr, err := jaeger.Trace(ctx, traceID)
		if err != nil {
			return err
		}
		for _, s := range tr.Spans {
			if s.SpanID == spanID {
				span = s
				return nil
			}
		}
		return fmt.Errorf("no span %s among the %d of trace %s", spanID, len(tr.Spans), traceID)
	})
	if span.OperationName != "[add] Foo" {
		t.Errorf("the records' span is %q, want the transition's span [add] Foo", span.OperationName)
	}
	if id, _ := span.Tag(string(amtele.AttrMachineID)); id != "traced" {
		t.Errorf("the records' span has machine ID %v, want traced", id)
	}
	// Jaeger sends integer tags as JSON numbers
	if tx, ok := span.Tag(string(amtele.AttrTxID)); !ok || fmt.Sprint(tx) != add.Fields[amtele.LogAttrTxID] {
		t.Errorf("the records' span is transition %v, the records' %s", tx, add.Fields[amtele.LogAttrTxID])
	}
}
