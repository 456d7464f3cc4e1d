package dbg_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// slowHandlers overrun the machine's handler timeout once released.
type slowHandlers struct {
	release chan struct{}
}

func (h *slowHandlers) SlowState(e *am.Event) {
	<-h.release
}

// A handler running past the machine's timeout: the handler timeout
// message names the machine, transition and handler, and arrives while the
// handler still runs; the transition follows with its timeout step.
func TestHandlerTimeoutMessage(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	h := &slowHandlers{release: make(chan struct{})}
	mach, err := am.New(context.Background(), am.Schema{"Slow": {}}, &am.Opts{
		ID: "stuck", HandlerTimeout: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	defer tracer.Close(context.Background())

	added := make(chan am.Result, 1)
	go func() { added <- mach.Add1("Slow", nil) }()
	var timeout *dbg.DbgMsgHandlerTimeout
	col.waitFor(t, "the handler timeout", func(msgs []dbg.DbgMsg) bool {
		for _, m := range msgs {
			if ht, ok := m.(*dbg.DbgMsgHandlerTimeout); ok {
				timeout = ht
				return true
			}
		}
		return false
	})
	if len(col.txs("stuck")) != 0 {
		t.Error("the transition arrived before its handler returned")
	}
	if timeout.MachineID != "stuck" || timeout.TxID != 1 || timeout.Handler != "SlowState" ||
		timeout.Elapsed < 20*time.Millisecond || timeout.Time.IsZero() {
		t.Errorf("handler timeout message %+v", timeout)
	}
	close(h.release)
	<-added
	flush(t, tracer)
	txs := col.txs("stuck")
	// a late final handler adds Exception in a transition of its own
	if len(txs) == 0 || txs[0].ID != timeout.TxID {
		t.Fatalf("first transition of %d is not the one that timed out", len(txs))
	}
	if !slices.ContainsFunc(txs[0].Steps, func(s am.Step) bool {
		return s.Type == am.StepHandlerTimeout && s.Handler == "SlowState"
	}) {
		t.Errorf("the transition has no handler timeout step: %+v", txs[0].Steps)
	}
}

// Dry runs reach the server as transitions with CheckOnly and ID 0, and
// leave the log entries made before them to the next real transition.
func TestCheckOnlyMessage(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	mach, err := am.New(context.Background(), am.Schema{"A": {}, "B": {Require: am.S{"A"}}},
		&am.Opts{ID: "dry", LogLevel: am.LogLevelChanges})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	defer tracer.Close(context.Background())

	mach.Log("before the checks")
	if mach.CanAdd1("B", nil) != am.Canceled || mach.CanAdd1("A", nil) != am.Executed {
		t.Fatal("unexpected check results")
	}
	mach.Add1("A", nil)
	flush(t, tracer)
	txs := col.txs("dry")
	if len(txs) != 3 {
		t.Fatalf("%d transition messages, want 2 checks and 1 transition", len(txs))
	}
	for i, want := range []struct {
		check, accepted bool
		id              uint64
	}{{true, false, 0}, {true, true, 0}, {false, true, 1}} {
		if tx := txs[i]; tx.CheckOnly != want.check || tx.Accepted != want.accepted || tx.ID != want.id {
			t.Errorf("message %d: CheckOnly %v, Accepted %v, ID %d; want %+v", i, tx.CheckOnly, tx.Accepted, tx.ID, want)
		}
	}
	if txs[0].Err == "" || len(txs[0].LogsBefore) != 0 || len(txs[1].LogsBefore) != 0 {
		t.Errorf("checks: err %q, logs before %v and %v", txs[0].Err, txs[0].LogsBefore, txs[1].LogsBefore)
	}
	if len(txs[2].LogsBefore) != 1 || txs[2].LogsBefore[0].Text != "before the checks" {
		t.Errorf("the transition's logs before: %+v", txs[2].LogsBefore)
	}
}

// A version 2 batch still decodes, and one claiming a version past this
// package's is refused.
func TestProtocolVersions(t *testing.T) {
	for v := dbg.MinProtocolVersion; v <= dbg.ProtocolVersion; v++ {
		b := &dbg.Batch{Version: v, ClientID: "c"}
		data, _ := b.GobEncode()
		var got dbg.Batch
		if err := got.GobDecode(data); err != nil || got.Version != v {
			t.Errorf("version %d: %v, decoded version %d", v, err, got.Version)
		}
	}
	data, _ := (&dbg.Batch{Version: dbg.ProtocolVersion + 1}).GobEncode()
	var got dbg.Batch
	if err := got.GobDecode(data); !errors.Is(err, dbg.ErrVersion) {
		t.Errorf("version %d: %v, want ErrVersion", dbg.ProtocolVersion+1, err)
	}
	if dbg.ProtocolVersion != 3 {
		t.Errorf("ProtocolVersion = %d; the handler timeout message needs 3", dbg.ProtocolVersion)
	}
}
