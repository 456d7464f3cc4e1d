package main

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// collector keeps what a dbg server received.
type collector struct {
	mu      sync.Mutex
	parents map[string]string
	txs     map[string][]*dbg.DbgMsgTx
}

func (c *collector) HandleBatch(_ server.Peer, b *dbg.Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range b.Msgs {
		switch m := m.(type) {
		case *dbg.DbgMsgStruct:
			c.parents[m.MachineID] = m.ParentID
		case *dbg.DbgMsgTx:
			c.txs[m.MachineID] = append(c.txs[m.MachineID], m)
		}
	}
}

// The workflow reaches the debugger named by AM_DBG_ADDR, as a tree of
// machines, with the canceled transitions it promises.
func TestReportsToDebugger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{parents: map[string]string{}, txs: map[string][]*dbg.DbgMsgTx{}}
	srv := server.Serve(ln, c, nil)
	defer srv.Close()
	t.Setenv(dbg.EnvAddr, ln.Addr().String())

	// run returns after the tracer flushed everything
	if err := run(context.Background(), []string{"--orders", "2", "--pace", "0"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, parent := range map[string]string{
		"shop": "", "order-1": "shop", "payment-1": "order-1", "order-2": "shop", "payment-2": "order-2",
	} {
		if got, ok := c.parents[id]; !ok || got != parent {
			t.Errorf("machine %s: parent %q (known %v), want %q", id, got, ok, parent)
		}
	}
	canceled := func(id string) []string {
		var errs []string
		for _, tx := range c.txs[id] {
			if !tx.Accepted {
				errs = append(errs, tx.Err)
			}
		}
		return errs
	}
	if errs := canceled("order-1"); len(errs) != 1 || !strings.Contains(errs[0], "Shipped requires Paid") {
		t.Errorf("order-1 canceled: %q, want the early shipment", errs)
	}
	if errs := canceled("order-2"); len(errs) != 2 || !slices.ContainsFunc(errs, func(e string) bool {
		return strings.Contains(e, "PaidEnter")
	}) {
		t.Errorf("order-2 canceled: %q, want the early shipment and the zero payment", errs)
	}
	last := c.txs["order-1"][len(c.txs["order-1"])-1]
	if !last.Auto || !last.Accepted {
		t.Errorf("order-1's last transition: auto %v, accepted %v; want the auto Delivered", last.Auto, last.Accepted)
	}
}

func TestParseFlags(t *testing.T) {
	if _, err := parseFlags([]string{"--orders", "0"}, io.Discard); err == nil {
		t.Error("--orders 0 accepted")
	}
	o, err := parseFlags(nil, io.Discard)
	if err != nil || o.orders != 3 || o.hold {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}
