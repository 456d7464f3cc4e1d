package amtele_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// memLogExporter keeps exported records in memory.
type memLogExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *memLogExporter) Export(_ context.Context, records []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range records {
		e.records = append(e.records, r.Clone())
	}
	return nil
}

func (*memLogExporter) Shutdown(context.Context) error   { return nil }
func (*memLogExporter) ForceFlush(context.Context) error { return nil }

// logLine is the part of a record the tests compare.
type logLine struct {
	Body, Level, Service, Machine, States string
	Severity                              log.Severity
	TxID                                  int64
	// Trace and Span are the record's trace context, in hex.
	Trace, Span string
}

// flushed flushes provider and returns every record exported so far.
func (e *memLogExporter) flushed(t *testing.T, provider *sdklog.LoggerProvider) []logLine {
	t.Helper()
	if err := provider.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []logLine
	for _, r := range e.records {
		if r.SeverityText() != "" {
			t.Errorf("record %q has severity text %q, want none", r.Body().AsString(), r.SeverityText())
		}
		l := logLine{Body: r.Body().AsString(), Severity: r.Severity()}
		if r.TraceID().IsValid() {
			l.Trace, l.Span = r.TraceID().String(), r.SpanID().String()
		}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			switch string(kv.Key) {
			case "service.name":
				l.Service = kv.Value.AsString()
			case amtele.LogAttrLevel:
				l.Level = kv.Value.AsString()
			case amtele.LogAttrMachineID:
				l.Machine = kv.Value.AsString()
			case amtele.LogAttrTxID:
				l.TxID = kv.Value.AsInt64()
			case amtele.LogAttrStates:
				var names []string
				for _, v := range kv.Value.AsSlice() {
					names = append(names, v.AsString())
				}
				l.States = strings.Join(names, " ")
			}
			return true
		})
		out = append(out, l)
	}
	return out
}

