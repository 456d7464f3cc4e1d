package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/ui"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// consumer is one mode of the debugger: it receives every batch the server
// accepts, from concurrent connections, and is closed once the server has
// stopped. The printer, the recorder and the UI's inbox are consumers.
type consumer interface {
	server.Handler
	Close() error
}

// run runs what cfg asks for until ctx ends, or the user quits the UI (a
// headless recording import ends by itself). extra consumers receive the
// messages too.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer, extra ...consumer) error {
	if cfg.importFile != "" {
		return runImport(ctx, cfg, stdout, stderr)
	}
	var held *heldWriter
	if !cfg.headless {
		// anything written to the terminal would scribble over the UI:
		// hold it until the UI is gone
		held = &heldWriter{}
		defer held.release(stderr)
		stderr = held
	}
	consumers := slices.Clone(extra)
	if cfg.print {
		consumers = append(consumers, newPrinter(stdout))
	}
	var diag *diagrammer
	if cfg.diagrams {
		var err error
		if diag, err = newDiagrammer(cfg.dir); err != nil {
			return err
		}
		consumers = append(consumers, diag)
	}
	var rec *recorder
	if cfg.record != "" {
		var err error
		if rec, err = newRecorder(cfg.record, stderr); err != nil {
			return err
		}
		consumers = append(consumers, rec)
	}
	if len(cfg.fwd) > 0 {
		consumers = append(consumers, newForwarder(cfg.fwd, cfg.token, stderr))
	}
	err := serve(ctx, cfg, consumers, stderr)
	for _, c := range consumers {
		err = errors.Join(err, c.Close())
	}
	if rec != nil {
		fmt.Fprintf(stderr, "recorded %d messages to %s\n", rec.count(), cfg.record)
	}
	if diag != nil {
		reportDiagrams(stderr, diag, cfg.dir)
	}
	return err
}

// runImport reads the recording cfg.importFile: headless, it prints a
// summary (and with --print every transition); otherwise it opens the UI
// over it. --diagrams writes the diagrams first, from a pass of its own.
func runImport(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	var diag *diagrammer
	if cfg.diagrams {
		var err error
		if diag, err = newDiagrammer(cfg.dir); err != nil {
			return err
		}
	}
	if cfg.headless && cfg.web == "" {
		err := importRecording(cfg.importFile, cfg.print, stdout, diag)
		if diag != nil {
			err = errors.Join(err, diag.Close())
			reportDiagrams(stderr, diag, cfg.dir)
		}
		return err
	}
	if diag != nil {
		err := errors.Join(importRecording(cfg.importFile, false, io.Discard, diag), diag.Close())
		if err != nil {
			return err
		}
		reportDiagrams(stderr, diag, cfg.dir)
	}
	return viewRecording(ctx, cfg, stderr)
}

// reportDiagrams says where the diagrams went.
func reportDiagrams(w io.Writer, d *diagrammer, dir string) {
	fmt.Fprintf(w, "wrote the diagrams of %s to %s\n", plural(d.count(), "machine"), dir)
}

// serve passes every batch to the consumers until ctx ends or, with the
// UI, until the user quits it.
func serve(ctx context.Context, cfg config, consumers []consumer, stderr io.Writer) error {
	level := slog.LevelDebug
	var inbox *store.Inbox
	if !cfg.headless {
		// the UI shows clients coming and going; keep only the warnings
		level = slog.LevelWarn
	}
	if !cfg.headless || cfg.web != "" {
		inbox = store.NewInbox(&store.InboxOptions{MaxBytes: cfg.maxMem / 4})
		consumers = append(consumers, inbox)
	}
	handlers := make([]server.Handler, len(consumers))
	for i, c := range consumers {
		handlers[i] = c
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ln, err := listen(cfg.listen)
	if err != nil {
		return err
	}
	if inbox != nil {
		ln = inbox.Listener(ln)
	}
	srv := server.Serve(ln, server.Multi(handlers...), &server.Opts{
		Logger: log, Token: cfg.token, MaxClients: cfg.maxClients, ShedQuietAfter: cfg.shedQuiet,
	})
	log.Info("am-dbg: listening", "addr", srv.Addr().String())
	if inbox == nil {
		<-ctx.Done()
		return srv.Close()
	}
	data := store.New(&store.Options{HistoryLimit: cfg.history, MaxBytes: cfg.maxMem})
	pumped := make(chan struct{})
	gap := ui.FrameGap
	if cfg.headless {
		gap = headlessPumpGap
	}
	go func() {
		defer close(pumped)
		data.Pump(inbox, gap)
	}()
	// what the server turned away, which only its log tells otherwise
	turnedAway := func() uint64 { return srv.Stats().TurnedAway() }
	insp, err := startWeb(ctx, cfg, data, "listening "+srv.Addr().String(), turnedAway, stderr)
	if err != nil {
		err = errors.Join(err, srv.Close(), inbox.Close())
		<-pumped
		return err
	}
	if cfg.headless {
		<-ctx.Done()
	} else {
		view := ui.New(data, &ui.Options{
			Source: srv.Addr().String() + insp.about(), Live: true, RecordTo: cfg.record, Dir: cfg.dir,
			TurnedAway: turnedAway,
		})
		err = ui.Run(ctx, view)
	}
	err = errors.Join(err, insp.Close(), srv.Close(), inbox.Close())
	<-pumped
	return err
}

// loopbackByDefault fills in dbg.DefaultAddr for an empty addr, and
// 127.0.0.1 for an address without a host.
func loopbackByDefault(addr string) (string, error) {
	if addr == "" {
		return dbg.DefaultAddr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// listen listens on addr, on 127.0.0.1 when addr names no host, like
// server.Listen: a debugger expects clients on the same machine.
func listen(addr string) (net.Listener, error) {
	addr, err := loopbackByDefault(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("am-dbg: %w", err)
	}
	return ln, nil
}
