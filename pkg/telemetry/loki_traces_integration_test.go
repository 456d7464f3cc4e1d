package amtele_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// TestIntegrationLokiLoggerTraces logs a machine and its submachine through
// the Loki client, in each encoding and at every log level, to a real
// VictoriaLogs, with an OTel tracer exporting to a real Jaeger bound to the
// same machines. Every entry read back equals the one the machine made:
// line, nanosecond time, stream labels (service_name, machine_id, level)
// and structured metadata (tx_id, trace_id, span_id), in order. Each span
// an entry names is found in Jaeger, as the span of that entry's machine
// and transition.
func TestIntegrationLokiLoggerTraces(t *testing.T) {
	jaeger := e2e.StartJaeger(t)
	vl := e2e.StartVictoriaLogs(t)
	for _, enc := range []loki.Encoding{loki.Protobuf, loki.JSON} {
		t.Run(enc.String(), func(t *testing.T) {
			service := e2e.Unique("amtele-loki-traces-" + enc.String())
			ctx := context.Background()
			spanExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(jaeger.OTLPGRPCAddr), otlptracegrpc.WithInsecure())
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spanExp),
				sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
			t.Cleanup(func() { _ = tp.Shutdown(ctx) })
			client, err := loki.New(loki.Options{
				URL:       vl.LokiPushURL,
				Labels:    map[string]string{"service_name": service},
				Encoding:  enc,
				BatchWait: 50 * time.Millisecond,
				ErrorLog:  log.New(testErrorWriter{t, false}, "", 0),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Close(ctx) })

			tracer := amtele.NewOtelMachTracer(tp.Tracer("amtele-it"), nil)
			// every level, so that each level label is checked
			parent := newLokiMachine(t, "traced", nil, am.LogLevelEverything)
			if err := parent.BindTracer(tracer); err != nil {
				t.Fatal(err)
			}
			rec := &lokiRecorder{}
			parent.AddLogSink(rec)
			logger, err := amtele.BindLokiLogger(parent, client)
			if err != nil {
				t.Fatal(err)
			}
			child := newLokiMachine(t, "traced-child", parent, am.LogLevelEverything)
			child.AddLogSink(rec)
			lokiWorkload(parent, 0)
			lokiWorkload(child, 0)
			lokiDone(t, parent, logger)
			if err := tp.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			rec.mu.Lock()
			made := append([]am.LogEntry(nil), rec.entries...)
			rec.mu.Unlock()
			// the machines log from more than one goroutine (disposal), so
			// the recorder may hold two entries out of time order
			slices.SortStableFunc(made, func(a, b am.LogEntry) int { return a.Time.Compare(b.Time) })
			var got []e2e.LogRecord
			query := fmt.Sprintf(`{service_name=%q}`, service)
			e2e.Eventually(t, 30*time.Second, "the machines' lines in VictoriaLogs", func(ctx context.Context) error {
				if got, err = vl.Query(ctx, query); err != nil {
					return err
				}
				if len(got) < len(made) {
					return fmt.Errorf("%d of %d lines", len(got), len(made))
				}
				return nil
			})
			if len(got) != len(made) {
				t.Fatalf("%d lines in VictoriaLogs, the machines made %d", len(got), len(made))
			}

			// the span that the lines of each transition name; its IDs
			// are taken from the lines, and checked against Jaeger below
			type txKey struct{ machineID, txID string }
			type spanIDs struct{ traceID, spanID string }
			spans := map[txKey]spanIDs{}
			for i, e := range made {
				stream := map[string]string{"service_name": service, amtele.LokiLabelMachineID: e.MachineID, amtele.LokiLabelLevel: e.Level.String()}
				fields := maps.Clone(stream)
				if e.TxID != 0 {
					fields[amtele.LokiMetaTxID] = strconv.FormatUint(e.TxID, 10)
					// every transition is traced and sampled
					fields[amtele.LokiMetaTraceID] = got[i].Fields[amtele.LokiMetaTraceID]
					fields[amtele.LokiMetaSpanID] = got[i].Fields[amtele.LokiMetaSpanID]
					if fields[amtele.LokiMetaSpanID] == "" {
						t.Errorf("line %d %q of tx %d names no span", i, e.Text, e.TxID)
					}
					key := txKey{e.MachineID, fields[amtele.LokiMetaTxID]}
					ids := spanIDs{fields[amtele.LokiMetaTraceID], fields[amtele.LokiMetaSpanID]}
					if prev, ok := spans[key]; ok && prev != ids {
						t.Errorf("lines of %s tx %s name two spans, %v and %v", key.machineID, key.txID, prev, ids)
					}
					spans[key] = ids
				}
				g := got[i]
				if g.Msg != e.Text || !g.Time.Equal(e.Time) || !maps.Equal(g.Stream, stream) || !maps.Equal(g.Fields, fields) {
					t.Errorf("line %d:\n got %v %q stream %v fields %v\nwant %v %q stream %v fields %v",
						i, g.Time, g.Msg, g.Stream, g.Fields, e.Time, e.Text, stream, fields)
				}
			}
			if len(spans) == 0 {
				t.Fatal("no line was made during a transition")
			}
			levels := map[am.LogLevel]bool{}
			for _, e := range made {
				levels[e.Level] = true
			}
			if len(levels) != 4 {
				t.Errorf("the machines logged at levels %v, want all four", levels)
			}
			for key, ids := range spans {
				machineID, txID, traceID, spanID := key.machineID, key.txID, ids.traceID, ids.spanID
				e2e.Eventually(t, 30*time.Second, "span "+spanID+" in Jaeger", func(ctx context.Context) error {
					tr, err := jaeger.Trace(ctx, traceID)
					if err != nil {
						return err
					}
					for _, s := range tr.Spans {
						if s.SpanID != spanID {
							continue
						}
						id, _ := s.Tag(string(amtele.AttrMachineID))
						tx, _ := s.Tag(string(amtele.AttrTxID))
						if id != machineID || fmt.Sprint(tx) != txID {
							t.Errorf("the lines of %s tx %s name span %s %q of %v tx %v", machineID, txID, spanID, s.OperationName, id, tx)
						}
						return nil
					}
					return fmt.Errorf("no span %s among the %d of trace %s", spanID, len(tr.Spans), traceID)
				})
			}
		})
	}
}
