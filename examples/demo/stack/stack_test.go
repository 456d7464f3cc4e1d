package main

import (
	"context"
	"errors"
	"testing"
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
