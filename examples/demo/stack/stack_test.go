package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/internal/e2e"
)

func TestParallelCancelsOthersOnFailure(t *testing.T) {
	boom := errors.New("boom")
	err := parallel(context.Background(),
		func(context.Context) error { return boom },
		func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
		func(context.Context) error { return nil },
	)
	if !errors.Is(err, boom) || errors.Is(err, context.Canceled) {
		t.Errorf("parallel = %v, want only the failure", err)
	}
}

func TestParallelReportsCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := parallel(ctx, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("parallel = %v, want context.Canceled", err)
	}
}

func TestParallelSucceeds(t *testing.T) {
	ran := make(chan int, 2)
	err := parallel(context.Background(),
		func(context.Context) error { ran <- 1; return nil },
		func(context.Context) error { ran <- 2; return nil },
	)
	if err != nil || len(ran) != 2 {
		t.Errorf("parallel = %v after %d of 2 functions", err, len(ran))
	}
}

// A Prometheus of the user's cannot scrape the demo, so the stack refuses
// it at once, naming the variable; other existing backends need no binary.
func TestCheckBackendsExisting(t *testing.T) {
	t.Setenv("AMKIT_E2E_CACHE", t.TempDir()) // no Jaeger or VictoriaLogs binary
	t.Setenv(e2e.EnvJaegerURL, "http://127.0.0.1:16686")
	t.Setenv(e2e.EnvVictoriaLogsURL, "http://127.0.0.1:9428")
	if err := checkBackends(); err != nil && (strings.Contains(err.Error(), "jaeger") || strings.Contains(err.Error(), "victorialogs")) {
		t.Errorf("checkBackends wants binaries of existing backends: %v", err)
	}
	t.Setenv(e2e.EnvPrometheusURL, "http://127.0.0.1:9090")
	if err := checkBackends(); err == nil || !strings.Contains(err.Error(), e2e.EnvPrometheusURL+"=http://127.0.0.1:9090: the stack runs a Prometheus of its own") {
		t.Errorf("checkBackends with an existing Prometheus: %v", err)
	}
}
