// Command stack runs the demo against real observability backends on
// loopback: Jaeger, VictoriaLogs (taking the demo's logs over Loki's push
// API, with its web UI), a Pushgateway, and Prometheus scraping the demo and
// the Pushgateway. They are the binaries and configs that the integration
// tests use (internal/e2e; install them with `make e2e-deps`). It generates
// the Grafana dashboard of the demo with am-gen, and a Grafana provisioning
// directory of it with the stack's datasources, prints where to look and
// how to start a Grafana on it, and stops everything on Ctrl-C.
//
//	make stack
//
// Run it from the repository: it builds the demo and am-gen with the go
// command. Its files (data, logs, the dashboard) live in a temporary
// directory that is removed at exit, unless --dir names one to keep.
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// a second Ctrl-C kills the stack at once; the backends and the demo
	// then die with it (e2e starts them with a parent-death signal)
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

// run starts the stack, waits for ctx to end, the --duration to pass or the
// demo to exit, and stops everything.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("stack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "keep the stack's files in this `directory` (default: a temporary one, removed at exit)")
	duration := fs.Duration("duration", 0, "stop after this long (default: run until Ctrl-C)")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *version {
		_, err := fmt.Fprintln(stdout, buildinfo.Version("stack"))
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkBackends(); err != nil {
		return err
	}

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "amkit-stack-")
		if err != nil {
			return fmt.Errorf("creating the stack dir: %w", err)
		}
		defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
		*dir = tmp
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("creating the stack dir: %w", err)
	}

	started := time.Now()
	fmt.Fprintf(stdout, "amkit stack: starting Jaeger, Loki, a Pushgateway, Prometheus and the demo in %s\n", *dir)
	s, err := start(ctx, *dir, func(format string, args ...any) {
		fmt.Fprintf(stderr, "stack: "+format+"\n", args...)
	})
	if s != nil {
		defer func() {
			fmt.Fprintln(stdout, "amkit stack: stopping")
			err = errors.Join(err, s.close())
		}()
	}
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C while starting
			return nil
		}
		return err
	}
	s.print(stdout, time.Since(started))

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	select {
	case <-ctx.Done():
		return nil
	case <-s.demo.Exited():
		return fmt.Errorf("the demo exited: %v\n--- %s ---\n%s", s.demo.Err(), s.demo.LogPath(), s.demo.LogTail(20))
	}
}
