package dbg

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/rpc"
	"slices"
	"time"
)

// sender is the state of the tracer's goroutine, which batches, encodes and
// sends. Only that goroutine touches it.
type sender struct {
	t      *Tracer
	conn   net.Conn
	client *rpc.Client
	// unwatch cancels closing conn when the tracer stops.
	unwatch func() bool
	// sent holds the struct message last sent per machine on this
	// connection, so each transition is preceded by its schema exactly once.
	sent map[string]*DbgMsgStruct
	// pending are transitions, disposals and handler timeouts taken from
	// the queue and not yet resolved (sent or dropped); resolved counts
	// the resolved ones, for Flush.
	pending  []pending
	resolved uint64
	backoff  time.Duration
	nextDial time.Time
	beat     bool
	idle     *time.Timer
	// buf holds the encoded batch, reused from call to call.
	buf []byte
}

// pending is a message taken from the queue and not yet resolved: an
// encoded transition, or a message that came made, with its machine's
// struct message.
type pending struct {
	// enc and machID are item.enc and item.machID; enc is nil for made.
	enc    *[]byte
	machID string
	made   DbgMsg
	st     *DbgMsgStruct
	size   int
}

// machineID returns the ID of the machine the message is about.
func (p *pending) machineID() string {
	if p.made != nil {
		return p.made.MachID()
	}
	return p.machID
}

// appendTo appends the message to a batch, framed as [AppendMsg] does.
func (p *pending) appendTo(b []byte) []byte {
	if p.made != nil {
		return AppendMsg(b, p.made)
	}
	return append(b, *p.enc...)
}

// run is the sender's loop. It returns when the tracer is closed, or when
// no machine is left and everything queued is resolved.
func (t *Tracer) run() {
	s := &sender{t: t, backoff: t.opts.MinBackoff, idle: time.NewTimer(t.opts.Heartbeat)}
	defer s.idle.Stop()
	defer s.disconnect()
	for {
		if len(s.pending) == 0 && !s.beat && !t.hasWork() {
			if t.exitIfIdle() {
				return
			}
			select {
			case it := <-t.queue:
				s.add(it)
			case <-t.wake:
			case <-s.idle.C:
				s.beat = true
			case <-t.stopped.Done():
				s.abandon()
				t.halt()
				return
			}
		}
		s.drain()
		if !s.deliver() {
			s.abandon()
			t.halt()
			return
		}
		t.releaseFlushers(s.resolved)
	}
}

// add takes a queued item into the batch under way.
func (s *sender) add(it item) {
	s.pending = append(s.pending, pending{enc: it.enc, machID: it.machID, made: it.msg, st: it.st, size: it.size})
}

// drain tops the batch up with what is queued, without waiting.
func (s *sender) drain() {
	for len(s.pending) < s.t.opts.MaxBatch {
		select {
		case it := <-s.t.queue:
			s.add(it)
		default:
			return
		}
	}
}

// deliver connects if needed and sends one batch. It returns false when
// the tracer was closed while it waited to reconnect.
func (s *sender) deliver() bool {
	dirty := s.t.dirtyStates()
	if len(s.pending) == 0 && len(dirty) == 0 && !s.beat {
		return true
	}
	if s.client == nil {
		if !s.connect() {
			return false
		}
		if s.client == nil {
			// abandoned: no machine is left to send for
			return true
		}
		// a new connection gets every struct message again
		dirty = s.t.dirtyStates()
	}

	n := s.build(dirty)
	var ack Ack
	err := s.call(ServiceMethod, encodedBatch(s.buf), &ack)
	switch {
	case err == nil:
		s.resolve(n)
		s.backoff = s.t.opts.MinBackoff
		s.beat = false
		s.idle.Reset(s.t.opts.Heartbeat)
		s.t.clearDirty(s.sent)
	case errors.Is(err, rpc.ErrShutdown):
		// the connection had died before the call: nothing was sent, so
		// the batch is retried on the next connection
		s.fail()
	default:
		// the batch may or may not have arrived; sending it again could
		// duplicate transitions, so it counts as dropped
		s.t.dropped.Add(uint64(n))
		s.resolve(n)
		s.fail()
	}
	return true
}

