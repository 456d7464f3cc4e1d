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

	"github.com/amkit-dev/amkit/internal/buildinfo"
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

// flags are the demo's command line.
type flags struct {
	duration time.Duration
	workers  int
	// version prints the build's version instead of running.
	version bool
}

// parseFlags parses args; -help prints the usage and the settings, and
// returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until Ctrl-C)")
	fs.IntVar(&f.workers, "workers", defaultWorkflow().Workers, "run `n` worker machines")
	version := buildinfo.Flag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: demo [--duration d] [--workers n] [--version]")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n%s", defaultsEnv)
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.version = *version; f.version {
		return f, nil
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.workers < 1 {
		return f, fmt.Errorf("--workers %d: want at least 1", f.workers)
	}
	return f, nil
}

// run runs the demo until ctx ends or the --duration passes, then drains the
// workers, disposes the machines and flushes the exporters.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.version {
		_, err := fmt.Fprintln(stdout, buildinfo.Version("demo"))
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}

	opts := defaultWorkflow()
	opts.Workers, opts.LogLevel = f.workers, cfg.LogLevel
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
	if f.duration > 0 {
		until = "for " + f.duration.String()
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	fmt.Fprintf(stdout, "amkit demo: a supervisor and %d workers download and process files, %s\n", f.workers, until)
	tel.print(stdout)
	fmt.Fprintln(stdout)

	started := time.Now()
	sup.mach.Add1("Start", nil)
	runErr := waitForEnd(ctx, sup, st)
	closeErr := stop(sup, tel, stdout)
	fmt.Fprintf(stdout, "\namkit demo: stopped after %v: %s\n", time.Since(started).Round(time.Millisecond), st)
	if closeErr == nil {
		tel.summary(stdout)
	}
	if runErr != nil {
		return errors.Join(fmt.Errorf("supervisor: %w", runErr), closeErr)
	}
	return closeErr
}

// waitForEnd logs progress until ctx ends, or the supervisor fails: the workers
// handle their own errors. It returns the supervisor's error.
func waitForEnd(ctx context.Context, sup *supervisor, st *stats) error {
	progress := time.NewTicker(progressEvery)
	defer progress.Stop()
	failed := sup.mach.WhenErr(ctx)
	for {
		select {
		case <-progress.C:
			sup.mach.Log("progress: %s", st)
		case <-failed:
			return sup.mach.Err()
		case <-ctx.Done():
			return sup.mach.Err()
		}
	}
}

// stop lets the workers finish their jobs, for a while, disposes the
// machines and flushes the exporters.
func stop(sup *supervisor, tel *telemetry, stdout io.Writer) error {
	sup.mach.Add1("Draining", nil)
	select {
	case <-sup.mach.When1("Drained", nil):
	case <-time.After(drainTimeout):
		fmt.Fprintf(stdout, "workers still busy after %v; stopping them\n", drainTimeout)
	}
	sup.dispose()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return tel.close(ctx)
}
