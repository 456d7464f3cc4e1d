package server_test

import (
	"context"
	"net"
	"net/rpc"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// heartbeat sends one empty batch, the smallest valid one.
func heartbeat(t *testing.T, c *rpc.Client) {
	t.Helper()
	if err := c.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{}); err != nil {
		t.Fatal(err)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// flush makes n transitions, n even, of a good client and waits until the server
// has them.
func (g *goodClient) flush(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if i%2 == 0 {
			g.mach.Add1("A", nil)
		} else {
			g.mach.Remove1("A", nil)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.tracer.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// The attack of the issue: sockets that connect and send nothing, far more
// than MaxClients, held open. A client that was connected before keeps
// delivering, and one that connects during the flood gets through. The
// first-batch deadline is set high, so shedding alone must do it.
func TestIdleSocketsCannotLockOut(t *testing.T) {
	col := &counter{}
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{FirstBatchTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	early := newGoodClient(t, addr)
	early.flush(t, 10)

	const idle = 500
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	late := newGoodClient(t, addr)
	late.flush(t, 100)
	early.flush(t, 100)
	if got, want := col.count(), 210; got != want {
		t.Errorf("good clients delivered %d transitions with %d idle sockets open, want %d", got, idle, want)
	}
	if got, want := late.tracer.Dropped()+early.tracer.Dropped(), uint64(0); got != want {
		t.Errorf("good clients dropped %d transitions", got)
	}
}

// heartbeater is a peer that speaks the protocol and sends nothing but
// heartbeats, one every 20 ms, reconnecting when it loses its connection,
// until stop is closed: the attack of TestHeartbeatPeersCannotLockOut. c
// may be a connection it already holds.
func heartbeater(addr string, c *rpc.Client, stop <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c == nil {
			if conn, err := net.Dial("tcp", addr); err == nil {
				c = rpc.NewClient(conn)
			}
		}
		if c != nil && c.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{}) != nil {
			c.Close()
			c = nil
		}
		select {
		case <-stop:
			if c != nil {
				c.Close()
			}
			return
		case <-tick.C:
		}
	}
}

// Peers that prove themselves with a valid batch and then only send
// heartbeats take every slot, and more of them keep trying to get in. A
// real client connecting during the attack gets in once they have been
// quiet for ShedQuietAfter, and delivers all its transitions; the peers
// that lost their slots cannot take one back with heartbeats.
func TestHeartbeatPeersCannotLockOut(t *testing.T) {
	col := &counter{}
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{ShedQuietAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()

	const slots, more = 64, 16
	held := make([]*rpc.Client, slots)
	for i := range held {
		held[i] = rpc.NewClient(dial(t, addr))
		heartbeat(t, held[i])
	}
	if got := srv.Stats().Clients; got != slots {
		t.Fatalf("%d clients after %d peers proved themselves, want %d", got, slots, slots)
	}
	stop := make(chan struct{})
	var peers sync.WaitGroup
	defer func() {
		close(stop)
		peers.Wait()
	}()
	for _, c := range held {
		peers.Go(func() { heartbeater(addr, c, stop) })
	}
	for range more {
		peers.Go(func() { heartbeater(addr, nil, stop) })
	}

	good := newGoodClient(t, addr)
	// the machine's struct message arrives once the client has a slot
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := good.tracer.Flush(ctx); err != nil {
		t.Fatalf("the real client got no slot from %d heartbeat peers: %v", slots+more, err)
	}
	good.flush(t, 100)
	if got, want := col.count(), 100; got != want {
		t.Errorf("the real client delivered %d transitions among heartbeat peers, want %d", got, want)
	}
	if got := good.tracer.Dropped(); got != 0 {
		t.Errorf("the real client dropped %d transitions", got)
	}
	st := srv.Stats()
	if st.ShedQuiet != 1 {
		t.Errorf("%d quiet connections shed, want 1: the real client's", st.ShedQuiet)
	}
	if st.Clients > slots+8 {
		t.Errorf("%d clients served, want at most %d and 8 on trial", st.Clients, slots)
	}
}

// A connection that sends no valid batch within FirstBatchTimeout is
// closed, long before the idle timeout; one that did is not.
func TestFirstBatchTimeout(t *testing.T) {
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}),
		&server.Opts{FirstBatchTimeout: 100 * time.Millisecond, IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()

	silent := dial(t, addr)
	// half a request header still counts as nothing
	if _, err := silent.Write([]byte{0x40}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, silent)

	c := rpc.NewClient(dial(t, addr))
	defer c.Close()
	heartbeat(t, c)
	// time passing is the point here: past the first-batch deadline, the
	// proven connection is still served
	time.Sleep(300 * time.Millisecond)
	heartbeat(t, c)
}

// At the limit, a new connection displaces the oldest one that has not
// sent a valid batch; connections that have are never displaced, so when
// every slot holds one, the new connection is refused.
func TestFullServerShedsUnprovenFirst(t *testing.T) {
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}),
		&server.Opts{MaxClients: 3, FirstBatchTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()

	proven := rpc.NewClient(dial(t, addr))
	defer proven.Close()
	heartbeat(t, proven)
	older, newer := dial(t, addr), dial(t, addr)
	// an rpc round trip on a third connection orders the server's accepts:
	// older and newer were accepted before it
	second := rpc.NewClient(dial(t, addr))
	defer second.Close()
	heartbeat(t, second)
	// second took the slot of older, the oldest unproven connection
	waitClosed(t, older)

	// full of two proven connections and newer: the next one sheds newer
	third := dial(t, addr)
	waitClosed(t, newer)
	heartbeat(t, proven)
	heartbeat(t, second)

	c := rpc.NewClient(third)
	heartbeat(t, c)
	// now all three have proven themselves: a fourth is refused
	refused := dial(t, addr)
	waitClosed(t, refused)
	heartbeat(t, proven)
	heartbeat(t, second)
	heartbeat(t, c)
}

// A handler that calls runtime.Goexit ends the call without an answer; the
// peer is disconnected instead of waiting forever, like after a panic.
func TestHandlerGoexitDisconnectsPeer(t *testing.T) {
	col := &counter{}
	h := server.HandlerFunc(func(p server.Peer, b *dbg.Batch) {
		if b.ClientID == "exit" {
			runtime.Goexit()
		}
		col.HandleBatch(p, b)
	})
	srv, err := server.Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	good := newGoodClient(t, srv.Addr().String())
	good.roundTrip(t)

	conn := dial(t, srv.Addr().String())
	c := rpc.NewClient(conn)
	defer c.Close()
	call := c.Go(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion, ClientID: "exit"}, &dbg.Ack{}, nil)
	select {
	case <-call.Done:
		if call.Error == nil {
			t.Fatal("the call succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call still waits for an answer: the connection was left open")
	}
	waitClosed(t, conn)
	good.roundTrip(t)
	if got := col.count(); got != 4 {
		t.Errorf("good client delivered %d transitions, want 4", got)
	}
}
