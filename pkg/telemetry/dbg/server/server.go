// Package server receives what [dbg.Tracer] clients send: a net/rpc service
// answering [dbg.ServiceMethod], which passes each batch of messages to a
// [Handler]. The am-dbg debugger is built on it; a custom consumer
// implements Handler:
//
//	srv, err := server.Listen("", server.HandlerFunc(func(p server.Peer, b *dbg.Batch) {
//		for _, m := range b.Msgs {
//			if tx, ok := m.(*dbg.DbgMsgTx); ok {
//				fmt.Println(tx.MachineID, tx.ID, tx.Accepted)
//			}
//		}
//	}), nil)
//
// # Limits
//
// The server expects clients on the same machine, and listens on 127.0.0.1
// unless given another host. A peer can still be broken or hostile, so each
// connection is bounded, and a peer that breaks a rule is disconnected
// without affecting the others:
//   - one gob message (a request header or a whole batch) is at most
//     [Opts.MaxMsgBytes], checked before it is read;
//   - a peer may define at most 256 gob types;
//   - requests are served one at a time, so a peer pipelining many holds
//     one decoded batch, not many;
//   - a connection's first valid batch must arrive within
//     [Opts.FirstBatchTimeout] of connecting, a later request within
//     [Opts.IdleTimeout] of the previous response, and a response must be
//     taken within IdleTimeout too (clients send a heartbeat when idle);
//   - bad framing, a body that does not decode (see dbg's binary
//     encoding), an unknown method, a protocol version outside
//     [dbg.MinProtocolVersion] to [dbg.ProtocolVersion] or a message naming
//     no machine ends the connection;
//   - at most [Opts.MaxClients] connections are served at once. When a new
//     connection arrives at the limit, the oldest connection that has not
//     yet sent a valid batch is closed to make room; when every one has,
//     the new connection is closed instead. Sockets that connect and stay
//     silent therefore cannot lock real clients out: they are shed as new
//     connections arrive, and each goes within FirstBatchTimeout anyway.
//
// Memory per connection is therefore a read buffer, one message of at most
// MaxMsgBytes, and its decoded form, at most [dbg.MaxDecodeFactor] (32)
// times its size plus [dbg.DecodeAllowance] (64 KiB): about 34 MiB in all
// with the 1 MiB default. Lower MaxMsgBytes to
// tighten it; clients must then lower [dbg.Opts.MaxBatchBytes] below it.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Opts configures a [Server]. The zero value gives the defaults.
type Opts struct {
	// MaxMsgBytes bounds one gob message from a peer. Default
	// [dbg.DefaultMaxMsgBytes] (1 MiB), twice what clients batch by
	// default.
	MaxMsgBytes int
	// MaxClients bounds the connections served at once. Default 64.
	MaxClients int
	// IdleTimeout is how long a connection may go without a complete
	// request. Default 1 minute; clients send a heartbeat every 10 s.
	IdleTimeout time.Duration
	// FirstBatchTimeout is how long a new connection has to send its
	// first valid batch; one that does not is closed ([ErrNoBatch]).
	// [dbg.Tracer] connects only when it has something to send, and sends
	// it at once. Default 3 s, capped at IdleTimeout.
	FirstBatchTimeout time.Duration
	// Logger receives connection events: connects and disconnects at
	// debug level, peers disconnected for breaking a rule at warn level.
	// Nil discards them.
	Logger *slog.Logger
}

