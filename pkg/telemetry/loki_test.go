package amtele_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ic2hrmk/promtail"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// lokiSchema has relations and an auto state, so that every log level has
// entries: changes, ops, decisions (relation steps) and everything
// (handlers).
func lokiSchema() am.Schema {
	return am.Schema{
		"Start": {Add: am.S{"Ready"}},
		"Ready": {Require: am.S{"Start"}},
		"Stop":  {Remove: am.S{"Start", "Ready"}},
	}
}

type lokiHandlers struct{}

func (*lokiHandlers) ReadyEnter(*am.Event) bool { return true }
func (*lokiHandlers) StopState(*am.Event)       {}

// newLokiMachine creates a machine of lokiSchema with handlers; parent may
// be nil.
func newLokiMachine(t testing.TB, id string, parent *am.Machine, level am.LogLevel) *am.Machine {
	t.Helper()
	mach, err := am.New(context.Background(), lokiSchema(), &am.Opts{ID: id, Parent: parent, LogLevel: level})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	if err := mach.BindHandlers(&lokiHandlers{}); err != nil {
		t.Fatal(err)
	}
	return mach
}

// lokiWorkload logs at every level: state changes, mutations, a canceled
// one, relation steps, handlers, an error and a line of the user's own.
func lokiWorkload(mach *am.Machine, round int) {
	mach.Add1("Start", nil)
	mach.Add1("Stop", nil)
	mach.Add1("Ready", nil) // canceled: requires Start
	mach.AddErr(fmt.Errorf("failure %d", round), nil)
	mach.Log("user line %d", round)
}

// lokiRecorder is a log sink that keeps what a machine logged, to compare
// with what reached the client or Loki.
type lokiRecorder struct {
	mu      sync.Mutex
	entries []am.LogEntry
}

func (r *lokiRecorder) LogEntry(e *am.LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, *e)
}

// lines returns what the promtail JSON client makes of the recorded
// entries of machineID at level (any level when level is -1): the
// severity, a colon and the text.
func (r *lokiRecorder) lines(machineID string, level am.LogLevel) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.entries {
		if e.MachineID == machineID && (level < 0 || e.Level == level) {
			out = append(out, amtele.LokiLevel(&e).String()+": "+e.Text)
		}
	}
	return out
}

// fakeLoki is a LokiClient that keeps what it is given, formatted like the
// promtail JSON client does, and can be made to block like promtail does
// when its queue is full.
type fakeLoki struct {
	mu      sync.Mutex
	lines   map[string][]string // by machine ID
	labels  []map[string]string
	blocked chan struct{} // while open, LogfWithLabels waits
	calls   chan struct{} // gets a value per call, if not nil
}

func newFakeLoki() *fakeLoki { return &fakeLoki{lines: map[string][]string{}} }

func (f *fakeLoki) LogfWithLabels(level promtail.Level, labels map[string]string, format string, args ...any) {
	if f.calls != nil {
		f.calls <- struct{}{}
	}
	if f.blocked != nil {
		<-f.blocked
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := labels[amtele.LokiLabelMachineID]
	f.lines[id] = append(f.lines[id], level.String()+": "+fmt.Sprintf(format, args...))
	f.labels = append(f.labels, labels)
}

func (f *fakeLoki) of(machineID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.lines[machineID])
}

