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
//   - with [Opts.Token], a connection must send the token before its
//     first batch, within FirstBatchTimeout like the batch; a wrong token
//     or a batch first ends the connection;
//   - bad framing, a body that does not decode (see dbg's binary
//     encoding), an unknown method, a protocol version outside
//     [dbg.MinProtocolVersion] to [dbg.ProtocolVersion] or a message naming
//     no machine ends the connection;
//   - at most [Opts.MaxClients] connections hold a slot at once. When a
//     new connection arrives at the limit, the oldest connection that has
//     not yet sent a valid batch is closed to make room. Sockets that
//     connect and stay silent therefore cannot lock real clients out: they
//     are shed as new connections arrive, and each goes within
//     FirstBatchTimeout anyway;
//   - when every slot holds a connection that has sent a valid batch, one
//     that has sent nothing but heartbeats (empty batches) for
//     [Opts.ShedQuietAfter] can still lose its slot: a new connection is
//     then let in on trial, and if its first batch carries machine
//     messages, the connection quiet the longest is closed to make room
//     for it. Otherwise, or when no connection is that quiet, the new
//     connection is closed instead. Peers that speak the protocol and only
//     send heartbeats therefore hold the slots for ShedQuietAfter at most,
//     not forever. [Server.Stats] counts what was refused and shed.
//
// A peer that keeps sending machine messages looks like a busy client and
// keeps its slot; these limits are against broken peers and local ones
// that only hold connections open, not against a peer that floods with
// made-up machines.
//
// Memory per connection is therefore a read buffer, one message of at most
// MaxMsgBytes, and its decoded form, at most [dbg.MaxDecodeFactor] (32)
// times its size plus [dbg.DecodeAllowance] (64 KiB): about 34 MiB in all
// with the 1 MiB default, for each of MaxClients connections and at most
// 8 more on trial. Lower MaxMsgBytes to
// tighten it; clients must then lower [dbg.Opts.MaxBatchBytes] below it.
package server

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Defaults of [Opts] fields left zero.
const (
	// DefaultMaxClients is the default of [Opts.MaxClients].
	DefaultMaxClients = 64
	// DefaultShedQuietAfter is the default of [Opts.ShedQuietAfter].
	DefaultShedQuietAfter = 30 * time.Second
)

// Opts configures a [Server]. The zero value gives the defaults.
type Opts struct {
	// MaxMsgBytes bounds one gob message from a peer. Default
	// [dbg.DefaultMaxMsgBytes] (1 MiB), twice what clients batch by
	// default.
	MaxMsgBytes int
	// MaxClients bounds the connections served at once. Default
	// [DefaultMaxClients], 64.
	MaxClients int
	// IdleTimeout is how long a connection may go without a complete
	// request. Default 1 minute; clients send a heartbeat every 10 s.
	IdleTimeout time.Duration
	// FirstBatchTimeout is how long a new connection has to send its
	// first valid batch; one that does not is closed ([ErrNoBatch]).
	// [dbg.Tracer] connects only when it has something to send, and sends
	// it at once. Default 3 s, capped at IdleTimeout.
	FirstBatchTimeout time.Duration
	// ShedQuietAfter is how long a connection may send nothing but
	// heartbeats (empty batches: no struct message, transition or other
	// machine message, counting from when it connected) before it may
	// lose its slot to a new client, when every slot is taken. Only the
	// connection quiet the longest goes, and only for a new one whose
	// first batch carries machine messages. Default
	// [DefaultShedQuietAfter], 30 s: three of [dbg.Opts.Heartbeat]'s
	// default intervals.
	//
	// It trades how long peers that only send heartbeats can lock new
	// clients out (a new client retries meanwhile, with its transitions
	// queued, up to [dbg.Opts.QueueSize]) against how soon a legitimately
	// idle machine can lose its slot. Losing it costs that machine little:
	// it has nothing queued, and its tracer reconnects at its next
	// heartbeat or transition and sends its struct messages again. Yet a
	// machine that just sent its struct message is never shed before it
	// has been idle this long, and a server that is not full sheds
	// nothing.
	ShedQuietAfter time.Duration
	// Token, when set, is a secret a client must send ([dbg.AuthMethod],
	// [dbg.Opts.Token]) on each connection before its first batch. A
	// connection that sends a batch first, or a wrong token, is answered
	// with [ErrAuth] and closed, and one that sends neither within
	// FirstBatchTimeout is closed as any silent one, so a peer without
	// the token never gets a valid batch in, nor holds a slot longer than
	// that. The comparison takes constant time. It keeps out the local
	// processes that do not know it, such as other users' on a shared
	// machine; it is no encryption: anyone who sees the traffic sees the
	// token. Default none.
	Token string
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
		out.MaxClients = DefaultMaxClients
	}
	if out.IdleTimeout <= 0 {
		out.IdleTimeout = time.Minute
	}
	if out.FirstBatchTimeout <= 0 {
		out.FirstBatchTimeout = 3 * time.Second
	}
	out.FirstBatchTimeout = min(out.FirstBatchTimeout, out.IdleTimeout)
	if out.ShedQuietAfter <= 0 {
		out.ShedQuietAfter = DefaultShedQuietAfter
	}
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

	// token is the SHA-256 of Opts.Token, or nil without one.
	token *[sha256.Size]byte

	mu     sync.Mutex
	conns  map[*codec]struct{}
	nextID uint64
	closed bool
	stats  Stats
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
	if s.opts.Token != "" {
		sum := sha256.Sum256([]byte(s.opts.Token))
		s.token = &sum
	}
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

// serveCodec serves one connection, svc's, until it ends, and logs why it
// ended.
func serveCodec(svc *service, log *slog.Logger) {
	c, peer := svc.codec, svc.peer
	log.Debug("dbg server: client connected", "peer", peer.Addr, "conn", peer.ID)
	srv := rpc.NewServer()
	// registration only fails for a receiver without a usable method
	_ = srv.RegisterName("Dbg", svc)
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
