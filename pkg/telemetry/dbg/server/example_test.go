package server_test

import (
	"context"
	"fmt"
	"sync"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// errorCounter is a custom consumer: it counts canceled transitions per
// machine.
type errorCounter struct {
	mu       sync.Mutex
	canceled map[string]int
}

func (c *errorCounter) HandleBatch(_ server.Peer, b *dbg.Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range b.Msgs {
		if tx, ok := m.(*dbg.DbgMsgTx); ok && !tx.Accepted {
			c.canceled[tx.MachineID]++
		}
	}
}

// A custom consumer of dbg messages, served next to (or instead of)
// am-dbg.
func Example() {
	counter := &errorCounter{canceled: map[string]int{}}
	srv, err := server.Listen("127.0.0.1:0", counter, nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	mach, err := am.New(context.Background(), am.Schema{
		"A": {},
		"B": {Require: am.S{"A"}},
	}, &am.Opts{ID: "m1"})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()
	tracer, err := dbg.TransitionsToDbg(mach, srv.Addr().String())
	if err != nil {
		panic(err)
	}
	mach.Add1("B", nil)
	mach.Add1("B", nil)
	mach.Add1("A", nil)
	if err := tracer.Flush(context.Background()); err != nil {
		panic(err)
	}

	counter.mu.Lock()
	defer counter.mu.Unlock()
	fmt.Println(counter.canceled)
	// Output: map[m1:2]
}

// Multi passes every batch to several handlers, as am-dbg does with its
// printer and its recorder.
func ExampleMulti() {
	var structs, txs int
	var mu sync.Mutex
	count := func(_ server.Peer, b *dbg.Batch) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range b.Msgs {
			if _, ok := m.(*dbg.DbgMsgStruct); ok {
				structs++
			}
		}
	}
	countTx := func(_ server.Peer, b *dbg.Batch) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range b.Msgs {
			if _, ok := m.(*dbg.DbgMsgTx); ok {
				txs++
			}
		}
	}
	srv, err := server.Listen("127.0.0.1:0", server.Multi(server.HandlerFunc(count), server.HandlerFunc(countTx)), nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	mach, err := am.New(context.Background(), am.Schema{"A": {}}, nil)
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()
	tracer, err := dbg.TransitionsToDbg(mach, srv.Addr().String())
	if err != nil {
		panic(err)
	}
	mach.Add1("A", nil)
	mach.Remove1("A", nil)
	if err := tracer.Flush(context.Background()); err != nil {
		panic(err)
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Println(structs, txs)
	// Output: 1 2
}
