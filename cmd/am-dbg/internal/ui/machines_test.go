package ui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// workerHandlers has a final handler that returns only once the machine
// said it overran its timeout.
type workerHandlers struct{ overran chan struct{} }

func (h *workerHandlers) WorkState(*am.Event) { <-h.overran }

// A real machine's dry run shows as a check, which x hides, and a
// handler that overran its timeout shows as stuck: both as the dbg
// tracer sends them.
func TestLiveCheckAndStuckHandler(t *testing.T) {
	l := startLive(t)
	tracer := dbg.NewTracer(l.addr, &dbg.Opts{MinBackoff: 5 * time.Millisecond})
	overran := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	worker, err := am.New(ctx, am.Schema{"Idle": {Remove: am.S{"Work"}}, "Work": {Remove: am.S{"Idle"}}}, &am.Opts{
		ID: "worker", Tracers: []am.Tracer{tracer, &storetest.OverrunTracer{Overran: overran}},
		HandlerTimeout: 20 * time.Millisecond, Logger: am.NewTextSink(io.Discard),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.BindHandlers(&workerHandlers{overran: overran}); err != nil {
		t.Fatal(err)
	}
	worker.Add1("Idle", nil)
	if worker.CanAdd1("Work", nil) != am.Executed {
		t.Fatal("the dry run refused Work")
	}
	worker.Add1("Work", nil)
	<-worker.When1(am.Exception, ctx)
	flush, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := tracer.Flush(flush); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, l)
	s := screen(m)
	wantLine(t, s, "check", "✓ Work")
	wantLine(t, s, "✓ ⏱ Work")
	press(m, "x")
	s = screen(m)
	wantLine(t, s, "no checks")
	if lineWith(s, "check", "✓ Work") != "" {
		t.Errorf("the check shown:\n%s", s)
	}
	for lineWith(screen(m), "▶", "⏱ Work") == "" && m.tl.pos(m.tl.cur) > 0 {
		press(m, "left")
	}
	wantLine(t, screen(m), "⏱ stuck: WorkState overran its timeout")
}

// A handler that hangs past its timeout shows while it hangs, before its
// transition ends: ⏱ in the machine tree, a line in the details naming
// the handler, its transition and how long it had run, and a count in the
// status bar. Once it returns and its transition arrives, the marks go,
// and the transition shows the overrun.
func TestLiveStuckHandlerWhileItHangs(t *testing.T) {
	l := startLive(t)
	worker := storetest.NewStuckWorker(t, l.addr)
	m := newTestModel(t, l)
	s := screen(m)
	wantLine(t, s, "▸●", "⏱ worker")
	wantLine(t, s, "⏱ stuck now: WorkState in #2 still running after ")
	wantLine(t, s, "⏱ 1 machine stuck")

	worker.Release()
	l.data.Drain(l.inbox)
	m.Update(changedMsg{})
	s = screen(m)
	if lineWith(s, "⏱ worker") != "" || lineWith(s, "stuck now") != "" || lineWith(s, "machine stuck") != "" {
		t.Errorf("still marked stuck once the transition arrived:\n%s", s)
	}
	for lineWith(screen(m), "▶", "⏱ Work") == "" && m.tl.pos(m.tl.cur) > 0 {
		press(m, "left")
	}
	s = screen(m)
	wantLine(t, s, "⏱ stuck: WorkState overran its timeout")
	// the tracer timed the handler: at least its timeout
	took := lineWith(s, "WorkState ran in ")
	if took == "" {
		t.Fatalf("the handler's duration is not shown:\n%s", s)
	}
	field := strings.Fields(took[strings.Index(took, " ran in ")+len(" ran in "):])[0]
	if d, err := time.ParseDuration(field); err != nil || d < storetest.StuckTimeout {
		t.Errorf("WorkState ran in %q (%v); want at least its %v timeout", field, err, storetest.StuckTimeout)
	}
}

// Each handler step says how long its handler ran, when the client timed
// the handlers; a transition without durations says only what ran.
func TestHandlerDurationsShown(t *testing.T) {
	data := store.New(nil)
	storetest.TimedHandlers(data)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	s := screen(m)
	wantLine(t, s, "2 AEnter ran in 850ns")
	wantLine(t, s, "3 AState ran in 1.5ms")
	if line := lineWith(s, "4 AState panicked"); line == "" || strings.Contains(line, " in ") {
		t.Errorf("the panic step: %q", line)
	}
	press(m, "left")
	s = screen(m)
	wantLine(t, s, "2 AEnter ran")
	if lineWith(s, " ran in ") != "" {
		t.Errorf("durations shown for a transition without them:\n%s", s)
	}
}
