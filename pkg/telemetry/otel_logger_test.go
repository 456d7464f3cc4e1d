package amtele_test

import (
	"context"
	"errors"
	"go.opentelemetry.io/otel/attribute"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
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
