package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// consumer is one mode of the debugger: it receives every batch the server
// accepts, from concurrent connections, and is closed once the server has
// stopped. The printer and the recorder are consumers; an interactive view
// plugs in the same way.
type consumer interface {
	server.Handler
	Close() error
}

// run runs what cfg asks for until ctx ends (a recording import ends by
// itself). extra consumers receive the messages too.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer, extra ...consumer) error {
	if cfg.importFile != "" {
		return importRecording(cfg.importFile, cfg.print, stdout)
	}
	consumers := slices.Clone(extra)
	if cfg.print {
		consumers = append(consumers, newPrinter(stdout))
	}
	var rec *recorder
	if cfg.record != "" {
		var err error
		if rec, err = newRecorder(cfg.record, stderr); err != nil {
			return err
		}
		consumers = append(consumers, rec)
	}
	err := serve(ctx, cfg.listen, consumers, stderr)
	for _, c := range consumers {
		err = errors.Join(err, c.Close())
	}
	if rec != nil {
		fmt.Fprintf(stderr, "recorded %d messages to %s\n", rec.count(), cfg.record)
	}
	return err
}

// serve passes every batch to the consumers until ctx ends.
func serve(ctx context.Context, addr string, consumers []consumer, stderr io.Writer) error {
	handlers := make([]server.Handler, len(consumers))
	for i, c := range consumers {
		handlers[i] = c
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Listen(addr, server.Multi(handlers...), &server.Opts{Logger: log})
	if err != nil {
		return err
	}
	log.Info("am-dbg: listening", "addr", srv.Addr().String())
	<-ctx.Done()
	return srv.Close()
}
