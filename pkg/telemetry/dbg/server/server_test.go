package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// counter counts the transitions of machine "good".
type counter struct {
	mu  sync.Mutex
	txs int
}

func (c *counter) HandleBatch(_ server.Peer, b *dbg.Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range b.Msgs {
		if tx, ok := m.(*dbg.DbgMsgTx); ok && tx.MachineID == "good" {
			c.txs++
		}
	}
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs
}

// goodClient is a machine reporting to addr through a real tracer.
type goodClient struct {
	mach   *am.Machine
	tracer *dbg.Tracer
}

func newGoodClient(t *testing.T, addr string) *goodClient {
	t.Helper()
	// heartbeats keep the connection within the tests' short idle timeout
	mach, tracer := newTraced(t, addr, "good", &dbg.Opts{Heartbeat: 20 * time.Millisecond})
	return &goodClient{mach: mach, tracer: tracer}
}

// newTraced returns machine id with schema {A}, reporting to addr through
// its own tracer with opts.
func newTraced(t *testing.T, addr, id string, opts *dbg.Opts) (*am.Machine, *dbg.Tracer) {
	t.Helper()
	mach, err := am.New(context.Background(), am.Schema{"A": {}}, &am.Opts{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	tracer := dbg.NewTracer(addr, opts)
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	return mach, tracer
}

// roundTrip makes two transitions and waits for the server to have them.
func (g *goodClient) roundTrip(t *testing.T) {
	t.Helper()
	g.mach.Add1("A", nil)
	g.mach.Remove1("A", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.tracer.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitClosed reads from conn until the server closes it.
func waitClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
}

// Broken and hostile peers are disconnected, while a good client on the
// same server keeps delivering.
func TestBadPeersAreDisconnected(t *testing.T) {
	col := &counter{}
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{
		MaxMsgBytes: 64 << 10,
		IdleTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	good := newGoodClient(t, addr)
	good.roundTrip(t)

	raw := map[string][]byte{
		"garbage":           []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"oversized message": {0xFC, 0x7F, 0xFF, 0xFF, 0xFF},
		"truncated message": {0x40, 0x01},
		"nothing (idle)":    nil,
	}
	for name, data := range raw {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(data); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, conn)
			good.roundTrip(t)
		})
	}

	calls := map[string]func(c *rpc.Client) error{
		"wrong protocol version": func(c *rpc.Client) error {
			return c.Call(dbg.ServiceMethod, &dbg.Batch{Version: 99}, &dbg.Ack{})
		},
		"unknown method": func(c *rpc.Client) error {
			return c.Call("Dbg.Delete", &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{})
		},
		"message naming no machine": func(c *rpc.Client) error {
			b := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgTx{ID: 1}}}
			return c.Call(dbg.ServiceMethod, b, &dbg.Ack{})
		},
		"dispose naming no machine": func(c *rpc.Client) error {
			b := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgDispose{Time: time.Now()}}}
			return c.Call(dbg.ServiceMethod, b, &dbg.Ack{})
		},
		"batch over the limit": func(c *rpc.Client) error {
			b := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{
				&dbg.DbgMsgTx{MachineID: "m", Err: strings.Repeat("x", 100<<10)},
			}}
			return c.Call(dbg.ServiceMethod, b, &dbg.Ack{})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c := rpc.NewClient(conn)
			defer c.Close()
			if err := call(c); err == nil {
				t.Fatal("the call succeeded")
			}
			waitClosed(t, conn)
			good.roundTrip(t)
		})
	}

	if got, want := col.count(), 2*(1+len(raw)+len(calls)); got != want {
		t.Errorf("good client delivered %d transitions, want %d", got, want)
	}
}

