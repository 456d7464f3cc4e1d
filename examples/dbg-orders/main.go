// Command dbg-orders runs a small order workflow that reports to am-dbg,
// to try the debugger on:
//
//	am-dbg                                      # in one terminal
//	AM_DBG_ADDR=1 go run ./examples/dbg-orders  # in another
//
// A shop machine takes a few orders. Each order is a submachine of the
// shop, with a payment submachine of its own, so the debugger shows a
// tree three levels deep. Some steps fail on purpose, so there are
// canceled transitions to explain: the courier tries to ship before the
// order is paid (a requirement), and every second order is first paid
// with an amount of zero (refused by a handler).
//
// Flags: --orders N (default 3), --pace D between steps (default 300ms,
// so a person can watch), --hold to keep the machines alive until Ctrl-C,
// --version to print the build's version.
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
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// closeTimeout bounds flushing to the debugger on exit, so a debugger that
// went away cannot hold the program.
const closeTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dbg-orders:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	orders  int
	pace    time.Duration
	hold    bool
	version bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("dbg-orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.orders, "orders", 3, "handle `n` orders")
	fs.DurationVar(&o.pace, "pace", 300*time.Millisecond, "pause between steps")
	fs.BoolVar(&o.hold, "hold", false, "keep the machines alive after the orders, until Ctrl-C")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.version = *version; o.version {
		return o, nil
	}
	if o.orders < 1 {
		return options{}, fmt.Errorf("--orders must be at least 1, got %d", o.orders)
	}
	return o, nil
}

// run handles the orders, then disposes the machines and flushes what
// the debugger has not received yet. Only --version writes to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.version {
		_, err := fmt.Fprintln(stdout, buildinfo.Version("dbg-orders"))
		return err
	}
	s, err := newShop(ctx)
	if err != nil {
		return err
	}
	tracer, err := dbg.BindEnv(s.mach)
	if err != nil {
		return err
	}
	if tracer == nil {
		fmt.Fprintf(stderr, "%s is not set: machines log here; run with %s=1 and am-dbg running\n", dbg.EnvAddr, dbg.EnvAddr)
	} else {
		fmt.Fprintf(stderr, "reporting to am-dbg at %s\n", tracer.Addr())
	}

	err = s.handle(ctx, o)
	if err == nil && o.hold {
		fmt.Fprintln(stderr, "orders handled; holding the machines until Ctrl-C")
		<-ctx.Done()
	}
	s.dispose()
	if tracer != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		err = errors.Join(err, tracer.Close(closeCtx))
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
