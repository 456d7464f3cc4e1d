package server

import (
	"fmt"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// service is the net/rpc receiver of one connection, registered as "Dbg"
// so that its Send method answers [dbg.ServiceMethod].
type service struct {
	peer  Peer
	h     Handler
	codec *codec
	admit admitFunc
}

// Send checks a batch and hands it to the handler. The first valid batch
// of a connection that came in on trial may get it refused instead (see
// [Server.admit]); a batch with messages, unlike a heartbeat, keeps the
// connection from counting as quiet. A bad batch is answered
// with an error, and the connection is closed after the answer. So is a
// batch that makes the handler panic: net/rpc would let the panic end the
// process, and a peer's input must not. A handler calling runtime.Goexit
// ends the call without an answer, which would leave the connection
// waiting for that answer forever; it is closed instead.
func (s *service) Send(b *dbg.Batch, ack *dbg.Ack) (err error) {
	if err := check(b); err != nil {
		return s.codec.fail(err)
	}
	content := len(b.Msgs) > 0
	if !s.codec.proven.Load() {
		if s.admit == nil {
			s.codec.prove()
		} else if err := s.admit(s.codec, content); err != nil {
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
