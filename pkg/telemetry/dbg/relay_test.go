package dbg_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// relayed makes the messages of n transitions of machine id, struct
// message first, dispose message last.
func relayed(id string, n int) []dbg.DbgMsg {
	msgs := []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: id, StateNames: am.S{am.Exception, "A"}, Clocks: am.Time{0, 0}}}
	for i := range n {
		msgs = append(msgs, &dbg.DbgMsgTx{MachineID: id, ID: uint64(i + 1), Clocks: am.Time{0, uint64(i + 1)},
			Called: []int{1}, Accepted: true, Start: time.Unix(int64(i+1), 0), End: time.Unix(int64(i+1), 1)})
	}
	msgs = append(msgs, &dbg.DbgMsgHandlerTimeout{MachineID: id, TxID: uint64(n), Handler: "AState", Elapsed: time.Second, Time: time.Unix(9, 0)})
	return append(msgs, &dbg.DbgMsgDispose{MachineID: id, Time: time.Unix(10, 0)})
}

// A relay delivers what it is given, in order, each machine's struct
// message first, and keeps running with no machine left.
func TestRelay(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	r := dbg.NewRelay(srv.Addr().String(), nil)
	defer r.Close(context.Background())
	var want []dbg.DbgMsg
	for i := range 3 {
		msgs := relayed(fmt.Sprint("m", i), 50)
		want = append(want, msgs...)
		// as a debugger's batches come: a few messages at a time
		for len(msgs) > 0 {
			k := min(7, len(msgs))
			r.Send(msgs[:k]...)
			msgs = msgs[k:]
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := col.all()
	if len(got) != len(want) {
		t.Fatalf("server got %d messages, want the %d sent", len(got), len(want))
	}
	// the order holds per machine: a struct message is sent when its
	// machine is first seen, which may be ahead of another machine's
	// messages still queued
	for i := range 3 {
		id := fmt.Sprint("m", i)
		of := func(msgs []dbg.DbgMsg) []dbg.DbgMsg {
			return slices.DeleteFunc(slices.Clone(msgs), func(m dbg.DbgMsg) bool { return m.MachID() != id })
		}
		if g, w := of(got), of(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: got %+v, want %+v", id, g, w)
		}
	}
	// every machine is disposed, yet the relay still sends
	late := relayed("late", 1)
	r.Send(late...)
	col.waitFor(t, "the late machine", func(msgs []dbg.DbgMsg) bool { return len(msgs) == len(want)+len(late) })
	if r.Dropped() != 0 {
		t.Errorf("dropped %d", r.Dropped())
	}
}

// A relay started before its server sends every held struct message once
// the server is up, then what it queued meanwhile.
func TestRelayServerStartsLate(t *testing.T) {
	addr := freeAddr(t)
	r := dbg.NewRelay(addr, fastRetry(256))
	defer r.Close(context.Background())
	msgs := relayed("m", 20)
	r.Send(msgs[:len(msgs)-2]...) // not disposed
	_, col := startServer(t, addr)
	col.waitFor(t, "the queued transitions", func(got []dbg.DbgMsg) bool { return len(got) >= len(msgs)-2 })
	got := col.all()
	if st, ok := got[0].(*dbg.DbgMsgStruct); !ok || st.MachineID != "m" {
		t.Fatalf("first message %T, want m's struct message", got[0])
	}
	if tx, ok := got[len(got)-1].(*dbg.DbgMsgTx); !ok || tx.ID != 20 {
		t.Errorf("last message %+v, want transition 20", got[len(got)-1])
	}
}

// Against a server that never answers, Send still returns at once,
// dropping what the queue cannot hold, and Close keeps to its context.
func TestRelayNeverBlocks(t *testing.T) {
	// held open, never read: the client's writes fill the buffers
	silent := e2e.SilentServer(t)
	r := dbg.NewRelay(silent, &dbg.Opts{QueueSize: 16, Timeout: time.Minute})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 100 {
			r.Send(relayed("m", 100)...)
		}
	}()
	select {
	case <-sent:
	case <-time.After(30 * time.Second):
		t.Fatal("Send blocked on a server that does not answer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want a deadline error", err)
	}
	// 100 x 102 messages other than struct messages, 16 queued at most
	if d := r.Dropped(); d < 100*102-16-512 {
		t.Errorf("dropped %d of %d", d, 100*102)
	}
}

// A relay whose server does not keep up holds at most
// RelayMaxQueueBytes of messages, dropping the rest, however few they are.
func TestRelayQueueBytes(t *testing.T) {
	// held open, never read: the client's writes fill the buffers
	silent := e2e.SilentServer(t)
	r := dbg.NewRelay(silent, &dbg.Opts{Timeout: time.Minute})
	big := strings.Repeat("x", 1<<20)
	const n = 200
	for i := range n {
		r.Send(&dbg.DbgMsgTx{MachineID: "m", ID: uint64(i + 1), Err: big})
	}
	// each message costs over 1 MiB, so at most 64 are held
	if d, most := r.Dropped(), uint64(dbg.RelayMaxQueueBytes>>20); d < n-most {
		t.Errorf("dropped %d of %d messages of 1 MiB, want all but at most %d", d, n, most)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v", err)
	}
	if d := r.Dropped(); d != n {
		t.Errorf("after Close, dropped %d of %d", d, n)
	}
}