func (o *Opts) withDefaults() Opts {
	var out Opts
	if o != nil {
		out = *o
	}
	if out.MaxMsgBytes <= 0 {
		out.MaxMsgBytes = dbg.DefaultMaxMsgBytes
	}
	if out.MaxClients <= 0 {
		out.MaxClients = 64
	}
	if out.IdleTimeout <= 0 {
		out.IdleTimeout = time.Minute
	}
	if out.FirstBatchTimeout <= 0 {
		out.FirstBatchTimeout = 3 * time.Second
	}
	out.FirstBatchTimeout = min(out.FirstBatchTimeout, out.IdleTimeout)
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

// Server accepts dbg clients and passes their batches to a [Handler].
type Server struct {
	ln   net.Listener
	h    Handler
	opts Opts
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[*codec]struct{}
	nextID uint64
	closed bool
}

// Listen listens on addr and serves in the background. An empty addr means
// [dbg.DefaultAddr], and an address without a host, like ":7464", listens
// on 127.0.0.1 only; give "0.0.0.0:7464" to accept other hosts. opts may
// be nil.
func Listen(addr string, h Handler, opts *Opts) (*Server, error) {
	addr, err := loopbackByDefault(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dbg server: %w", err)
	}
	return Serve(ln, h, opts), nil
}

// Serve serves on ln in the background until [Server.Close]. opts may be
// nil.
func Serve(ln net.Listener, h Handler, opts *Opts) *Server {
	s := &Server{ln: ln, h: h, opts: opts.withDefaults(), conns: map[*codec]struct{}{}}
	s.wg.Go(s.accept)
	return s
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops listening, disconnects every client and waits for running
// handler calls to return. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()

	err := s.ln.Close()
	for c := range conns {
		// a connection failing to close is gone either way
		_ = c.Close()
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("close dbg server %s: %w", s.ln.Addr(), err)
	}
	return nil
}

func (s *Server) accept() {
	var delay time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return
			}
			// running out of file descriptors passes; retry, slowing down
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.opts.Logger.Warn("dbg server: accept", "err", err, "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.start(conn)
	}
}

// start registers conn and serves it, unless the server is closed or full
// of connections that have all sent a valid batch. At the limit, it sheds
// the oldest connection that has not.
func (s *Server) start(conn net.Conn) {
	c := newCodec(conn, s.opts.MaxMsgBytes, s.opts.IdleTimeout, s.opts.FirstBatchTimeout)
	s.mu.Lock()
	var shed *codec
	if !s.closed && len(s.conns) >= s.opts.MaxClients {
		shed = s.oldestUnprovenLocked()
		// the shed connection's goroutine deletes it too, which is then a
		// no-op; deleting here keeps the count within the limit
		delete(s.conns, shed)
	}
	if s.closed || len(s.conns) >= s.opts.MaxClients {
		s.mu.Unlock()
		s.opts.Logger.Warn("dbg server: refused connection", "peer", conn.RemoteAddr().String(),
			"clients", s.opts.MaxClients)
		_ = c.Close()
		return
	}
	s.nextID++
	c.id = s.nextID
	peer := Peer{ID: s.nextID, Addr: conn.RemoteAddr().String()}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if shed != nil {
		_ = shed.fail(ErrShed)
		_ = shed.Close()
	}

	s.wg.Go(func() {
		serveCodec(c, peer, s.h, s.opts.Logger)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	})
}

// serveCodec serves one connection until it ends, and logs why it ended.
func serveCodec(c *codec, peer Peer, h Handler, log *slog.Logger) {
	log.Debug("dbg server: client connected", "peer", peer.Addr, "conn", peer.ID)
	srv := rpc.NewServer()
	// registration only fails for a receiver without a usable method
	_ = srv.RegisterName("Dbg", &service{peer: peer, h: h, codec: c})
	srv.ServeCodec(c)
	err := c.failure()
	switch {
	case errors.Is(err, ErrShed):
		// many at once under a flood of silent sockets; not worth a warning
		log.Debug("dbg server: client disconnected", "peer", peer.Addr, "conn", peer.ID, "err", err)
		return
	case err != nil && !errors.Is(err, net.ErrClosed):
		log.Warn("dbg server: client disconnected", "peer", peer.Addr, "conn", peer.ID, "err", err)
		return
	}
	log.Debug("dbg server: client disconnected", "peer", peer.Addr, "conn", peer.ID)
}

// oldestUnprovenLocked returns the oldest connection that has not sent a
// valid batch, or nil. A scan is cheap at MaxClients' scale, and only runs
// when the server is full.
func (s *Server) oldestUnprovenLocked() *codec {
	var oldest *codec
	for c := range s.conns {
		if !c.proven.Load() && (oldest == nil || c.id < oldest.id) {
			oldest = c
		}
	}
	return oldest
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// loopbackByDefault fills in the default address, and the loopback host
// when addr has none.
func loopbackByDefault(addr string) (string, error) {
	if addr == "" {
		return dbg.DefaultAddr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("dbg server address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
