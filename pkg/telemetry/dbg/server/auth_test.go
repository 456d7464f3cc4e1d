package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/rpc"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// errLog is a slog handler passing on the errors of the records it gets.
type errLog chan error

func (l errLog) Enabled(context.Context, slog.Level) bool { return true }

func (l errLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			select {
			case l <- err:
			default:
			}
		}
		return true
	})
	return nil
}

func (l errLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l errLog) WithGroup(string) slog.Handler      { return l }

// authed returns an RPC client on a new connection that sent token.
func authed(t *testing.T, addr, token string) (*rpc.Client, error) {
	t.Helper()
	c := rpc.NewClient(dial(t, addr))
	t.Cleanup(func() { c.Close() })
	return c, c.Call(dbg.AuthMethod, &dbg.Auth{Token: token}, &dbg.Ack{})
}

// A server with a token serves only connections that send it before
// their first batch; the others are answered with ErrAuth and closed, or,
// silent, closed within FirstBatchTimeout, and no batch of theirs reaches
// the handler.
func TestTokenKeepsPeersOut(t *testing.T) {
	col := &counter{}
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{
		Token: "s3cret", FirstBatchTimeout: 200 * time.Millisecond, IdleTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()
	good := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgTx{MachineID: "good", ID: 1}}}
	isAuth := func(err error) bool { return err != nil && strings.Contains(err.Error(), server.ErrAuth.Error()) }

	c := rpc.NewClient(dial(t, addr))
	defer c.Close()
	if err := c.Call(dbg.ServiceMethod, good, &dbg.Ack{}); !isAuth(err) {
		t.Errorf("a batch without the token: %v, want %v", err, server.ErrAuth)
	}
	if err := c.Call(dbg.AuthMethod, &dbg.Auth{Token: "s3cret"}, &dbg.Ack{}); err == nil {
		t.Error("the connection that sent a batch first was still served")
	}
	for _, wrong := range []string{"", "s3cre", "s3cret!", "S3CRET"} {
		c, err := authed(t, addr, wrong)
		if !isAuth(err) {
			t.Errorf("token %q: %v, want %v", wrong, err, server.ErrAuth)
		}
		if err := c.Call(dbg.ServiceMethod, good, &dbg.Ack{}); err == nil {
			t.Errorf("token %q: the connection was still served", wrong)
		}
	}
	// the token alone proves nothing: a first batch is still due in time
	silent := dial(t, addr)
	if err := rpc.NewClient(silent).Call(dbg.AuthMethod, &dbg.Auth{Token: "s3cret"}, &dbg.Ack{}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, silent)

	right, err := authed(t, addr, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := right.Call(dbg.ServiceMethod, good, &dbg.Ack{}); err != nil {
		t.Fatal(err)
	}
	if got := col.count(); got != 1 {
		t.Errorf("handler got %d transitions, want the one sent with the token", got)
	}
	if got, want := srv.Stats().Unauthorized, uint64(5); got != want {
		t.Errorf("%d connections unauthorized, want %d", got, want)
	}
}

// Real tracers: one with the server's token delivers its transitions, one
// with a wrong token delivers none, and a tracer with a token may report
// to a server that requires none.
func TestTokenWithTracers(t *testing.T) {
	col := &counter{}
	var intruded atomic.Int64
	h := server.Multi(col, server.HandlerFunc(func(_ server.Peer, b *dbg.Batch) {
		for _, m := range b.Msgs {
			if m.MachID() == "intruder" {
				intruded.Add(1)
			}
		}
	}))
	refused := make(errLog, 1)
	srv, err := server.Listen("127.0.0.1:0", h, &server.Opts{Token: "s3cret", Logger: slog.New(refused)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr().String()

	intruder, _ := newTraced(t, addr, "intruder", &dbg.Opts{Token: "guess"})
	intruder.Add1("A", nil)
	select {
	case err := <-refused:
		if !errors.Is(err, server.ErrAuth) {
			t.Fatalf("the server logged %v, want %v", err, server.ErrAuth)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the tracer with a wrong token was not refused")
	}

	mach, tracer := newTraced(t, addr, "good", &dbg.Opts{Token: "s3cret", Heartbeat: 20 * time.Millisecond})
	good := &goodClient{mach: mach, tracer: tracer}
	good.flush(t, 10)
	if got := col.count(); got != 10 {
		t.Errorf("the tracer with the token delivered %d transitions, want 10", got)
	}
	if got := intruded.Load(); got != 0 {
		t.Errorf("handler got %d messages of the machine with a wrong token", got)
	}

	open, err := server.Listen("127.0.0.1:0", col, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	mach, tracer = newTraced(t, open.Addr().String(), "good", &dbg.Opts{Token: "s3cret"})
	good = &goodClient{mach: mach, tracer: tracer}
	good.flush(t, 10)
	if got := col.count(); got != 20 {
		t.Errorf("a tracer with a token delivered %d transitions to a server without one, want 10", got-10)
	}
}
