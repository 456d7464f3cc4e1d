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
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
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
	const service = "amtele-logs"
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
