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

// TestIntegrationOtelLoggerLoki sends machine logs over OTLP/HTTP to a real
// Loki, which ingests OTLP natively, and reads them back with LogQL.
func TestIntegrationOtelLoggerLoki(t *testing.T) {
	loki := e2e.StartLoki(t)
	const service = "amtele-logs"
	ctx := context.Background()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpointURL(loki.OTLPLogsURL))
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

	// line, machine, transition, Loki's level: what a Grafana log panel
	// filters and colors by
	want := []string{
		"[add] Foo root 1 info",
		"[state] +Foo root 1 info",
		"[add] Bar child 1 info",
		"[state] +Bar child 1 info",
		"[error] boom root  error",
		"[add] Exception root 2 info",
		"[state] +Exception root 2 info",
	}
	var got []string
	e2e.Eventually(t, 30*time.Second, "machine logs in Loki", func(ctx context.Context) error {
		entries, err := loki.Query(ctx, fmt.Sprintf(`{service_name=%q}`, service))
		if err != nil {
			return err
		}
		got = got[:0]
		for _, e := range entries {
			m := e.Metadata
			got = append(got, strings.Join([]string{e.Line, m["am_machine_id"], m["am_tx_id"], m["detected_level"]}, " "))
		}
		if len(got) < len(want) {
			return fmt.Errorf("%d of %d entries", len(got), len(want))
		}
		return nil
	})
	// Loki orders entries by time, and entries of the same nanosecond by
	// line, so compare as sets
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Loki entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
