package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// StuckTimeout is the handler timeout of a [StuckWorker]'s machine.
const StuckTimeout = 20 * time.Millisecond

// StuckWorker is a real machine, "worker", reporting to a dbg server
// through a dbg tracer, whose final handler WorkState hangs past
// [StuckTimeout] in the machine's transition #2, until [StuckWorker.Release].
type StuckWorker struct {
	t       testing.TB
	ctx     context.Context
	tracer  *dbg.Tracer
	mach    *am.Machine
	release func()
	added   chan struct{}
}

// NewStuckWorker starts the worker sending to the dbg server at addr, and
// returns once the server has received the handler's timeout: the
// handler still hangs then. The test's cleanup releases it, so a failing
// test leaves no goroutine behind.
func NewStuckWorker(t testing.TB, addr string) *StuckWorker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := &StuckWorker{
		t: t, ctx: ctx, added: make(chan struct{}),
		tracer: dbg.NewTracer(addr, &dbg.Opts{MinBackoff: 5 * time.Millisecond}),
	}
	overran, release := make(chan struct{}), make(chan struct{})
	w.release = sync.OnceFunc(func() { close(release) })
	mach, err := am.New(ctx, am.Schema{"Idle": {Remove: am.S{"Work"}}, "Work": {Remove: am.S{"Idle"}}}, &am.Opts{
		ID: "worker", Tracers: []am.Tracer{w.tracer, &OverrunTracer{Overran: overran}},
		HandlerTimeout: StuckTimeout, Logger: am.LogSinkFunc(func(*am.LogEntry) {}),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.mach = mach
	if err := mach.BindHandlers(&blockingHandlers{release: release}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Idle", nil)
	// connected before Work starts, so that the tracer times its handler
	w.flush()
	go func() {
		defer close(w.added)
		mach.Add1("Work", nil)
	}()
	t.Cleanup(func() {
		w.release()
		<-w.added
	})
	// the dbg tracer is bound first, so its hook has queued the timeout
	// by the time this one reports it
	<-overran
	w.flush()
	return w
}

// Release lets the handler return, and returns once the server has
// received the transition, its Exception included.
func (w *StuckWorker) Release() {
	w.t.Helper()
	w.release()
	<-w.added
	<-w.mach.When1(am.Exception, w.ctx)
	w.flush()
}

func (w *StuckWorker) flush() {
	w.t.Helper()
	ctx, stop := context.WithTimeout(w.ctx, 10*time.Second)
	defer stop()
	if err := w.tracer.Flush(ctx); err != nil {
		w.t.Fatal(err)
	}
}

// OverrunTracer closes Overran when a handler of its machine runs past
// the machine's timeout, once: bind it after the dbg tracer, and the
// timeout is queued to be sent when Overran closes.
type OverrunTracer struct {
	am.NoOpTracer
	Overran chan struct{}
}

// HandlerTimeout closes Overran.
func (o *OverrunTracer) HandlerTimeout(*am.Transition, string, time.Duration) { close(o.Overran) }

// blockingHandlers has a final handler that returns once release is
// closed.
type blockingHandlers struct{ release chan struct{} }

func (h *blockingHandlers) WorkState(*am.Event) { <-h.release }

// TimedHandlers adds to st, as a recording would, machine "m" and two
// transitions with the same steps: A requested, the handlers AEnter and
// AState, AState panicking. Only #2 has its handlers timed, 850ns and
// 1.5ms.
func TimedHandlers(st *store.Store) {
	steps := []am.Step{
		{Type: am.StepRequested, State: 1, Related: -1},
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AEnter"},
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AState"},
		{Type: am.StepHandlerPanic, State: 1, Related: -1, Handler: "AState"},
	}
	for _, m := range []dbg.DbgMsg{
		&dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{am.Exception, "A"}, Clocks: am.Time{0, 0}},
		&dbg.DbgMsgTx{MachineID: "m", ID: 1, Type: am.MutationAdd, Called: []int{1}, Clocks: am.Time{0, 0},
			Steps: steps, Err: "AState panicked"},
		&dbg.DbgMsgTx{MachineID: "m", ID: 2, Type: am.MutationAdd, Called: []int{1}, Clocks: am.Time{0, 0},
			Steps: steps, Err: "AState panicked", HandlerDurations: []time.Duration{850, 1500 * time.Microsecond}},
	} {
		st.AddRecord(&recording.Record{ClientID: "c", Conn: 1, Msg: m})
	}
}