func TestBindOtelLogger(t *testing.T) {
	exp := &memLogExporter{}
	provider := amtele.NewOtelLoggerProvider(exp)
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })

	root := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "root", LogLevel: am.LogLevelChanges})
	if err := amtele.BindOtelLogger(root, provider, "svc"); err != nil {
		t.Fatal(err)
	}
	child := newMachine(t, am.Schema{"Bar": {}}, &am.Opts{ID: "child", Parent: root, LogLevel: am.LogLevelChanges})

	root.Add1("Foo", nil)
	child.Add1("Bar", nil)
	root.Log("hello %d", 42)
	root.AddErr(errors.New("boom"), nil)

	want := []logLine{
		{Body: "[state] +Foo", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root", TxID: 1, States: "Foo"},
		{Body: "[state] +Bar", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "child", TxID: 1, States: "Bar"},
		{Body: "hello 42", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root"},
		{Body: "[error] boom", Severity: log.SeverityError, Level: "changes", Service: "svc", Machine: "root"},
		{Body: "[state] +Exception", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root", TxID: 2, States: "Exception"},
	}
	got := exp.flushed(t, provider)
	if !slices.Equal(got, want) {
		t.Fatalf("records:\n%v\nwant:\n%v", got, want)
	}

	// the machine's level decides what becomes a record
	root.SetLogLevel(am.LogLevelNothing)
	root.Remove1("Foo", nil)
	root.SetLogLevel(am.LogLevelDecisions)
	root.Add1("Foo", nil)
	got = exp.flushed(t, provider)[len(want):]
	wantNext := []logLine{
		{Body: "[add] Foo", Severity: log.SeverityInfo, Level: "ops", Service: "svc", Machine: "root", TxID: 4, States: "Foo"},
		{Body: "[step] Foo requested", Severity: log.SeverityDebug, Level: "decisions", Service: "svc", Machine: "root", TxID: 4, States: "Foo"},
		{Body: "[state] +Foo", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root", TxID: 4, States: "Foo"},
	}
	if !slices.Equal(got, wantNext) {
		t.Fatalf("records after level changes:\n%v\nwant:\n%v", got, wantNext)
	}
}

func TestBindOtelLoggerDisposed(t *testing.T) {
	provider := amtele.NewOtelLoggerProvider(&memLogExporter{})
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	mach := newMachine(t, am.Schema{}, nil)
	mach.Dispose()
	<-mach.WhenDisposed()
	if err := amtele.BindOtelLogger(mach, provider, "svc"); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("BindOtelLogger on a disposed machine: %v, want ErrDisposed", err)
	}
}

func TestOtelSeverity(t *testing.T) {
	for _, tc := range []struct {
		level am.LogLevel
		text  string
		want  log.Severity
	}{
		{am.LogLevelChanges, "[state] +Foo", log.SeverityInfo},
		{am.LogLevelOps, "[add] Foo", log.SeverityInfo},
		{am.LogLevelDecisions, "[step] Foo requested", log.SeverityDebug},
		{am.LogLevelEverything, "[handler] FooState", log.SeverityTrace},
		{am.LogLevelChanges, "[error] boom", log.SeverityError},
	} {
		if got := amtele.OtelSeverity(&am.LogEntry{Level: tc.level, Text: tc.text}); got != tc.want {
			t.Errorf("OtelSeverity(%v, %q) = %v, want %v", tc.level, tc.text, got, tc.want)
		}
	}
}

// loggedHandlers logs from a handler, inside the transition.
type loggedHandlers struct{}

func (*loggedHandlers) FooState(e *am.Event) { e.Machine.Log("in FooState") }

// TestOtelLoggerTraceContext binds an OTel tracer and an OTel logger to the
// same machine, in both orders: the records of a transition carry its
// span's trace and span IDs, those of a submachine its own transition's,
// and records made outside a transition none.
func TestOtelLoggerTraceContext(t *testing.T) {
	for _, loggerFirst := range []bool{true, false} {
		exp := &memLogExporter{}
		provider := amtele.NewOtelLoggerProvider(exp)
		t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
		tracer, rec := recorded(t, nil)

		root := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "root", LogLevel: am.LogLevelOps})
		bindLogger := func() {
			if err := amtele.BindOtelLogger(root, provider, "svc"); err != nil {
				t.Fatal(err)
			}
		}
		if loggerFirst {
			bindLogger()
		}
		if err := root.BindTracer(tracer); err != nil {
			t.Fatal(err)
		}
		if !loggerFirst {
			bindLogger()
		}
		if err := root.BindHandlers(&loggedHandlers{}); err != nil {
			t.Fatal(err)
		}
		child := newMachine(t, am.Schema{"Bar": {}}, &am.Opts{ID: "child", Parent: root, LogLevel: am.LogLevelOps})
		root.Add1("Foo", nil)
		root.Log("between transitions")
		child.Add1("Bar", nil)

		spans := newSpanTree(rec.Ended())
		ids := func(name string) (string, string) {
			sc := spans.one(t, name).SpanContext()
			return sc.TraceID().String(), sc.SpanID().String()
		}
		fooTrace, fooSpan := ids("[add] Foo")
		barTrace, barSpan := ids("[add] Bar")
		want := []logLine{
			{Body: "[add] Foo", Severity: log.SeverityInfo, Level: "ops", Service: "svc", Machine: "root", TxID: 1, States: "Foo", Trace: fooTrace, Span: fooSpan},
			{Body: "[state] +Foo", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root", TxID: 1, States: "Foo", Trace: fooTrace, Span: fooSpan},
			{Body: "in FooState", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root", TxID: 1, Trace: fooTrace, Span: fooSpan},
			{Body: "between transitions", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "root"},
			{Body: "[add] Bar", Severity: log.SeverityInfo, Level: "ops", Service: "svc", Machine: "child", TxID: 1, States: "Bar", Trace: barTrace, Span: barSpan},
			{Body: "[state] +Bar", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "child", TxID: 1, States: "Bar", Trace: barTrace, Span: barSpan},
		}
		if got := exp.flushed(t, provider); !slices.Equal(got, want) {
			t.Errorf("logger first=%v: records:\n%v\nwant:\n%v", loggerFirst, got, want)
		}
	}
}

// TestOtelLoggerUnsampled gives records no trace context when the
// transition's span is not sampled: it is never exported, so its IDs would
// point at nothing.
func TestOtelLoggerUnsampled(t *testing.T) {
	exp := &memLogExporter{}
	provider := amtele.NewOtelLoggerProvider(exp)
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := amtele.NewOtelMachTracer(tp.Tracer("amtele-test"), nil)

	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", LogLevel: am.LogLevelChanges, Tracers: []am.Tracer{tracer}})
	if err := amtele.BindOtelLogger(mach, provider, "svc"); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Foo", nil)
	want := []logLine{{Body: "[state] +Foo", Severity: log.SeverityInfo, Level: "changes", Service: "svc", Machine: "m", TxID: 1, States: "Foo"}}
	if got := exp.flushed(t, provider); !slices.Equal(got, want) {
		t.Errorf("records:\n%v\nwant:\n%v", got, want)
	}
}

// TestOtelLoggerTracerBoundLater binds the OTel tracer after the logger
// and after a few transitions: the logger finds it at the next transition
// it looks again at (the 4th), and from then on records carry span IDs.
func TestOtelLoggerTracerBoundLater(t *testing.T) {
	exp := &memLogExporter{}
	provider := amtele.NewOtelLoggerProvider(exp)
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "m", LogLevel: am.LogLevelChanges})
	if err := amtele.BindOtelLogger(mach, provider, "svc"); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Foo", nil)    // tx 1
	mach.Remove1("Foo", nil) // tx 2
	mach.Add1("Foo", nil)    // tx 3
	tracer, rec := recorded(t, nil)
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	mach.Remove1("Foo", nil) // tx 4

	got := exp.flushed(t, provider)
	if len(got) != 4 {
		t.Fatalf("records:\n%v\nwant 4", got)
	}
	for _, l := range got[:3] {
		if l.Trace != "" {
			t.Errorf("record %q of tx %d has trace %s before a tracer was bound", l.Body, l.TxID, l.Trace)
		}
	}
	sc := newSpanTree(rec.Ended()).one(t, "[remove] Foo").SpanContext()
	if l := got[3]; l.TxID != 4 || l.Trace != sc.TraceID().String() || l.Span != sc.SpanID().String() {
		t.Errorf("record %+v, want tx 4 with the span %s of [remove] Foo", l, sc.SpanID())
	}
}

