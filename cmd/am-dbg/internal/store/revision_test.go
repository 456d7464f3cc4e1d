package store_test

import (
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// Every change of what a tree of machines shows moves TreeRevision (the
// tree's shape) or StatusRevision (a machine's life, whether it is
// stuck), and a transition or a message repeating what the store knows
// moves neither, so a reader can keep the tree it drew.
func TestTreeAndStatusRevisions(t *testing.T) {
	data := store.New(&store.Options{MaxBytes: 4 << 20})
	syn := storetest.New()
	in := store.NewInbox(nil)
	ln := newPipeListener(in)
	c := ln.dial()
	send := func(conn string, msgs ...dbg.DbgMsg) {
		in.HandleBatch(server.Peer{Addr: conn}, &dbg.Batch{ClientID: "c", Msgs: msgs})
		data.Drain(in)
	}
	var d *pipeConn
	revs := func() (uint64, uint64) {
		data.RLock()
		defer data.RUnlock()
		return data.TreeRevision(), data.StatusRevision()
	}
	for _, step := range []struct {
		name         string
		do           func()
		tree, status bool
	}{
		{"a new machine", func() { send(c.addr, syn.Struct("root", "")) }, true, false},
		{"a new child", func() { send(c.addr, syn.Struct("kid", "root")) }, true, false},
		{"its struct again", func() { send(c.addr, syn.Struct("kid", "root")) }, false, false},
		{"a transition", func() { send(c.addr, syn.Tx("kid")) }, false, false},
		{"a parent link changed", func() { send(c.addr, syn.Struct("kid", "")) }, true, false},
		{"a handler stuck", func() {
			send(c.addr, &dbg.DbgMsgHandlerTimeout{MachineID: "kid", TxID: 2, Handler: "H", Elapsed: time.Second})
		}, false, true},
		{"stuck again", func() {
			send(c.addr, &dbg.DbgMsgHandlerTimeout{MachineID: "kid", TxID: 2, Handler: "H", Elapsed: 2 * time.Second})
		}, false, false},
		{"its transition ended", func() { send(c.addr, syn.Tx("kid")) }, false, true},
		{"disposed", func() { send(c.addr, &dbg.DbgMsgDispose{MachineID: "kid"}) }, false, true},
		{"the connection closed: root gone", func() { c.close(); data.Drain(in) }, false, true},
		{"the ID reused", func() { d = ln.dial(); send(d.addr, syn.Struct("kid", "")) }, false, true},
		{"its client crashed", func() { d.close(); data.Drain(in) }, false, true},
		{"a recording's machine", func() { syn.Machine(data, "rec", ""); syn.Machine(data, "old", "") }, true, false},
		{"a disposed machine evicted by the budget", func() {
			syn.Send(data, &dbg.DbgMsgDispose{MachineID: "old"})
			for n := range uint64(6) {
				syn.Send(data, bigTx("rec", n+1))
			}
		}, true, true},
	} {
		tree, status := revs()
		step.do()
		tree2, status2 := revs()
		if (tree2 != tree) != step.tree || (status2 != status) != step.status {
			t.Errorf("%s: tree revision %d to %d, status %d to %d; want a change of the tree %v, of a status %v",
				step.name, tree, tree2, status, status2, step.tree, step.status)
		}
	}
	data.RLock()
	defer data.RUnlock()
	if data.Lookup("old") != nil {
		t.Error("the disposed machine was not evicted")
	}
}
