package amtele_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
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

// lines returns the texts of the recorded entries of machineID at level
// (any level when level is -1), which the logger sends as lines.
func (r *lokiRecorder) lines(machineID string, level am.LogLevel) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.entries {
		if e.MachineID == machineID && (level < 0 || e.Level == level) {
			out = append(out, e.Text)
		}
	}
	return out
}

// fakeLoki is a LokiClient that keeps what it is given, and can be made to
// refuse entries like a client whose queue is full.
type fakeLoki struct {
	mu      sync.Mutex
	entries map[string][]loki.Entry // by machine ID
	refuse  bool
	flushes int
	// while blocked is open, Push waits, breaking the LokiClient contract
	// to fill the logger's own queue; calls gets a value per Push, if
	// not nil
	blocked chan struct{}
	calls   chan struct{}
}

func newFakeLoki() *fakeLoki { return &fakeLoki{entries: map[string][]loki.Entry{}} }

func (f *fakeLoki) Push(e loki.Entry) bool {
	if f.calls != nil {
		f.calls <- struct{}{}
	}
	if f.blocked != nil {
		<-f.blocked
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse {
		return false
	}
	id := e.Labels[amtele.LokiLabelMachineID]
	f.entries[id] = append(f.entries[id], e)
	return true
}

func (f *fakeLoki) Flush(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushes++
	return nil
}

func (f *fakeLoki) of(machineID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for _, e := range f.entries[machineID] {
		lines = append(lines, e.Line)
	}
	return lines
}

func (f *fakeLoki) all() []loki.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []loki.Entry
	for _, es := range f.entries {
		out = append(out, es...)
	}
	return out
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
// entry of their log level, in order, with the documented labels and
// metadata, and follow SetLogLevel.
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
	for _, e := range client.all() {
		levels[e.Labels[amtele.LokiLabelLevel]] = true
		if len(e.Labels) != 2 {
			t.Errorf("labels %v, want machine_id and level only", e.Labels)
		}
	}
	for _, l := range []am.LogLevel{am.LogLevelChanges, am.LogLevelOps, am.LogLevelDecisions, am.LogLevelEverything} {
		if !levels[l.String()] {
			t.Errorf("no entry labelled level=%s", l)
		}
	}
	if got := client.of("child"); slices.Contains(got, "user line 3") {
		t.Error("an entry logged at LogLevelNothing was sent")
	}
	if n := logger.Dropped(); n != 0 {
		t.Errorf("%d entries dropped", n)
	}
	client.mu.Lock()
	defer client.mu.Unlock()
	if client.flushes != 1 {
		t.Errorf("the logger's Flush flushed the client %d times, want 1", client.flushes)
	}
}

// TestLokiLoggerEntries compares each sent entry with the machine's: time,
// text, labels, and the transition ID as metadata when there was one.
func TestLokiLoggerEntries(t *testing.T) {
	client := newFakeLoki()
	mach := newLokiMachine(t, "m", nil, am.LogLevelOps)
	rec := &lokiRecorder{}
	mach.AddLogSink(rec)
	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		t.Fatal(err)
	}
	lokiWorkload(mach, 1)
	flush(t, logger)

	got := client.all()
	rec.mu.Lock()
	want := slices.Clone(rec.entries)
	rec.mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("%d entries sent, want %d", len(got), len(want))
	}
	withTx, withoutTx := 0, 0
	for i, w := range want {
		g := got[i]
		var meta []loki.Label
		if w.TxID != 0 {
			meta = []loki.Label{{Name: amtele.LokiMetaTxID, Value: strconv.FormatUint(w.TxID, 10)}}
			withTx++
		} else {
			withoutTx++
		}
		if !g.Time.Equal(w.Time) || g.Line != w.Text || !slices.Equal(g.Metadata, meta) ||
			g.Labels[amtele.LokiLabelMachineID] != "m" || g.Labels[amtele.LokiLabelLevel] != w.Level.String() {
			t.Errorf("entry %d: %+v, from %+v", i, g, w)
		}
	}
	if withTx == 0 || withoutTx == 0 {
		t.Errorf("%d entries with a transition, %d without: the workload covers both", withTx, withoutTx)
	}
}

// TestLokiLoggerNeverBlocks makes the client block: the machine keeps
// going, the queue holds what it can, the rest is counted as dropped, in
// package drops too, and once the client moves again the queued entries
// arrive.
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

	totalBefore := drops.Total(drops.Loki)
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
	if got, want := drops.Total(drops.Loki)-totalBefore, uint64(lines-queue); got != want {
		t.Errorf("drops.Total(%q) grew by %d, want %d", drops.Loki, got, want)
	}

	client.calls = nil
	close(client.blocked)
	flush(t, logger)
	want := []string{"first"}
	for i := range queue {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	if got := client.of("m"); !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// TestLokiLoggerRefused checks that entries the client refuses are
// counted as dropped, and left to the client's count in package drops.
func TestLokiLoggerRefused(t *testing.T) {
	client := newFakeLoki()
	client.refuse = true
	mach := newLokiMachine(t, "m", nil, am.LogLevelChanges)
	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		t.Fatal(err)
	}
	totalBefore := drops.Total(drops.Loki)
	for i := range 5 {
		mach.Log("line %d", i)
	}
	flush(t, logger)
	if n := logger.Dropped(); n != 5 {
		t.Errorf("Dropped = %d, want 5", n)
	}
	if grew := drops.Total(drops.Loki) - totalBefore; grew != 0 {
		t.Errorf("drops.Total(%q) grew by %d, want 0: the client counts what it refuses", drops.Loki, grew)
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

// TestLokiSeedSnippet runs the snippet that users of the seed library
// know, with our client in place of promtail's, and checks that it binds.
// The client never connects: the machine logs nothing.
func TestLokiSeedSnippet(t *testing.T) {
	mach := newLokiMachine(t, "seed", nil, am.LogLevelNothing)
	service := "my-service"

	identifiers := map[string]string{
		"service_name": service,
	}
	lokiClient, err := loki.New(loki.Options{URL: "http://localhost:3100", Labels: identifiers})
	if err != nil {
		panic(err)
	}
	defer lokiClient.Close(context.Background())
	amtele.BindLokiLogger(mach, lokiClient)

	bound := slices.ContainsFunc(mach.Tracers(), func(tr am.Tracer) bool { return tr.TracerID() == "loki-logger" })
	if !bound {
		t.Error("the snippet bound no Loki logger")
	}
}
