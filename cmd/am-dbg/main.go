// Command am-dbg is the debugger for amkit machines: it receives what
// pkg/telemetry/dbg sends and shows it in a terminal UI, records it to a
// file, and reads recordings back.
//
// Usage:
//
//	am-dbg [--listen ADDR] [--record FILE] [--history N] [--max-mem SIZE] [--diagrams [--dir DIR]] [--fwd ADDR]...
//	am-dbg --import FILE [--history N] [--max-mem SIZE] [--diagrams [--dir DIR]]
//	am-dbg --headless [--listen ADDR] [--print] [--record FILE] [--diagrams [--dir DIR]] [--fwd ADDR]...
//	am-dbg --headless --import FILE [--print] [--diagrams [--dir DIR]]
//	am-dbg [--headless] [--import FILE] --web ADDR [--web-token TOKEN]
//	am-dbg --version
//
// Machines report to it once bound with dbg.TransitionsToDbg, or with
// dbg.BindEnv and AM_DBG_ADDR=1. With no flags it listens on
// dbg.DefaultAddr and opens the UI: the machine tree, the selected
// machine's states at any point of its history, the transitions with the
// steps that explain them, and the log. --record also writes every message
// to FILE (format: pkg/telemetry/dbg/recording); --import opens the UI
// over a recording. --history bounds the transitions the UI keeps per
// machine, and --max-mem (1GiB by default) the memory of everything it
// keeps: over it, disposed machines, then the oldest transitions, then
// the machines heard of first are evicted, and the UI says how many.
// Press ? in the UI for its keys, q to quit.
//
// --headless runs without the UI: it prints a line per transition, or with
// --record only records, and prints as well with --print, which implies
// --headless. With --import it prints a summary of a recording, and its
// transitions with --print. Ctrl-C stops the server, then flushes and
// closes the recording.
//
// --diagrams writes each machine's schema as Mermaid and Graphviz DOT
// files into --dir (package internal/diagram): after reading an --import,
// or as the debugger exits. --fwd ADDR, repeatable, forwards everything
// received to other am-dbg instances (dbg.Relay), never slowing reception.
//
// --web ADDR (1 means 127.0.0.1:7465) also serves the same store as a
// web page (package internal/web): beside the UI, instead of it with
// --headless, or over a recording with --import. An address beyond
// loopback needs --web-token, which every request must then carry.
//
// The modes are consumers of the server's messages (see run.go): the
// printer, the recorder, the diagram writer, the forwarder and the UI's
// inbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"

	"github.com/amkit-dev/amkit/internal/buildinfo"
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
	if cfg.version {
		fmt.Println(buildinfo.Version("am-dbg"))
		return
	}
	if !cfg.headless && !term.IsTerminal(os.Stdout.Fd()) {
		fmt.Fprintln(os.Stderr, "am-dbg: the UI needs a terminal; use --headless to print or record without one")
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
