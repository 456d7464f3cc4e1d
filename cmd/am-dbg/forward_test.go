package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// downstream is another debugger: a dbg server keeping what it receives.
type downstream struct {
	srv *server.Server
	mu  sync.Mutex
	// msgs are the transition, dispose and struct messages, as
	// "machine kind id" lines, in arrival order.
	msgs    []string
	clients map[string]bool
	changed chan struct{}
}

func startDownstream(t *testing.T) *downstream {
	t.Helper()
	return startDownstreamOpts(t, nil)
}

// startDownstreamOpts is startDownstream with the server's options.
func startDownstreamOpts(t *testing.T, opts *server.Opts) *downstream {
	t.Helper()
	d := &downstream{clients: map[string]bool{}, changed: make(chan struct{}, 1)}
	srv, err := server.Listen("127.0.0.1:0", d, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	d.srv = srv
	return d
}

func (d *downstream) HandleBatch(_ server.Peer, b *dbg.Batch) {
	d.mu.Lock()
	d.clients[b.ClientID] = true
	for _, m := range b.Msgs {
		d.msgs = append(d.msgs, describe(m))
	}
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// describe names a message by machine, kind and transition ID.
func describe(m dbg.DbgMsg) string {
	switch m := m.(type) {
	case *dbg.DbgMsgTx:
		return m.MachineID + " tx " + strconv.FormatUint(m.ID, 10)
	case *dbg.DbgMsgStruct:
		return m.MachineID + " struct"
	case *dbg.DbgMsgDispose:
		return m.MachineID + " dispose"
	}
	return m.MachID() + " other"
}

// waitFor waits until the downstream holds the transitions and disposals
// of want, in order.
func (d *downstream) waitFor(t *testing.T, want []string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		d.mu.Lock()
		got := withoutStructs(d.msgs)
		d.mu.Unlock()
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return
		}
		select {
		case <-d.changed:
		case <-timeout:
			t.Fatalf("%s got:\n%s\nwant:\n%s", d.srv.Addr(), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// withoutStructs drops struct messages, which a relay sends again on every
// new connection.
func withoutStructs(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		if !strings.HasSuffix(m, " struct") {
			out = append(out, m)
		}
	}
	return out
}

// --fwd, given twice, passes everything received on to both debuggers, in
// order, each machine's struct message first.
func TestForward(t *testing.T) {
	a, b := startDownstream(t), startDownstream(t)
	addr := freeAddr(t)
	got := &batchLog{}
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	cfg := config{listen: addr, headless: true, fwd: []string{a.srv.Addr().String(), b.srv.Addr().String()}}
	go func() { done <- run(ctx, cfg, io.Discard, &stderr, got) }()
	session(t, addr)
	// the parent is disposed as session returns; stopping waits for the
	// relays to deliver, the parent's dispose message included
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var want []string
	got.mu.Lock()
	for _, r := range got.records {
		want = append(want, describe(r.Msg))
	}
	got.mu.Unlock()
	want = withoutStructs(want)
	for _, d := range []*downstream{a, b} {
		d.waitFor(t, want)
		d.mu.Lock()
		first := map[string]int{}
		for i, m := range d.msgs {
			machine := strings.Fields(m)[0]
			if _, ok := first[machine]; !ok {
				first[machine] = i
				if !strings.HasSuffix(m, " struct") {
					t.Errorf("%s: the first message of %s is %q, not its struct message", d.srv.Addr(), machine, m)
				}
			}
		}
		for c := range d.clients {
			if !strings.HasPrefix(c, dbg.RelayClientIDPrefix) {
				t.Errorf("%s: client ID %q is not a relay's", d.srv.Addr(), c)
			}
		}
		d.mu.Unlock()
	}
	for _, d := range []*downstream{a, b} {
		line := "to " + d.srv.Addr().String() + ", 0 dropped\n"
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}
}

// A debugger forwarding to one that never answers still receives
// everything, and reports the messages it could not forward on exit.
func TestForwardNeverBlocksReception(t *testing.T) {
	// held open, never read: the client's writes fill the buffers
	silent := e2e.SilentServer(t)
	addr := freeAddr(t)
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	cfg := config{listen: addr, headless: true, fwd: []string{silent}}
	go func() { done <- run(ctx, cfg, io.Discard, &stderr) }()
	// session waits until the debugger has every message
	session(t, addr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "to "+silent) || !strings.Contains(stderr.String(), "not all delivered in time") ||
		strings.Contains(stderr.String(), ", 0 dropped") {
		t.Errorf("stderr does not report the drops:\n%s", stderr.String())
	}
}

// Batches another debugger relayed are not forwarded again, so two
// debuggers forwarding to each other make no loop.
func TestForwardSkipsRelayed(t *testing.T) {
	d := startDownstream(t)
	f := newForwarder([]string{d.srv.Addr().String()}, "", io.Discard)
	msgs := []dbg.DbgMsg{&dbg.DbgMsgDispose{MachineID: "m", Time: time.Unix(1, 0)}}
	f.HandleBatch(server.Peer{}, &dbg.Batch{ClientID: dbg.RelayClientIDPrefix + "x", Msgs: msgs})
	if n := f.sent[0].Load(); n != 0 {
		t.Errorf("forwarded %d relayed messages", n)
	}
	f.HandleBatch(server.Peer{}, &dbg.Batch{ClientID: "client", Msgs: msgs})
	d.waitFor(t, []string{"m dispose"})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A debugger given --token sends it to the debuggers it forwards to, not
// only a token from AM_DBG_TOKEN.
func TestForwardSendsToken(t *testing.T) {
	t.Setenv(dbg.EnvToken, "")
	d := startDownstreamOpts(t, &server.Opts{Token: "s3cret"})
	f := newForwarder([]string{d.srv.Addr().String()}, "s3cret", io.Discard)
	msgs := []dbg.DbgMsg{&dbg.DbgMsgDispose{MachineID: "m", Time: time.Unix(1, 0)}}
	f.HandleBatch(server.Peer{}, &dbg.Batch{ClientID: "client", Msgs: msgs})
	d.waitFor(t, []string{"m dispose"})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if s := d.srv.Stats(); s.Unauthorized != 0 {
		t.Errorf("the downstream refused %d connections for their token", s.Unauthorized)
	}
}