// A peer pipelining calls is served one call at a time, in order, so it
// holds one decoded batch at a time.
func TestPipelinedCallsAreSerial(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	var mu sync.Mutex
	var order []uint64
	h := server.HandlerFunc(func(_ server.Peer, b *dbg.Batch) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > maxInFlight.Load() {
			maxInFlight.Store(n)
		}
		mu.Lock()
		order = append(order, b.Dropped)
		mu.Unlock()
	})
	srv, err := server.Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := rpc.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const n = 200
	done := make(chan *rpc.Call, n)
	for i := range n {
		// Dropped doubles as a sequence number here
		c.Go(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion, Dropped: uint64(i)}, &dbg.Ack{}, done)
	}
	for range n {
		if call := <-done; call.Error != nil {
			t.Fatal(call.Error)
		}
	}
	if m := maxInFlight.Load(); m != 1 {
		t.Errorf("%d calls of one connection ran at once", m)
	}
	for i, seq := range order {
		if seq != uint64(i) {
			t.Fatalf("call %d handled at position %d", seq, i)
		}
	}
}

// Connections past MaxClients are closed at once; the served ones stay.
func TestMaxClients(t *testing.T) {
	col := &counter{}
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{MaxClients: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	good := newGoodClient(t, srv.Addr().String())
	good.roundTrip(t)

	extra, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	waitClosed(t, extra)
	good.roundTrip(t)
	if got := col.count(); got != 4 {
		t.Errorf("good client delivered %d transitions, want 4", got)
	}
}

func TestListenDefaultsToLoopback(t *testing.T) {
	srv, err := server.Listen(":0", server.HandlerFunc(func(server.Peer, *dbg.Batch) {}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if ip := srv.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Errorf("listening on %v", ip)
	}
}

// Close disconnects clients and waits for a running handler call.
func TestCloseWaitsForHandlers(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	h := server.HandlerFunc(func(server.Peer, *dbg.Batch) {
		close(entered)
		<-release
		finished.Store(true)
	})
	srv, err := server.Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpc.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Go(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{}, nil)
	<-entered
	closed := make(chan error)
	go func() { closed <- srv.Close() }()
	// a negative check needs a time limit: Close must still be waiting
	select {
	case <-closed:
		t.Fatal("Close returned while a handler call ran")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Close returned before the handler call")
	}
}

// A batch that makes the handler panic disconnects its sender only.
func TestHandlerPanicDisconnectsPeer(t *testing.T) {
	col := &counter{}
	h := server.HandlerFunc(func(p server.Peer, b *dbg.Batch) {
		if b.ClientID == "evil" {
			panic("cannot handle this")
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

	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewClient(conn)
	defer c.Close()
	err = c.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion, ClientID: "evil"}, &dbg.Ack{})
	if err == nil || !strings.Contains(err.Error(), "handler panicked: cannot handle this") {
		t.Fatalf("call: %v", err)
	}
	waitClosed(t, conn)
	good.roundTrip(t)
	if got := col.count(); got != 4 {
		t.Errorf("good client delivered %d transitions, want 4", got)
	}
}

// Every message type reaches the handler as the client sent it, over
// net/rpc on TCP, from a current client and from one of the oldest
// version the server accepts.
func TestBatchRoundTrip(t *testing.T) {
	got := make(chan *dbg.Batch, 1)
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(_ server.Peer, b *dbg.Batch) { got <- b }), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := rpc.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{am.Exception, "A"}, Clocks: am.Time{0, 1}}
	tx := &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true,
		Start: time.Unix(1, 0), End: time.Unix(2, 0)}
	for _, sent := range []*dbg.Batch{
		{Version: dbg.ProtocolVersion, ClientID: "new", Dropped: 2, Msgs: []dbg.DbgMsg{
			st, tx, &dbg.DbgMsgDispose{MachineID: "m", Time: time.Unix(3, 0)},
		}},
		{Version: dbg.MinProtocolVersion, ClientID: "old", Msgs: []dbg.DbgMsg{st, tx}},
	} {
		var ack dbg.Ack
		if err := c.Call(dbg.ServiceMethod, sent, &ack); err != nil {
			t.Fatalf("version %d: %v", sent.Version, err)
		}
		if b := <-got; !reflect.DeepEqual(b, sent) || ack.Msgs != len(sent.Msgs) {
			t.Errorf("version %d: handler got %+v, ack %d; sent %+v", sent.Version, b, ack.Msgs, sent)
		}
	}
}
