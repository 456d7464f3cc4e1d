package dbg_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// fastRetry makes reconnects quick, so the tests need not wait seconds.
func fastRetry(queue int) *dbg.Opts {
	return &dbg.Opts{
		QueueSize:  queue,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
		Heartbeat:  20 * time.Millisecond,
	}
}

// A server started 2 s after the machines: the machines run unhindered
// meanwhile, dropping what does not fit the queue; once the server is up
// the struct messages and the queued transitions flow, and the server
// learns the drop count.
func TestServerStartsLate(t *testing.T) {
	addr := freeAddr(t)
	tracer := dbg.NewTracer(addr, fastRetry(64))
	dropsBefore := drops.Total(drops.Dbg)
	tru := newTruth()
	tr := newTree(t, tracer, tru)

	// two seconds of work with nothing listening: a hook that waited for
	// the server would stall this loop on the first full queue
	deadline := time.Now().Add(2 * time.Second)
	rounds := 0
	for time.Now().Before(deadline) {
		tr.run(10)
		rounds += 10
	}
	total := totalTxs(tru, tr)
	if total < 20*64 {
		t.Fatalf("only %d transitions in 2 s: the machines were held up", total)
	}
	if tracer.Dropped() == 0 {
		t.Fatal("nothing dropped with the queue full and no server")
	}
	if got := drops.Total(drops.Dbg) - dropsBefore; got < tracer.Dropped() {
		t.Errorf("package drops counts %d dbg drops, the tracer %d", got, tracer.Dropped())
	}

	_, col := startServer(t, addr)
	// the backlog goes first; then fresh transitions, fewer than the
	// queue holds, must all arrive
	flush(t, tracer)
	tr.run(1)
	flush(t, tracer)

	for _, m := range []*am.Machine{tr.parent, tr.a, tr.b} {
		checkStructFirst(t, col.all(), m)
		checkOrdered(t, col.txs(m.ID()), tru.get(m.ID()))
	}
	received := len(col.txs("parent")) + len(col.txs("child-a")) + len(col.txs("child-b"))
	total = totalTxs(tru, tr)
	if dropped := tracer.Dropped(); uint64(received)+dropped != uint64(total) {
		t.Errorf("received %d + dropped %d != %d transitions", received, dropped, total)
	}
	// heartbeats carry the count once the transitions stop
	col.waitFor(t, "the drop count", func([]dbg.DbgMsg) bool {
		return col.lastDropped() == tracer.Dropped()
	})
}

// A server killed and restarted mid-run: the client reconnects, sends the
// struct messages again, then the transitions.
func TestServerRestarts(t *testing.T) {
	srv1, col1 := startServer(t, "127.0.0.1:0")
	addr := srv1.Addr().String()
	tracer := dbg.NewTracer(addr, fastRetry(4096))
	tru := newTruth()
	tr := newTree(t, tracer, tru)

	tr.run(50)
	flush(t, tracer)
	if err := srv1.Close(); err != nil {
		t.Fatal(err)
	}
	tr.run(50)
	_, col2 := startServer(t, addr)
	tr.run(50)
	flush(t, tracer)

	for _, m := range []*am.Machine{tr.parent, tr.a, tr.b} {
		id := m.ID()
		checkStructFirst(t, col2.all(), m)
		got := append(col1.txs(id), col2.txs(id)...)
		checkOrdered(t, got, tru.get(id))
		if len(col2.txs(id)) == 0 {
			t.Errorf("%s: nothing delivered after the restart", id)
		}
	}
	received := 0
	for _, col := range []*collector{col1, col2} {
		received += len(col.txs("parent")) + len(col.txs("child-a")) + len(col.txs("child-b"))
	}
	if total, dropped := totalTxs(tru, tr), tracer.Dropped(); uint64(received)+dropped != uint64(total) {
		t.Errorf("received %d + dropped %d != %d transitions", received, dropped, total)
	}
}