// stuckLogExporter holds every export until release is closed, then fails
// it, as a backend that hangs and then goes away.
type stuckLogExporter struct{ release chan struct{} }

func (e *stuckLogExporter) Export(ctx context.Context, _ []sdklog.Record) error {
	select {
	case <-e.release:
		return errors.New("backend gone")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (*stuckLogExporter) Shutdown(context.Context) error   { return nil }
func (*stuckLogExporter) ForceFlush(context.Context) error { return nil }

// TestOtelLoggerProviderCounts: the records that NewOtelLoggerProvider's
// full queue drops, and then those of its failed export, reach package
// drops exactly, and stay in its total after Shutdown. An invalid queue
// size falls back to the SDK's 2048.
func TestOtelLoggerProviderCounts(t *testing.T) {
	for _, tc := range []struct {
		queue         string
		size, dropped int
	}{
		{"2", 2, 8},
		{"many", 2048, 8},
	} {
		t.Run("OTEL_BLRP_MAX_QUEUE_SIZE="+tc.queue, func(t *testing.T) {
			t.Setenv("OTEL_BLRP_MAX_QUEUE_SIZE", tc.queue)
			exp := &stuckLogExporter{release: make(chan struct{})}
			provider := amtele.NewOtelLoggerProvider(exp)
			released := false
			t.Cleanup(func() {
				if !released {
					close(exp.release)
				}
				_ = provider.Shutdown(context.Background())
			})
			before := drops.Total(drops.OtelLogs)
			logger := provider.Logger("counts")
			// the first export holds the records it took, so the queue
			// cannot empty: exactly those beyond its size are dropped
			for range tc.size + tc.dropped {
				var r log.Record
				r.SetBody(attribute.StringValue("record"))
				logger.Emit(context.Background(), r)
			}
			if got := drops.Total(drops.OtelLogs) - before; got != uint64(tc.dropped) {
				t.Errorf("with the exporter stuck: drops.Total(%s) grew by %d, want %d", drops.OtelLogs, got, tc.dropped)
			}
			close(exp.release)
			released = true
			if err := provider.Shutdown(context.Background()); err != nil {
				t.Logf("shutdown: %v", err)
			}
			if got := drops.Total(drops.OtelLogs) - before; got != uint64(tc.size+tc.dropped) {
				t.Errorf("after the failed exports: drops.Total(%s) grew by %d, want %d, all of them", drops.OtelLogs, got, tc.size+tc.dropped)
			}
		})
	}
}
