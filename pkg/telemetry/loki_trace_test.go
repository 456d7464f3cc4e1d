package amtele_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// TestLokiLoggerTraceContext binds an OTel tracer and the Loki logger to
// the same machine, in both orders: entries of a transition carry its
// span's trace and span IDs as structured metadata after tx_id, entries
// made outside a transition none.
func TestLokiLoggerTraceContext(t *testing.T) {
	for _, loggerFirst := range []bool{true, false} {
		client := newFakeLoki()
		tracer, rec := recorded(t, nil)
		mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", LogLevel: am.LogLevelOps})
		var logger *amtele.LokiLogger
		bindLogger := func() {
			var err error
			if logger, err = amtele.BindLokiLogger(mach, client); err != nil {
				t.Fatal(err)
			}
		}
		if loggerFirst {
			bindLogger()
		}
		if err := mach.BindTracer(tracer); err != nil {
			t.Fatal(err)
		}
		if !loggerFirst {
			bindLogger()
		}
		mach.Add1("Foo", nil)
		mach.Log("between transitions")
		flush(t, logger)

		sc := newSpanTree(rec.Ended()).one(t, "[add] Foo").SpanContext()
		inTx := []loki.Label{
			{Name: amtele.LokiMetaTxID, Value: "1"},
			{Name: amtele.LokiMetaTraceID, Value: sc.TraceID().String()},
			{Name: amtele.LokiMetaSpanID, Value: sc.SpanID().String()},
		}
		want := map[string][]loki.Label{"[add] Foo": inTx, "[state] +Foo": inTx, "between transitions": nil}
		got := client.all()
		if len(got) != len(want) {
			t.Fatalf("logger first=%v: %d entries, want %d: %+v", loggerFirst, len(got), len(want), got)
		}
		for _, e := range got {
			if w, ok := want[e.Line]; !ok || !slices.Equal(e.Metadata, w) {
				t.Errorf("logger first=%v: %q has metadata %v, want %v", loggerFirst, e.Line, e.Metadata, w)
			}
		}
	}
}

// discardLokiClient takes every entry and keeps none.
type discardLokiClient struct{}

func (discardLokiClient) Push(loki.Entry) bool        { return true }
func (discardLokiClient) Flush(context.Context) error { return nil }

// BenchmarkLokiLoggerTraced runs the op logging state changes with an OTel
// tracer bound, to a sink that drops the entries (the base), and with the
// Loki logger too, handing entries with their spans' IDs to a client that
// drops them. The difference per entry (entries/op) is the logger's cost to
// the machine next to a tracer, span lookup included.
func BenchmarkLokiLoggerTraced(b *testing.B) {
	for _, withLogger := range []bool{false, true} {
		name := "tracer"
		if withLogger {
			name = "tracer+loki"
		}
		b.Run(name, func(b *testing.B) {
			var n atomic.Uint64
			tracer := amtele.NewOtelMachTracer(batchedTracer(b, discardExporter{}), nil)
			mach, h := machtest.NewMutationsMachine(b, &am.Opts{
				LogLevel: am.LogLevelChanges,
				Logger:   am.LogSinkFunc(func(*am.LogEntry) { n.Add(1) }),
				Tracers:  []am.Tracer{tracer},
			})
			if withLogger {
				logger, err := amtele.BindLokiLogger(mach, discardLokiClient{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = logger.Flush(context.Background()) })
			}
			b.ReportAllocs()
			machtest.RunMutationsOp(b, mach, h)
			b.ReportMetric(float64(n.Load())/float64(b.N), "entries/op")
		})
	}
}
