package ui

import (
	"net"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// DefaultInboxLimit is how many messages an [Inbox] holds for a UI that
// has not taken them yet.
const DefaultInboxLimit = 200_000

// Inbox passes what the dbg server receives to the UI. The server's
// connections call [Inbox.HandleBatch] concurrently, and must not wait for
// the UI: the inbox only appends and returns, and the UI takes everything
// at once between frames, so a burst of transitions costs one redraw, not
// one per batch.
//
// A UI that stops taking (it is stuck, or the terminal is) would let the
// inbox grow without end; past its limit, it drops new transitions and
// counts them. Struct and dispose messages are always kept: without them,
// the transitions that follow could not be read, and a disposed machine
// would look alive, or crashed.
type Inbox struct {
	limit int
	// ready has a value when there is something to take.
	ready chan struct{}
	done  chan struct{}
	close sync.Once

	mu     sync.Mutex
	events []event
	msgs   int
	lost   uint64
	conns  int
}

// event is a batch received, or a connection that ended.
type event struct {
	src  source
	msgs []dbg.DbgMsg
	// closed is set for a connection that ended; src.conn names it.
	closed bool
}

// NewInbox returns an inbox holding at most limit messages; limit <= 0
// means [DefaultInboxLimit].
func NewInbox(limit int) *Inbox {
	if limit <= 0 {
		limit = DefaultInboxLimit
	}
	return &Inbox{limit: limit, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// HandleBatch implements [server.Handler]: it queues the batch for the UI
// and returns at once.
func (in *Inbox) HandleBatch(p server.Peer, b *dbg.Batch) {
	msgs := b.Msgs
	in.mu.Lock()
	if in.msgs+len(msgs) > in.limit {
		msgs = in.keepLifecycle(msgs)
	}
	in.msgs += len(msgs)
	in.events = append(in.events, event{
		src:  source{conn: p.Addr, client: b.ClientID, dropped: b.Dropped, live: true},
		msgs: msgs,
	})
	in.mu.Unlock()
	in.signal()
}

// keepLifecycle returns the struct and dispose messages of msgs, counting
// the transitions left out as lost. The caller holds mu.
func (in *Inbox) keepLifecycle(msgs []dbg.DbgMsg) []dbg.DbgMsg {
	var kept []dbg.DbgMsg
	for _, m := range msgs {
		if _, ok := m.(*dbg.DbgMsgTx); ok {
			in.lost++
		} else {
			kept = append(kept, m)
		}
	}
	return kept
}

func (in *Inbox) signal() {
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// Close releases a UI waiting on the inbox. It is idempotent, and returns
// nil; it completes the consumer interface of am-dbg's modes.
func (in *Inbox) Close() error {
	in.close.Do(func() { close(in.done) })
	return nil
}

// wait blocks until there is something to take, at least minGap after it
// was called, so the UI redraws at most once per minGap however fast
// messages come. It returns false once the inbox is closed.
func (in *Inbox) wait(minGap time.Duration) bool {
	timer := time.NewTimer(minGap)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-in.done:
		return false
	}
	select {
	case <-in.ready:
		return true
	case <-in.done:
		return false
	}
}

// drain moves everything received so far into s.
func (in *Inbox) drain(s *Store) {
	in.mu.Lock()
	events := in.events
	in.events = nil
	in.msgs = 0
	s.lost = in.lost
	s.conns = in.conns
	in.mu.Unlock()
	for _, e := range events {
		if e.closed {
			s.connClosed(e.src.conn)
			continue
		}
		for _, m := range e.msgs {
			s.add(e.src, m)
		}
	}
}

// Listener wraps ln so that the inbox sees client connections open and
// close: the UI shows how many clients are connected, and marks the
// machines of a client that went away. Serve the dbg server on the
// returned listener.
func (in *Inbox) Listener(ln net.Listener) net.Listener {
	return &listener{Listener: ln, in: in}
}

type listener struct {
	net.Listener
	in *Inbox
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.in.mu.Lock()
	l.in.conns++
	l.in.mu.Unlock()
	l.in.signal()
	return &conn{Conn: c, in: l.in}, nil
}

// conn reports its end to the inbox, once. The server closes a
// connection only after its last batch was handled, so the UI learns of
// the end after the batches.
type conn struct {
	net.Conn
	in   *Inbox
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.in.mu.Lock()
		c.in.conns--
		c.in.events = append(c.in.events, event{src: source{conn: c.RemoteAddr().String()}, closed: true})
		c.in.mu.Unlock()
		c.in.signal()
	})
	return c.Conn.Close()
}
