// Command am-dbg is the debugger server for amkit machines: it receives
// what pkg/telemetry/dbg sends, prints it, records it to a file and reads
// recordings back.
//
// Usage:
//
//	am-dbg [--listen ADDR] [--print] [--record FILE]
//	am-dbg --import FILE [--print]
//
// Machines report to it once bound with dbg.TransitionsToDbg, or with
// dbg.BindEnv and AM_DBG_ADDR=1. Without --record, it prints a line per
// transition; with --record it writes every message to FILE (format:
// pkg/telemetry/dbg/recording), and prints only with --print as well.
// --import prints a summary of a recording, and its transitions with
// --print. Ctrl-C stops the server, then flushes and closes the recording.
//
// The modes are consumers of the server's messages (see run.go); an
// interactive view plugs in as another consumer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "am-dbg:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// after the first signal, a second one kills at once
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "am-dbg:", err)
		os.Exit(1)
	}
}
