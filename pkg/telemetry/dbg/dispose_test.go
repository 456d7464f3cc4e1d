package dbg_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// A submachine disposed while its parent runs: its dispose message
// arrives once, after its last transition, and nothing of it follows; the
// other machines get theirs only when they are disposed too.
func TestDisposeMessage(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	tru := newTruth()
	tr := newTree(t, tracer, tru)
	tr.run(20)

	before := time.Now()
	tr.a.Dispose()
	<-tr.a.WhenDisposed()
	after := time.Now()
	// the parent's handler keeps adding to the disposed child, which
	// cancels without a transition
	tr.run(5)
	flush(t, tracer)

	msgs := col.all()
	disposals := disposalsOf(msgs)
	if got := disposals["child-a"]; len(got) != 1 {
		t.Fatalf("child-a: %d dispose messages, want 1", len(got))
	}
	if len(disposals) != 1 {
		t.Errorf("dispose messages for %v, want only child-a", disposals)
	}
	d := disposals["child-a"][0]
	if d.Time.Before(before) || d.Time.After(after) {
		t.Errorf("dispose time %v, not within the Dispose call [%v, %v]", d.Time, before, after)
	}
	last := lastIndex(msgs, "child-a")
	if msgs[last] != dbg.DbgMsg(d) {
		t.Errorf("the last message of child-a is %T, want the dispose message", msgs[last])
	}
	txs := col.txs("child-a")
	want := tru.get("child-a")
	if len(txs) != len(want) || txs[len(txs)-1].ID != want[len(want)-1].tx.ID {
		t.Errorf("child-a: %d transitions arrived, want all %d before its disposal", len(txs), len(want))
	}

	tr.parent.Dispose()
	<-tr.parent.WhenDisposed()
	col.waitFor(t, "the parent and child-b disposed", func(msgs []dbg.DbgMsg) bool {
		d := disposalsOf(msgs)
		return len(d["parent"]) == 1 && len(d["child-b"]) == 1
	})
	waitNoSender(t)
	msgs = col.all()
	if got := disposalsOf(msgs); len(got) != 3 || len(got["child-a"]) != 1 {
		t.Errorf("after disposing the tree: %v, want one per machine", got)
	}
	for _, id := range []string{"parent", "child-a", "child-b"} {
		if _, ok := msgs[lastIndex(msgs, id)].(*dbg.DbgMsgDispose); !ok {
			t.Errorf("the last message of %s is not its dispose message", id)
		}
	}
	if d := tracer.Dropped(); d != 0 {
		t.Errorf("Dropped() = %d, want 0", d)
	}
}

// A machine disposed before the tracer sent anything about it still
// reaches the server: its struct message, then its disposal. The parent
// stays live, so the tracer keeps trying to connect.
func TestDisposeBeforeSent(t *testing.T) {
	addr := freeAddr(t)
	tracer := dbg.NewTracer(addr, fastRetry(64))
	tr := newTree(t, tracer)
	tr.a.Dispose()
	<-tr.a.WhenDisposed()

	_, col := startServer(t, addr)
	col.waitFor(t, "child-a disposed", func(msgs []dbg.DbgMsg) bool {
		return len(disposalsOf(msgs)["child-a"]) > 0
	})
	flush(t, tracer)
	msgs := col.all()
	var got []string
	for _, m := range msgs {
		if m.MachID() == "child-a" {
			got = append(got, fmt.Sprintf("%T", m))
		}
	}
	if want := []string{"*dbg.DbgMsgStruct", "*dbg.DbgMsgDispose"}; !slices.Equal(got, want) {
		t.Errorf("child-a: %v, want %v", got, want)
	}
}

// disposalsOf groups the dispose messages by machine.
func disposalsOf(msgs []dbg.DbgMsg) map[string][]*dbg.DbgMsgDispose {
	out := map[string][]*dbg.DbgMsgDispose{}
	for _, m := range msgs {
		if d, ok := m.(*dbg.DbgMsgDispose); ok {
			out[d.MachineID] = append(out[d.MachineID], d)
		}
	}
	return out
}

// lastIndex returns the index of the last message about the machine.
func lastIndex(msgs []dbg.DbgMsg, id string) int {
	for i, m := range slices.Backward(msgs) {
		if m.MachID() == id {
			return i
		}
	}
	return -1
}
