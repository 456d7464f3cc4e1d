package server

import (
	"fmt"
	"net"
	"time"
)

// maxOnTrial bounds the connections let in beyond MaxClients while every
// slot is taken, each waiting to prove it has machine messages to send
// and so take the slot of a quiet connection. A few let real clients that
// connect at once all get through; more would only add memory.
const maxOnTrial = 8

// Stats counts the connections the server serves now, and those it
// turned away: to stay within [Opts.MaxClients], or for want of
// [Opts.Token].
type Stats struct {
	// Clients is the number of connections served now, including any on
	// trial.
	Clients int
	// Refused counts connections closed because every slot was taken:
	// at once when they connected, or after a first batch that could
	// not take a quiet connection's slot.
	Refused uint64
	// ShedUnproven counts connections closed to make room before they
	// sent a valid batch.
	ShedUnproven uint64
	// ShedQuiet counts connections closed to make room after sending
	// nothing but heartbeats for [Opts.ShedQuietAfter].
	ShedQuiet uint64
	// Unauthorized counts connections closed for sending a wrong token,
	// or a batch before the token ([Opts.Token]).
	Unauthorized uint64
}

// TurnedAway is the number of connections the server closed for want of a
// slot or of the token: the sum of the counters other than Clients.
func (st Stats) TurnedAway() uint64 {
	return st.Refused + st.ShedUnproven + st.ShedQuiet + st.Unauthorized
}

// Stats returns the server's connection counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Clients = len(s.conns)
	return st
}

// start registers conn and serves it, unless the server is closed or full.
// At the limit, it sheds the oldest connection that has not sent a valid
// batch; when every one has, it lets conn in on trial if some connection
// is quiet enough to be shed once conn proves itself ([Server.admit]).
func (s *Server) start(conn net.Conn) {
	c := newCodec(conn, s.opts.MaxMsgBytes, s.opts.IdleTimeout, s.opts.FirstBatchTimeout)
	s.mu.Lock()
	var shed *codec
	admitted := !s.closed
	if admitted && len(s.conns) >= s.opts.MaxClients {
		if shed = s.oldestUnprovenLocked(); shed != nil {
			// the shed connection's goroutine deletes it too, which is
			// then a no-op; deleting here keeps the count within the limit
			delete(s.conns, shed)
			s.stats.ShedUnproven++
		} else {
			onTrial := len(s.conns) - s.opts.MaxClients
			admitted = onTrial < min(maxOnTrial, s.quietCountLocked())
		}
	}
	if !admitted {
		s.stats.Refused++
		s.mu.Unlock()
		s.opts.Logger.Warn("dbg server: refused connection", "peer", conn.RemoteAddr().String(),
			"clients", s.opts.MaxClients)
		_ = c.Close()
		return
	}
	s.nextID++
	peer := Peer{ID: s.nextID, Addr: conn.RemoteAddr().String()}
	c.id, c.remote = peer.ID, peer.Addr
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if shed != nil {
		_ = shed.fail(ErrShed)
		_ = shed.Close()
	}

	s.wg.Go(func() {
		serveCodec(&service{peer: peer, h: s.h, codec: c, srv: s, token: s.token}, s.opts.Logger)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	})
}

// admit proves c on its first valid batch, or returns why it may not
// stay; content tells whether the batch carries machine messages. A
// connection on trial (the server holding more than MaxClients) takes the
// slot of the connection quiet the longest, if its batch carries machine
// messages and one is quiet for ShedQuietAfter; otherwise it is refused
// with [ErrFull]. Connections only go on trial when every other
// connection had proven itself, and trial ones are the first shed, so
// while the server holds more than MaxClients, the connection proving
// itself is on trial.
func (s *Server) admit(c *codec, content bool) error {
	s.mu.Lock()
	if _, ok := s.conns[c]; !ok {
		// shed, or the server closed, while its batch was on the way
		s.mu.Unlock()
		return ErrShed
	}
	var quiet *codec
	var quietFor time.Duration
	if len(s.conns) > s.opts.MaxClients {
		if content {
			quiet, quietFor = s.quietestLocked()
		}
		if quiet == nil {
			delete(s.conns, c)
			s.stats.Refused++
			s.mu.Unlock()
			s.opts.Logger.Warn("dbg server: refused connection", "peer", c.remote,
				"clients", s.opts.MaxClients, "err", ErrFull)
			return ErrFull
		}
		delete(s.conns, quiet)
		s.stats.ShedQuiet++
	}
	c.prove()
	s.mu.Unlock()
	if quiet != nil {
		s.opts.Logger.Warn("dbg server: shed quiet connection", "peer", quiet.remote, "conn", quiet.id,
			"quiet", quietFor.Round(time.Millisecond), "for", c.remote, "clients", s.opts.MaxClients)
		_ = quiet.fail(fmt.Errorf("%w: only heartbeats for %s", ErrShed, quietFor.Round(time.Millisecond)))
		_ = quiet.Close()
	}
	return nil
}

// countUnauthorized counts a connection turned away for its token.
func (s *Server) countUnauthorized() {
	s.mu.Lock()
	s.stats.Unauthorized++
	s.mu.Unlock()
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

// quietestLocked returns the proven connection that has sent nothing but
// heartbeats for the longest, if that is at least ShedQuietAfter, and how
// long.
func (s *Server) quietestLocked() (*codec, time.Duration) {
	var quietest *codec
	var longest time.Duration
	for c := range s.conns {
		if !c.proven.Load() {
			continue
		}
		if q := c.quietFor(); q >= s.opts.ShedQuietAfter && (quietest == nil || q > longest) {
			quietest, longest = c, q
		}
	}
	return quietest, longest
}

// quietCountLocked counts the proven connections that have sent nothing
// but heartbeats for ShedQuietAfter.
func (s *Server) quietCountLocked() int {
	n := 0
	for c := range s.conns {
		if c.proven.Load() && c.quietFor() >= s.opts.ShedQuietAfter {
			n++
		}
	}
	return n
}
