package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// DefaultAddr is where the inspector listens when asked with "--web 1".
const DefaultAddr = "127.0.0.1:7465"

// Defaults of [Options].
const (
	// DefaultUpdateGap is the shortest time between two updates a page
	// gets: at most 20 a second, as the terminal UI redraws, however fast
	// transitions come. A page takes 15 to 25 ms to fetch and draw an
	// update, so even a transition that arrives just after one is on
	// screen within 100 ms.
	DefaultUpdateGap = 50 * time.Millisecond
	// DefaultMaxPages is how many pages may follow the store at once.
	DefaultMaxPages = 32
)

//go:embed assets
var assets embed.FS

// Options configure a [Server].
type Options struct {
	// Token, when set, is required on every request (see the package
	// documentation); a server listening beyond loopback needs one.
	Token string
	// Source says where the store's data comes from, for the page's
	// header: the address the debugger listens on, or a recording.
	Source string
	// TurnedAway, when set, counts the connections the debugger's server
	// closed before serving them (refused, shed, a wrong token), for the
	// page's header.
	TurnedAway func() uint64
	// UpdateGap is the shortest time between two updates of one page;
	// <= 0 means [DefaultUpdateGap].
	UpdateGap time.Duration
	// MaxPages bounds the pages following updates at once; <= 0 means
	// [DefaultMaxPages].
	MaxPages int
	// Logger receives the server's errors; nil discards them. Requests are
	// not logged: their URLs may carry the token.
	Logger *slog.Logger
}

// Server is the inspector: an [http.Handler] serving the page, its
// assets, the views it asks for and the updates it follows.
type Server struct {
	store  *store.Store
	source string
	// turnedAway is Options.TurnedAway, or nil
	turnedAway func() uint64
	log        *slog.Logger
	handler    http.Handler
	events     *broker
	layouts    layoutCache
	trees      treeCache

	done      chan struct{}
	closeOnce sync.Once
}

// New returns an inspector over st. opts may be nil.
func New(st *store.Store, opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.UpdateGap <= 0 {
		o.UpdateGap = DefaultUpdateGap
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		store: st, source: o.Source, turnedAway: o.TurnedAway, log: o.Logger,
		layouts: layoutCache{max: 256, items: map[*store.Schema]*layout{}},
		trees:   treeCache{epoch: strconv.FormatInt(time.Now().UnixNano(), 36), items: map[treeKey]*sentTree{}},
		done:    make(chan struct{}),
	}
	s.events = &broker{
		gap: o.UpdateGap, maxPages: o.MaxPages, heartbeat: 15 * time.Second, writeWait: 10 * time.Second,
		done: s.done, pages: map[chan struct{}]struct{}{},
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.FileServerFS(static))
	// one file each, no directory listing
	mux.Handle("GET /static/{file}", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/view", s.serveView)
	mux.Handle("GET /api/events", s.events)
	s.handler = newGuard(o.Token, mux)
	go s.follow()
	return s
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// follow passes the store's change notifications to the pages until the
// server closes.
func (s *Server) follow() {
	for rev := s.store.Revision(); ; rev = s.store.Revision() {
		select {
		case <-s.store.Changed(rev):
			s.events.notify()
		case <-s.done:
			return
		}
	}
}

// serveView answers /api/view?m=ID&at=SEQ&svg=SUM&tree=VERSION&filter=TEXT
// with the view as JSON; with &state=NAME&seek=next (or prev), it shows
// the next (or previous) transition after SEQ touching the state
// instead.
func (s *Server) serveView(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	at := int64(-1)
	if a := q.Get("at"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			http.Error(w, "at: not a transition number", http.StatusBadRequest)
			return
		}
		at = n
	}
	vq := viewQuery{
		mach: q.Get("m"), at: at, svgSum: q.Get("svg"), touching: q.Get("state"),
		tree: q.Get("tree"), filter: strings.TrimSpace(q.Get("filter")),
	}
	switch q.Get("seek") {
	case "next":
		vq.seek = 1
	case "prev":
		vq.seek = -1
	}
	v := s.buildView(vq)
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("am-dbg web: write view", "err", err)
	}
}

// Serve serves the inspector on ln until ctx ends or [Server.Close] is
// called, then shuts down, waiting up to a second for responses in
// progress.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("am-dbg web: %w", err)
	case <-ctx.Done():
	case <-s.done:
	}
	s.Close()
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var err error
	if serr := hs.Shutdown(shutCtx); errors.Is(serr, context.DeadlineExceeded) {
		// a page's request still running at exit is not worth waiting for
		err = hs.Close()
	} else {
		err = serr
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("am-dbg web: %w", err)
	}
	return nil
}

// Close ends the update streams and stops following the store. It is
// idempotent, and returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return nil
}

// ParseAddr reads the --web flag: "1" means [DefaultAddr], and an address
// without a host means 127.0.0.1.
func ParseAddr(flag string) (string, error) {
	if flag == "1" {
		return DefaultAddr, nil
	}
	host, port, err := net.SplitHostPort(flag)
	if err != nil {
		return "", fmt.Errorf("web address %q: %w", flag, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Listen listens on addr for the inspector. Beyond loopback it refuses to
// listen without a token: the page shows everything machines send.
func Listen(addr, token string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("web address %q: %w", addr, err)
	}
	if token == "" && !loopbackHost(host) {
		return nil, fmt.Errorf("web address %q is not loopback: set --web-token to serve beyond this machine", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("am-dbg web: %w", err)
	}
	return ln, nil
}
