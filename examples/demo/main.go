// Command demo runs a download-and-process pipeline of amkit machines, a
// supervisor and its worker submachines, with every amkit exporter wired up.
//
//	go run ./examples/demo                  # until Ctrl-C
//	go run ./examples/demo --duration 30s
//
// Jobs arrive in bursts; the supervisor keeps a backlog, sheds jobs when it
// is full, and hands jobs to idle workers. A worker downloads a file,
// checks it, and processes it. Downloads fail, files come in corrupt, and
// the mirror has outages, so workers retry, some jobs fail, and the
// supervisor degrades and slows down. The machines use relations, the
// queue, auto and multi states, negotiation handlers and typed errors.
//
// With no environment, the demo prints the machines' logs, serves
// Prometheus metrics on 127.0.0.1:9464, and writes its traces to
// amkit-demo-trace.json for Jaeger's UI. Environment variables turn on the
// other exporters: the debugger (AM_DBG_ADDR=1), OpenTelemetry (OTEL_*),
// Loki (AM_LOKI_ADDR) and a Pushgateway (AM_PUSHGATEWAY_URL). At start, it
// prints what is on and where; -help lists every setting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

const (
	// progressEvery is how often the supervisor logs its job counts.
	progressEvery = 5 * time.Second
	// drainTimeout bounds the wait for workers to finish their jobs on
	// exit: a job takes a few seconds at most, retries included.
	drainTimeout = 5 * time.Second
	// closeTimeout bounds flushing the exporters on exit, so that a backend
	// that is down cannot hold the demo.
	closeTimeout = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// a second Ctrl-C kills the demo at once
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run runs the demo until ctx ends or the --duration passes, then drains the
// workers, disposes the machines and flushes the exporters.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 0, "stop after this long (default: run until Ctrl-C)")
	workers := fs.Int("workers", defaultWorkflow().Workers, "number of worker machines")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: demo [--duration d] [--workers n]")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n%s", defaultsEnv)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *workers < 1 {
		return fmt.Errorf("--workers %d: want at least 1", *workers)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}

	opts := defaultWorkflow()
	opts.Workers, opts.LogLevel = *workers, cfg.LogLevel
	if cfg.LogLevel != am.LogLevelNothing {
		opts.LogSink = am.NewTextSink(stdout)
	}
	st := &stats{}
	// not ctx: after Ctrl-C, the machines still drain their work
	sup, err := newSupervisor(context.Background(), opts, st)
	if err != nil {
		return err
	}
	tel, err := bindTelemetry(ctx, cfg, sup.mach)
	if err != nil {
		sup.dispose()
		return err
	}
	until := "until Ctrl-C"
	if *duration > 0 {
		until = "for " + duration.String()
	}
	fmt.Fprintf(stdout, "amkit demo: a supervisor and %d workers download and process files, %s\n", *workers, until)
	tel.print(stdout)
	fmt.Fprintln(stdout)

	started := time.Now()
	sup.mach.Add1("Start", nil)
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	progress := time.NewTicker(progressEvery)
	defer progress.Stop()
	for ctx.Err() == nil && !sup.mach.Is1(am.Exception) {
		select {
		case <-progress.C:
			sup.mach.Log("progress: %s", st)
		case <-sup.mach.WhenErr(ctx):
		case <-ctx.Done():
		}
	}
	runErr := sup.mach.Err()

	sup.mach.Add1("Draining", nil)
	select {
	case <-sup.mach.When1("Drained", nil):
	case <-time.After(drainTimeout):
		fmt.Fprintf(stdout, "workers still busy after %v; stopping them\n", drainTimeout)
	}
	sup.dispose()
	closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	closeErr := tel.close(closeCtx)

	fmt.Fprintf(stdout, "\namkit demo: stopped after %v: %s\n", time.Since(started).Round(time.Millisecond), st)
	if closeErr == nil {
		tel.summary(stdout)
	}
	if runErr != nil {
		return errors.Join(fmt.Errorf("supervisor: %w", runErr), closeErr)
	}
	return closeErr
}