// build encodes the next batch into buf: pending transitions and
// disposals, each preceded by its struct message when this connection has
// not seen it,
// then the struct messages of machines that changed. It returns how many
// pending transitions the batch holds. A transition too large for any
// batch is dropped here, so it cannot get the client disconnected.
func (s *sender) build(dirty []*machState) int {
	buf := appendBatchHeader(s.buf[:0], ProtocolVersion, s.t.clientID, s.t.dropped.Load())
	limit, maxMsgs := s.t.opts.MaxBatchBytes, s.t.opts.MaxBatch
	n, msgs := 0, 0
	for n < len(s.pending) && msgs+2 <= maxMsgs {
		p := &s.pending[n]
		id := p.machineID()
		mark := len(buf)
		// a relayed message may come without its machine's struct message
		needSt := p.st != nil && s.sent[id] != p.st
		if needSt {
			buf = AppendMsg(buf, p.st)
		}
		buf = p.appendTo(buf)
		if len(buf) > limit {
			buf = buf[:mark]
			if msgs > 0 {
				break
			}
			s.t.queuedBytes.Add(-int64(p.size))
			s.t.release(p.enc)
			s.pending = slices.Delete(s.pending, n, n+1)
			s.resolved++
			s.t.dropped.Add(1)
			continue
		}
		_, disposed := p.made.(*DbgMsgDispose)
		switch {
		case disposed:
			// nothing more of the machine follows; a new machine reusing
			// the ID comes with a struct message of its own
			delete(s.sent, id)
		case needSt:
			s.sent[id] = p.st
		}
		if needSt {
			msgs++
		}
		msgs++
		n++
	}
	for _, ms := range dirty {
		st := ms.st.Load()
		if s.sent[st.MachineID] == st {
			continue
		}
		if msgs >= maxMsgs {
			break
		}
		mark := len(buf)
		buf = AppendMsg(buf, st)
		if len(buf) > limit {
			buf = buf[:mark]
			if msgs > 0 {
				break
			}
			// a schema too large for any batch is never sent; counting it
			// as sent keeps it from being retried forever
			s.sent[st.MachineID] = st
			continue
		}
		s.sent[st.MachineID] = st
		msgs++
	}
	s.buf = buf
	return n
}

// resolve removes the first n pending messages, sent or dropped.
func (s *sender) resolve(n int) {
	for i := range n {
		p := &s.pending[i]
		if p.size > 0 {
			s.t.queuedBytes.Add(-int64(p.size))
		}
		s.t.release(p.enc)
	}
	// Delete zeroes the vacated tail, so resolved transitions are not kept
	// alive by the buffer
	s.pending = slices.Delete(s.pending, 0, n)
	s.resolved += uint64(n)
}

// call calls method, bounded by the timeout. The deadline is lifted
// afterwards, so an idle connection stays open between calls.
func (s *sender) call(method string, args any, ack *Ack) error {
	if err := s.conn.SetDeadline(time.Now().Add(s.t.opts.Timeout)); err != nil {
		return err
	}
	err := s.client.Call(method, args, ack)
	if err == nil {
		err = s.conn.SetDeadline(time.Time{})
	}
	return err
}

// connect dials until it succeeds, waiting with backoff between attempts.
// It gives up on the pending messages when no machine is left to wait
// for (a relay always waits), and returns false when the tracer is closed meanwhile.
func (s *sender) connect() bool {
	for s.client == nil {
		if wait := time.Until(s.nextDial); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-s.t.stopped.Done():
				timer.Stop()
				return false
			}
		}
		d := net.Dialer{Timeout: s.t.opts.Timeout}
		conn, err := d.DialContext(s.t.stopped, "tcp", s.t.addr)
		if err == nil {
			err = s.open(conn)
		}
		if err != nil {
			if s.t.stopped.Err() != nil {
				return false
			}
			s.fail()
			if s.t.liveCount() == 0 && !s.t.persistent {
				s.abandon()
				return true
			}
			continue
		}
		s.t.connected.Store(true)
		s.sent = map[string]*DbgMsgStruct{}
		s.t.markAllDirty()
	}
	return true
}

// open starts an RPC client on a new connection and sends the token, if
// any. A server refusing the token closes the connection, and the caller
// fails it like one that could not be dialed.
func (s *sender) open(conn net.Conn) error {
	s.conn, s.client = conn, rpc.NewClient(conn)
	// a call blocked on a server that never answers ends when the tracer
	// stops, not after the call's timeout
	s.unwatch = context.AfterFunc(s.t.stopped, func() { _ = conn.Close() })
	if s.t.opts.Token == "" {
		return nil
	}
	return s.call(AuthMethod, &Auth{Token: s.t.opts.Token}, &Ack{})
}

// fail drops the connection and schedules the next attempt, with jitter so
// that many processes do not reconnect in step.
func (s *sender) fail() {
	s.disconnect()
	jitter := time.Duration(rand.Int64N(int64(s.backoff)/5 + 1))
	s.nextDial = time.Now().Add(s.backoff + jitter)
	s.backoff = min(2*s.backoff, s.t.opts.MaxBackoff)
}

func (s *sender) disconnect() {
	if s.client != nil {
		s.unwatch()
		// closing reports the error of a connection that already failed
		_ = s.client.Close()
	}
	s.conn, s.client, s.sent, s.unwatch = nil, nil, nil, nil
	s.t.connected.Store(false)
}

// abandon drops everything pending and queued, counting it.
func (s *sender) abandon() {
	n := uint64(len(s.pending))
	s.resolve(len(s.pending))
	for {
		select {
		case it := <-s.t.queue:
			s.t.queuedBytes.Add(-int64(it.size))
			s.t.release(it.enc)
			n++
			s.resolved++
		default:
			s.t.dropped.Add(n)
			s.beat = false
			return
		}
	}
}
