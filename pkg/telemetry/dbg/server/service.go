package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync/atomic"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// service is the net/rpc receiver of one connection, registered as "Dbg"
// so that its Send method answers [dbg.ServiceMethod] and Auth
// [dbg.AuthMethod].
type service struct {
	peer  Peer
	h     Handler
	codec *codec
	// srv decides which connections keep their slots, and counts; nil
	// serves every connection as if the server had room.
	srv *Server
	// token is the SHA-256 of the token clients must send before a
	// batch, or nil when none is required; authed is set once the
	// connection sent it.
	token  *[sha256.Size]byte
	authed atomic.Bool
}

// Auth checks a client's token. A wrong one is answered with [ErrAuth],
// and the connection closed after the answer. Hashing both sides first
// makes the comparison take the same time whatever the token's length;
// [subtle.ConstantTimeCompare] alone would tell a peer how long it is.
func (s *service) Auth(a *dbg.Auth, ack *dbg.Ack) error {
	if s.token == nil {
		// a client with a token may talk to a server without one
		return nil
	}
	sum := sha256.Sum256([]byte(a.Token))
	if subtle.ConstantTimeCompare(sum[:], s.token[:]) != 1 {
		return s.unauthorized("wrong token")
	}
	s.authed.Store(true)
	return nil
}

// unauthorized counts a connection ended for its token and returns why.
func (s *service) unauthorized(why string) error {
	if s.srv != nil {
		s.srv.countUnauthorized()
	}
	return s.codec.fail(fmt.Errorf("%w: %s", ErrAuth, why))
}

// Send checks a batch and hands it to the handler. A server with a token
// takes batches only after the connection sent it (see Auth). The first
// valid batch of a connection that came in on trial may get it refused
// instead (see [Server.admit]); a batch with messages, unlike a
// heartbeat, keeps the connection from counting as quiet. A bad batch is
// answered with an error, and the connection is closed after the answer.
// So is a batch that makes the handler panic: net/rpc would let the panic
// end the process, and a peer's input must not. A handler calling
// runtime.Goexit ends the call without an answer, which would leave the
// connection waiting for that answer forever; it is closed instead.
func (s *service) Send(b *dbg.Batch, ack *dbg.Ack) (err error) {
	if s.token != nil && !s.authed.Load() {
		return s.unauthorized("batch before the token")
	}
	if err := check(b); err != nil {
		return s.codec.fail(err)
	}
	content := len(b.Msgs) > 0
	if !s.codec.proven.Load() {
		if s.srv == nil {
			s.codec.prove()
		} else if err := s.srv.admit(s.codec, content); err != nil {
			return s.codec.fail(err)
		}
	}
	if content {
		s.codec.heardFrom()
	}
	returned := false
	defer func() {
		r := recover()
		switch {
		case r != nil:
			err = s.codec.fail(fmt.Errorf("%w: %v", ErrHandlerPanic, r))
		case !returned:
			// nothing to recover, yet HandleBatch did not return: Goexit
			// is unwinding the goroutine, and no response will be written
			_ = s.codec.fail(ErrHandlerExit)
			_ = s.codec.Close()
		}
	}()
	s.h.HandleBatch(s.peer, b)
	returned = true
	ack.Msgs = len(b.Msgs)
	return nil
}

// check validates what the handler is promised about a batch, beyond what
// decoding it ensured (a known protocol version): every message names its
// machine.
func check(b *dbg.Batch) error {
	for i, m := range b.Msgs {
		var id string
		switch m := m.(type) {
		case *dbg.DbgMsgStruct:
			if m != nil {
				id = m.MachineID
			}
		case *dbg.DbgMsgTx:
			if m != nil {
				id = m.MachineID
			}
		case *dbg.DbgMsgDispose:
			if m != nil {
				id = m.MachineID
			}
		case *dbg.DbgMsgHandlerTimeout:
			if m != nil {
				id = m.MachineID
			}
		}
		if id == "" {
			return fmt.Errorf("%w: message %d names no machine", ErrMalformed, i)
		}
	}
	return nil
}
