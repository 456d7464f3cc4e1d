package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/web"
)

// headlessPumpGap is how often the store takes what the server received
// when no terminal UI sets the pace: short, so a transition is on the web
// inspector's page within 100 ms of arriving.
const headlessPumpGap = 10 * time.Millisecond

// inspector is the web inspector serving a store while the debugger runs.
type inspector struct {
	srv  *web.Server
	url  string
	done chan error
}

// startWeb serves the web inspector over data on cfg.web, until ctx ends
// or Close; it returns nil without --web. source says where the data
// comes from, and turnedAway, nil for a recording, what the server turned
// away, for the page. It tells on stderr where to open it, never
// with the token.
func startWeb(ctx context.Context, cfg config, data *store.Store, source string, turnedAway func() uint64, stderr io.Writer) (*inspector, error) {
	if cfg.web == "" {
		return nil, nil
	}
	ln, err := web.Listen(cfg.web, cfg.webToken)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := web.New(data, &web.Options{Token: cfg.webToken, Source: source, TurnedAway: turnedAway, Logger: log})
	in := &inspector{srv: srv, url: "http://" + ln.Addr().String() + "/", done: make(chan error, 1)}
	go func() { in.done <- srv.Serve(ctx, ln) }()
	if cfg.webToken != "" {
		fmt.Fprintf(stderr, "am-dbg: web inspector on %s (open it once with ?token=, then the cookie does)\n", in.url)
	} else {
		fmt.Fprintf(stderr, "am-dbg: web inspector on %s\n", in.url)
	}
	return in, nil
}

// about names the inspector's URL for the terminal UI's status bar, or
// returns "" without one.
func (in *inspector) about() string {
	if in == nil {
		return ""
	}
	return " · web " + in.url
}

// Close stops the inspector and waits for it. A nil inspector is fine.
func (in *inspector) Close() error {
	if in == nil {
		return nil
	}
	in.srv.Close()
	return <-in.done
}
