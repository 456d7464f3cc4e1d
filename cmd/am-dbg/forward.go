package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// forwardCloseTimeout bounds how long exiting waits for forwarded
// messages to reach the other debuggers.
const forwardCloseTimeout = 2 * time.Second

// forwarder re-sends every message the debugger receives to other am-dbg
// instances (--fwd), through one dbg.Relay each: reception never waits
// for them, and what a relay cannot keep up with is dropped and counted.
// Batches another debugger relayed are not passed on again, so debuggers
// forwarding to each other make no loop.
type forwarder struct {
	relays []*dbg.Relay
	stderr io.Writer
	// sent counts the messages handed to each relay.
	sent []atomic.Uint64
}

// newForwarder relays to each of addrs, sending token, the one this
// debugger requires (--token or AM_DBG_TOKEN), to each: debuggers that
// forward to each other usually share one.
func newForwarder(addrs []string, token string, stderr io.Writer) *forwarder {
	f := &forwarder{stderr: stderr, sent: make([]atomic.Uint64, len(addrs))}
	for _, addr := range addrs {
		f.relays = append(f.relays, dbg.NewRelay(addr, &dbg.Opts{Token: token}))
	}
	return f
}

// HandleBatch hands the batch's messages to every relay.
func (f *forwarder) HandleBatch(_ server.Peer, b *dbg.Batch) {
	if strings.HasPrefix(b.ClientID, dbg.RelayClientIDPrefix) || len(b.Msgs) == 0 {
		return
	}
	for i, r := range f.relays {
		r.Send(b.Msgs...)
		f.sent[i].Add(uint64(len(b.Msgs)))
	}
}

// Close gives the relays forwardCloseTimeout to deliver what they hold,
// then says what each forwarded and dropped. A debugger that went away is
// no error of this one's: its drops are reported, not returned.
func (f *forwarder) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), forwardCloseTimeout)
	defer cancel()
	for i, r := range f.relays {
		err := r.Close(ctx)
		note := ""
		if err != nil {
			note = " (not all delivered in time)"
		}
		fmt.Fprintf(f.stderr, "forwarded %d messages to %s, %d dropped%s\n", f.sent[i].Load(), r.Addr(), r.Dropped(), note)
	}
	return nil
}

// fwdAddrs collects repeated --fwd flags, filling in 127.0.0.1 for an
// address without a host, as --listen does.
type fwdAddrs []string

func (a *fwdAddrs) String() string { return strings.Join(*a, ",") }

func (a *fwdAddrs) Set(v string) error {
	if v == "" {
		return errors.New("forward address: empty")
	}
	addr, err := loopbackByDefault(v)
	if err != nil {
		return err
	}
	*a = append(*a, addr)
	return nil
}
