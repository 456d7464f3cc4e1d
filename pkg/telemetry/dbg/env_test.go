package dbg_test

import (
	"context"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// A program debugged through the environment alone reaches a server that
// requires a token: BindEnv's tracer sends AM_DBG_TOKEN.
func TestBindEnvSendsToken(t *testing.T) {
	col := newCollector()
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv(dbg.EnvAddr, srv.Addr().String())
	t.Setenv(dbg.EnvToken, "s3cret")

	mach, err := am.New(context.Background(), am.Schema{"A": {}}, &am.Opts{ID: "env"})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	tracer, err := dbg.BindEnv(mach)
	if err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tracer.Flush(ctx); err != nil {
		t.Fatalf("with %s set: %v", dbg.EnvToken, err)
	}
	if got := len(col.txs("env")); got != 1 {
		t.Errorf("server got %d transitions, want 1", got)
	}
	if got := srv.Stats().Unauthorized; got != 0 {
		t.Errorf("%d connections unauthorized", got)
	}
}