// checkOrdered checks that got holds transitions of want, each once, in
// order, ending with the last one.
func checkOrdered(t *testing.T, got []*dbg.DbgMsgTx, want []truthTx) {
	t.Helper()
	if len(got) == 0 {
		t.Fatal("no transitions")
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Fatalf("%s: tx %d arrived after tx %d", got[i].MachineID, got[i].ID, got[i-1].ID)
		}
	}
	last := got[len(got)-1]
	if w := want[len(want)-1]; last.ID != w.tx.ID {
		t.Errorf("%s: last tx %d, want %d", last.MachineID, last.ID, w.tx.ID)
	}
	for _, g := range got {
		if w := want[g.ID-1].after; !slices.Equal(g.Clocks, w) {
			t.Errorf("%s tx %d: clocks %v, want %v", g.MachineID, g.ID, g.Clocks, w)
		}
	}
}

func totalTxs(tru *truth, tr *tree) int {
	return len(tru.get(tr.parent.ID())) + len(tru.get(tr.a.ID())) + len(tru.get(tr.b.ID()))
}

// With no server and every machine disposed, the tracer gives up: what it
// held, dispose messages included, is counted as dropped and its
// goroutine ends.
func TestDisposedWithoutServer(t *testing.T) {
	tracer := dbg.NewTracer(freeAddr(t), fastRetry(64))
	tru := newTruth()
	tr := newTree(t, tracer, tru)
	tr.run(5)
	tr.parent.Dispose()
	<-tr.parent.WhenDisposed()

	waitNoSender(t)
	// every transition, and the three disposals
	if got, want := tracer.Dropped(), uint64(totalTxs(tru, tr)+3); got != want {
		t.Errorf("Dropped() = %d, want all %d messages", got, want)
	}
	if err := tracer.Flush(context.Background()); err != nil {
		t.Errorf("Flush of a stopped tracer: %v", err)
	}
}

// Close with no server gives up when its context ends, detaches from the
// machines and stops the goroutine.
func TestCloseWithoutServer(t *testing.T) {
	tracer := dbg.NewTracer(freeAddr(t), fastRetry(64))
	tr := newTree(t, tracer)
	tr.run(5)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := tracer.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want a deadline error", err)
	}
	for _, m := range []*am.Machine{tr.parent, tr.a, tr.b} {
		for _, bound := range m.Tracers() {
			if bound == am.Tracer(tracer) {
				t.Errorf("%s still has the tracer", m.ID())
			}
		}
	}
	if err := tracer.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	dropped := tracer.Dropped()
	tr.run(5)
	if tracer.Dropped() != dropped {
		t.Error("a closed tracer still counts transitions")
	}
}

// waitNoSender polls until no tracer goroutine runs: the goroutine ends on
// its own, with nothing to wait on.
func waitNoSender(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for senderStacks() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the tracer's goroutine is still running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func senderStacks() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "dbg.(*Tracer).run(")
}

// Close keeps to its context against a server that accepts and reads but
// never answers: the call in progress has a minute-long timeout, and Close
// must not wait for it.
func TestCloseHangingServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	read := make(chan struct{}, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := conn.Read(buf); err != nil {
						return
					}
					select {
					case read <- struct{}{}:
					default:
					}
				}
			}()
		}
	}()
	tracer := dbg.NewTracer(ln.Addr().String(), &dbg.Opts{Timeout: time.Minute})
	tr := newTree(t, tracer)
	tr.run(5)
	// the tracer's call is under way
	<-read
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- tracer.Close(ctx) }()
	select {
	case err := <-closed:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close: %v, want a deadline error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close still waits for the server's answer")
	}
	waitNoSender(t)
}

// A debugger that comes up after the machines learns them in the order
// they were made, parents before their children, whatever order the
// tracer keeps them in.
func TestServerStartsLateMachineOrder(t *testing.T) {
	addr := freeAddr(t)
	tracer := dbg.NewTracer(addr, fastRetry(64))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	root, err := am.New(ctx, am.Schema{"A": {}}, &am.Opts{ID: "root", Tracers: []am.Tracer{tracer}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"root"}
	parent := root
	for i := range 30 {
		id := "m-" + strconv.Itoa(i)
		m, err := am.New(ctx, am.Schema{"A": {}}, &am.Opts{ID: id, Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
		if i%3 == 0 {
			parent = m
		}
	}
	_, col := startServer(t, addr)
	flush(t, tracer)
	var got []string
	for _, msg := range col.all() {
		if st, ok := msg.(*dbg.DbgMsgStruct); ok {
			got = append(got, st.MachineID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("struct messages arrived in the order\n%v\nwant the order the machines were made\n%v", got, want)
	}
}
