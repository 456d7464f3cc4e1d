package amtele_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// TestIntegrationOtelCollector sends the workflow's spans and logs, with
// the providers of NewOtelProvidersFromEnv, to a real OpenTelemetry
// Collector, which forwards traces to a real Jaeger and logs to a real
// VictoriaLogs: the tree and the records read back are exactly those sent.
func TestIntegrationOtelCollector(t *testing.T) {
	jaeger := e2e.StartJaeger(t)
	vl := e2e.StartVictoriaLogs(t)
	col := e2e.StartCollector(t, e2e.CollectorOptions{TracesOTLPGRPC: jaeger.OTLPGRPCAddr, LogsOTLPHTTP: vl.OTLPLogsURL})
	for _, tc := range []struct{ protocol, endpoint string }{
		{"grpc", "http://" + col.OTLPGRPCAddr},
		{"http/protobuf", "http://" + col.OTLPHTTPAddr},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			service := e2e.Unique("amtele-otelcol-" + strings.ReplaceAll(tc.protocol, "/", "-"))
			setEnv(t, map[string]string{
				"OTEL_SERVICE_NAME":           service,
				"OTEL_EXPORTER_OTLP_PROTOCOL": tc.protocol,
				"OTEL_EXPORTER_OTLP_ENDPOINT": tc.endpoint,
			})
			p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "unused")
			if err != nil {
				t.Fatal(err)
			}
			w := newWorkflow(t, amtele.NewOtelMachTracer(p.Tracer.Tracer("amtele"), nil))
			w.root.SetLogLevel(am.LogLevelChanges)
			// line, machine, transition and level of every record
			var sent []string
			w.root.AddLogSink(am.LogSinkFunc(func(e *am.LogEntry) {
				tx := ""
				if e.TxID != 0 {
					tx = strconv.FormatUint(e.TxID, 10)
				}
				sent = append(sent, strings.Join([]string{e.Text, e.MachineID, tx, e.Level.String()}, " "))
			}))
			if err := amtele.BindOtelLogger(w.root, p.Logger, service); err != nil {
				t.Fatal(err)
			}
			w.run(t)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := p.Stats(); s != (amtele.OtelStats{}) {
				t.Errorf("lost on the way to the Collector: %+v", s)
			}

			tr := jaegerTraces(t, jaeger, service, 1)[0]
			if got := jaegerTree(tr); got != workflowTree {
				t.Errorf("Jaeger's tree through the Collector:%s\nwant:%s", got, workflowTree)
			}
			noWarnings(t, tr)

			var got []string
			e2e.Eventually(t, 30*time.Second, "the machine's logs in VictoriaLogs", func(ctx context.Context) error {
				entries, err := vl.Query(ctx, fmt.Sprintf(`{service.name=%q} AND %s:=%q`, service, amtele.LogAttrMachineID, "wf-root"))
				if err != nil {
					return err
				}
				got = got[:0]
				for _, e := range entries {
					f := e.Fields
					got = append(got, strings.Join([]string{e.Msg, f[amtele.LogAttrMachineID], f[amtele.LogAttrTxID], f[amtele.LogAttrLevel]}, " "))
				}
				if len(got) < len(sent) {
					return fmt.Errorf("%d of %d records", len(got), len(sent))
				}
				return nil
			})
			// records of the same nanosecond have no order
			slices.Sort(got)
			slices.Sort(sent)
			if !slices.Equal(got, sent) {
				t.Errorf("VictoriaLogs records through the Collector:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sent, "\n"))
			}
		})
	}
}