func flush(t testing.TB, l *amtele.LokiLogger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLokiLoggerLines checks that a machine and its submachine send every
// entry of their log level, in order, with the documented labels, and
// follow SetLogLevel.
func TestLokiLoggerLines(t *testing.T) {
	client := newFakeLoki()
	parent := newLokiMachine(t, "parent", nil, am.LogLevelEverything)
	rec := &lokiRecorder{}
	parent.AddLogSink(rec)
	logger, err := amtele.BindLokiLogger(parent, client)
	if err != nil {
		t.Fatal(err)
	}
	child := newLokiMachine(t, "child", parent, am.LogLevelOps)
	child.AddLogSink(rec)

	lokiWorkload(parent, 1)
	lokiWorkload(child, 1)
	child.SetLogLevel(am.LogLevelChanges)
	lokiWorkload(child, 2)
	child.SetLogLevel(am.LogLevelNothing)
	lokiWorkload(child, 3)
	flush(t, logger)

	for _, id := range []string{"parent", "child"} {
		want := rec.lines(id, -1)
		if got := client.of(id); !slices.Equal(got, want) {
			t.Errorf("%s sent\n%q\nwant\n%q", id, got, want)
		}
	}
	// every level was sent, so the comparison above covered them all
	levels := map[string]bool{}
	for _, l := range client.labels {
		levels[l[amtele.LokiLabelLevel]] = true
		if len(l) != 2 {
			t.Errorf("labels %v, want machine_id and level only", l)
		}
	}
	for _, l := range []am.LogLevel{am.LogLevelChanges, am.LogLevelOps, am.LogLevelDecisions, am.LogLevelEverything} {
		if !levels[l.String()] {
			t.Errorf("no entry labelled level=%s", l)
		}
	}
	if got := client.of("child"); slices.ContainsFunc(got, func(s string) bool { return s == "INFO: user line 3" }) {
		t.Error("an entry logged at LogLevelNothing was sent")
	}
	if n := logger.Dropped(); n != 0 {
		t.Errorf("%d entries dropped", n)
	}
}

// TestLokiLoggerNeverBlocks makes the client block: the machine keeps
// going, the queue holds what it can, the rest is counted as dropped, and
// once the client moves again the queued entries arrive.
func TestLokiLoggerNeverBlocks(t *testing.T) {
	client := newFakeLoki()
	client.blocked = make(chan struct{})
	client.calls = make(chan struct{}, 1)
	mach := newLokiMachine(t, "m", nil, am.LogLevelChanges)
	const queue = 8
	logger, err := amtele.NewLokiLogger(mach, client, &amtele.LokiLoggerOpts{QueueSize: queue})
	if err != nil {
		t.Fatal(err)
	}

	mach.Log("first")
	<-client.calls // the delivery goroutine now waits in the client
	const lines = 1000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range lines {
			mach.Log("line %d", i)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging blocked on a blocked client")
	}
	if got, want := logger.Dropped(), uint64(lines-queue); got != want {
		t.Errorf("Dropped = %d, want %d", got, want)
	}

	client.calls = nil
	close(client.blocked)
	flush(t, logger)
	want := []string{"INFO: first"}
	for i := range queue {
		want = append(want, fmt.Sprintf("INFO: line %d", i))
	}
	if got := client.of("m"); !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// TestLokiLoggerErrors checks what cannot be bound.
func TestLokiLoggerErrors(t *testing.T) {
	mach := newLokiMachine(t, "m", nil, am.LogLevelNothing)
	if _, err := amtele.BindLokiLogger(mach, nil); err == nil {
		t.Error("binding a nil client did not fail")
	}
	if _, err := amtele.NewLokiLogger(mach, newFakeLoki(), &amtele.LokiLoggerOpts{QueueSize: -1}); err == nil {
		t.Error("a negative queue size did not fail")
	}
	mach.Dispose()
	<-mach.WhenDisposed()
	if _, err := amtele.BindLokiLogger(mach, newFakeLoki()); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("binding a disposed machine: %v, want ErrDisposed", err)
	}
}

// TestLokiLoggerFlushTimeout checks that Flush gives up with its context
// when the client does not move.
func TestLokiLoggerFlushTimeout(t *testing.T) {
	client := newFakeLoki()
	client.blocked = make(chan struct{})
	t.Cleanup(func() { close(client.blocked) })
	mach := newLokiMachine(t, "m", nil, am.LogLevelChanges)
	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		t.Fatal(err)
	}
	mach.Log("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := logger.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush = %v, want DeadlineExceeded", err)
	}
}

// TestLokiLevel checks the severities given to entries.
func TestLokiLevel(t *testing.T) {
	for _, c := range []struct {
		e    am.LogEntry
		want promtail.Level
	}{
		{am.LogEntry{Level: am.LogLevelChanges, Text: "[state] +A"}, promtail.Info},
		{am.LogEntry{Level: am.LogLevelChanges, Text: "[error] boom"}, promtail.Error},
		{am.LogEntry{Level: am.LogLevelOps, Text: "[add] A"}, promtail.Info},
		{am.LogEntry{Level: am.LogLevelDecisions, Text: "[step] A requested"}, promtail.Debug},
		{am.LogEntry{Level: am.LogLevelEverything, Text: "[handler] AState"}, promtail.Debug},
	} {
		if got := amtele.LokiLevel(&c.e); got != c.want {
			t.Errorf("LokiLevel(%v %q) = %v, want %v", c.e.Level, c.e.Text, got, c.want)
		}
	}
}

// TestLokiSeedSnippet runs the snippet that users of the seed library
// know, as written apart from the import paths, and checks that it binds.
// The client never connects: the machine logs nothing.
func TestLokiSeedSnippet(t *testing.T) {
	mach := newLokiMachine(t, "seed", nil, am.LogLevelNothing)
	service := "my-service"

	identifiers := map[string]string{
		"service_name": service,
	}
	promtailClient, err := promtail.NewJSONv1Client("localhost:3100", identifiers)
	if err != nil {
		panic(err)
	}
	defer promtailClient.Close()
	amtele.BindLokiLogger(mach, promtailClient)

	bound := slices.ContainsFunc(mach.Tracers(), func(tr am.Tracer) bool { return tr.TracerID() == "loki-logger" })
	if !bound {
		t.Error("the snippet bound no Loki logger")
	}
}
