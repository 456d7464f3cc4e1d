package dbg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// A machine's structure, transitions and disposal sent to a debugger.
// Here the debugger is a server in the same process that prints what
// arrives; in practice it is am-dbg, listening on dbg.DefaultAddr.
func Example() {
	disposed := make(chan struct{})
	srv, err := server.Listen("127.0.0.1:0", server.HandlerFunc(func(_ server.Peer, b *dbg.Batch) {
		for _, m := range b.Msgs {
			switch m := m.(type) {
			case *dbg.DbgMsgStruct:
				fmt.Println("machine", m.MachineID, m.StateNames)
			case *dbg.DbgMsgTx:
				fmt.Println("tx", m.ID, m.Accepted, m.Clocks)
			case *dbg.DbgMsgDispose:
				fmt.Println("disposed", m.MachineID)
				close(disposed)
			}
		}
	}), nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	mach, err := am.New(context.Background(), am.Schema{
		"Connected": {},
		"Ready":     {Require: am.S{"Connected"}},
	}, &am.Opts{ID: "client"})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()
	tracer, err := dbg.TransitionsToDbg(mach, srv.Addr().String())
	if err != nil {
		panic(err)
	}

	mach.Add1("Ready", nil) // canceled: requires Connected
	mach.Add(am.S{"Connected", "Ready"}, nil)
	// wait for the server to have it all, for the output below
	if err := tracer.Flush(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("dropped:", tracer.Dropped())

	// the disposal comes after the machine's last transition; a debugger
	// tells it from a client that went away
	mach.Dispose()
	<-disposed
	// Output:
	// machine client [Exception Connected Ready]
	// tx 1 false [0 0 0]
	// tx 2 true [0 1 1]
	// dropped: 0
	// disposed client
}

// BindEnv binds the debugger only when AM_DBG_ADDR is set, so the same
// program runs with or without it.
func ExampleBindEnv() {
	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, nil)
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()

	os.Unsetenv(dbg.EnvAddr)
	tracer, err := dbg.BindEnv(mach)
	fmt.Println(tracer != nil, err)

	// as in: AM_DBG_ADDR=1 go run ./myprogram
	os.Setenv(dbg.EnvAddr, "1")
	defer os.Unsetenv(dbg.EnvAddr)
	tracer, err = dbg.BindEnv(mach)
	if err != nil {
		panic(err)
	}
	fmt.Println(tracer.Addr())
	// Output:
	// false <nil>
	// 127.0.0.1:7464
}

// A tracer with options, sending to a server that is not there: the
// machine runs on, and what cannot be delivered is counted.
func ExampleNewTracer() {
	tracer := dbg.NewTracer("127.0.0.1:1", &dbg.Opts{QueueSize: 2, MaxBackoff: time.Second})
	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, &am.Opts{
		Tracers: []am.Tracer{tracer},
	})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()
	for range 5 {
		mach.Add1("Ready", nil)
		mach.Remove1("Ready", nil)
	}

	// Close gives up on the queued transitions when its context ends
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = tracer.Close(ctx)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), tracer.Dropped())
	// Output: true 10
}

// The binary encoding, as batches and recordings frame messages.
func ExampleDecodeMsg() {
	data := dbg.AppendMsg(nil, &dbg.DbgMsgTx{MachineID: "m", ID: 7, Clocks: am.Time{0, 1}, Accepted: true})
	msg, n, err := dbg.DecodeMsg(data)
	if err != nil {
		panic(err)
	}
	tx := msg.(*dbg.DbgMsgTx)
	fmt.Println(n == len(data), tx.MachineID, tx.ID, tx.Clocks, tx.Accepted)
	// Output: true m 7 [0 1] true
}
