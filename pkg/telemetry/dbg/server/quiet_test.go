package server_test

import (
	"context"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// structBatch is a valid batch with one machine message: the struct
// message of machine id.
func structBatch(id string) *dbg.Batch {
	return &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: id}}}
}

// On a full server, a new connection whose first batch carries machine
// messages takes the slot of the connection that has sent only heartbeats
// the longest, not of the oldest one; a new connection with only a
// heartbeat to send takes nobody's slot.
func TestFullServerShedsQuietest(t *testing.T) {
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}),
		&server.Opts{MaxClients: 2, ShedQuietAfter: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()

	older := rpc.NewClient(dial(t, addr))
	defer older.Close()
	if err := older.Call(dbg.ServiceMethod, structBatch("older"), &dbg.Ack{}); err != nil {
		t.Fatal(err)
	}
	beating := rpc.NewClient(dial(t, addr))
	defer beating.Close()
	heartbeat(t, beating)
	// older spoke last: beating, though newer, has been quiet the longest
	if err := older.Call(dbg.ServiceMethod, structBatch("older"), &dbg.Ack{}); err != nil {
		t.Fatal(err)
	}

	idle := rpc.NewClient(dial(t, addr))
	defer idle.Close()
	err = idle.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{})
	if err == nil || !strings.Contains(err.Error(), server.ErrFull.Error()) {
		t.Fatalf("a heartbeat on a full server: %v, want %v", err, server.ErrFull)
	}
	heartbeat(t, beating)

	busy := rpc.NewClient(dial(t, addr))
	defer busy.Close()
	if err := busy.Call(dbg.ServiceMethod, structBatch("busy"), &dbg.Ack{}); err != nil {
		t.Fatalf("machine messages on a full server with a quiet connection: %v", err)
	}
	if err := beating.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{}); err == nil {
		t.Error("the quietest connection was still served after a new client took its slot")
	}
	heartbeat(t, older)
	heartbeat(t, busy)
	want := server.Stats{Clients: 2, Refused: 1, ShedQuiet: 1}
	if got := srv.Stats(); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if got := srv.Stats().TurnedAway(); got != 2 {
		t.Errorf("%d connections turned away, want 2: one refused, one shed", got)
	}
}

// TurnedAway counts every way of closing a connection but not the
// connections served.
func TestStatsTurnedAway(t *testing.T) {
	st := server.Stats{Clients: 1000, Refused: 1, ShedUnproven: 20, ShedQuiet: 300, Unauthorized: 4000}
	if got, want := st.TurnedAway(), uint64(4321); got != want {
		t.Errorf("TurnedAway() = %d, want %d", got, want)
	}
}

// arrival is a struct message as a handler saw it: which machine, on
// which connection.
type arrival struct {
	machine string
	conn    uint64
}

// A real client that lost its slot for being idle sends its struct message
// again on its own, at its next heartbeat, and gets a slot back from the
// client that took it, now the quiet one; its transitions follow on that
// connection.
func TestShedIdleClientReconnects(t *testing.T) {
	structs := make(chan arrival, 16)
	txs := make(chan arrival, 16)
	h := server.HandlerFunc(func(p server.Peer, b *dbg.Batch) {
		for _, m := range b.Msgs {
			switch m := m.(type) {
			case *dbg.DbgMsgStruct:
				structs <- arrival{m.MachineID, p.ID}
			case *dbg.DbgMsgTx:
				txs <- arrival{m.MachineID, p.ID}
			}
		}
	})
	srv, err := server.Listen("127.0.0.1:0", h, &server.Opts{MaxClients: 1, ShedQuietAfter: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	next := func(ch <-chan arrival, what string) arrival {
		t.Helper()
		select {
		case a := <-ch:
			return a
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s arrived", what)
			return arrival{}
		}
	}

	idle, idleTracer := newTraced(t, addr, "idle", &dbg.Opts{Heartbeat: 20 * time.Millisecond})
	first := next(structs, "struct message of the idle machine")
	if first.machine != "idle" {
		t.Fatalf("struct message of %q, want the idle machine's", first.machine)
	}
	// the newcomer never comes back by itself: no heartbeat within the test
	_, _ = newTraced(t, addr, "newcomer", &dbg.Opts{Heartbeat: time.Hour})
	if a := next(structs, "struct message of the newcomer"); a.machine != "newcomer" {
		t.Fatalf("struct message of %q, want the newcomer's", a.machine)
	}
	again := next(structs, "struct message of the idle machine, again")
	if again.machine != "idle" || again.conn == first.conn {
		t.Fatalf("struct message of %q on connection %d, want the idle machine's on a new one (not %d)",
			again.machine, again.conn, first.conn)
	}

	idle.Add1("A", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := idleTracer.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if tx := next(txs, "transition"); tx != again {
		t.Errorf("transition of %q on connection %d, want on %d after its struct message", tx.machine, tx.conn, again.conn)
	}
	if got := idleTracer.Dropped(); got != 0 {
		t.Errorf("the idle client dropped %d transitions", got)
	}
	if got := srv.Stats().ShedQuiet; got != 2 {
		t.Errorf("%d quiet connections shed, want 2: the idle client's, then the newcomer's", got)
	}
	select {
	case a := <-structs:
		t.Errorf("struct message of %q on connection %d after the idle client came back", a.machine, a.conn)
	default:
	}
}
