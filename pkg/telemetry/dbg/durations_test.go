package dbg_test

import (
	"context"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// napHandlers has a negotiation handler that returns at once and a final
// one that naps: the durations must tell them apart.
type napHandlers struct{}

func (*napHandlers) NapEnter(*am.Event) bool { return true }

func (*napHandlers) NapState(*am.Event) { time.Sleep(5 * time.Millisecond) }

// While connected, the tracer times every handler of a transition, in the
// order of its handler steps; a transition without handlers has none.
func TestHandlerDurations(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	mach := napper(t, tracer)
	// the struct message arriving means the tracer is connected
	flush(t, tracer)
	mach.Add1("Nap", nil)
	mach.Add1("Plain", nil)
	flush(t, tracer)

	var nap, plain *dbg.DbgMsgTx
	for _, tx := range col.txs("napper") {
		switch {
		case len(tx.Called) == 1 && tx.Called[0] == mach.Index1("Nap"):
			nap = tx
		case len(tx.Called) == 1 && tx.Called[0] == mach.Index1("Plain"):
			plain = tx
		}
	}
	if nap == nil || plain == nil {
		t.Fatalf("transitions received: %+v", col.txs("napper"))
	}
	var handlers []string
	for _, s := range nap.Steps {
		if s.Type == am.StepHandler {
			handlers = append(handlers, s.Handler)
		}
	}
	if len(handlers) != 2 || handlers[0] != "NapEnter" || handlers[1] != "NapState" || len(nap.HandlerDurations) != 2 {
		t.Fatalf("handlers %v, durations %v; want NapEnter and NapState, each timed", handlers, nap.HandlerDurations)
	}
	enter, state := nap.HandlerDurations[0], nap.HandlerDurations[1]
	if state < 5*time.Millisecond || enter >= state || state > nap.End.Sub(nap.Start) {
		t.Errorf("NapEnter took %v, NapState %v, the transition %v; want NapState at least its 5ms nap, and longest",
			enter, state, nap.End.Sub(nap.Start))
	}
	checkDurations(t, nap)
	if plain.HandlerDurations != nil {
		t.Errorf("a transition without handlers has durations %v", plain.HandlerDurations)
	}
}

// Without a server, the tracer times nothing: the transitions queued
// while it is not connected carry no durations, and reach a server that
// starts later without them.
func TestHandlerDurationsNotWhileDisconnected(t *testing.T) {
	addr := freeAddr(t)
	tracer := dbg.NewTracer(addr, &dbg.Opts{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	mach := napper(t, tracer)
	mach.Add1("Nap", nil)
	_, col := startServer(t, addr)
	flush(t, tracer)
	txs := col.txs("napper")
	if len(txs) != 1 || txs[0].Accepted != true {
		t.Fatalf("received %+v; want the one transition", txs)
	}
	if txs[0].HandlerDurations != nil {
		t.Errorf("timed while disconnected: %v", txs[0].HandlerDurations)
	}
}

// napper returns machine "napper" with the states Nap and Plain and
// napHandlers, bound to tracer. The test's cleanup disposes it, and
// closes tracer.
func napper(t *testing.T, tracer *dbg.Tracer) *am.Machine {
	t.Helper()
	mach, err := am.New(context.Background(), am.Schema{"Nap": {}, "Plain": {}}, &am.Opts{
		ID: "napper", Tracers: []am.Tracer{tracer}, Logger: am.LogSinkFunc(func(*am.LogEntry) {}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mach.Dispose()
		// a server gone makes Close wait for its context
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tracer.Close(ctx)
	})
	if err := mach.BindHandlers(&napHandlers{}); err != nil {
		t.Fatal(err)
	}
	return mach
}
