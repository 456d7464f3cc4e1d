package store

import (
	"net"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// DefaultInboxLimit is how many messages an [Inbox] holds for a store
// that has not taken them yet.
const DefaultInboxLimit = 200_000

// InboxOptions configure an [Inbox].
type InboxOptions struct {
	// MaxMsgs is how many messages the inbox holds at most; <= 0 means
	// [DefaultInboxLimit].
	MaxMsgs int
	// MaxBytes is how many bytes of transitions, as the store accounts
	// them, the inbox holds at most; <= 0 means a quarter of
	// [DefaultMaxBytes]. Give it a quarter of the store's budget.
	MaxBytes int64
}

// Inbox passes what the dbg server receives to a store. The server's
// connections call [Inbox.HandleBatch] concurrently, and must not wait
// for the store: the inbox only appends and returns, and the store takes
// everything at once ([Store.Drain], [Store.Pump]), so a burst of
// transitions costs one update of the readers, not one per batch.
//
// A store that stops taking would let the inbox grow without end; past
// its limits, it drops new transitions and counts them. Struct and
// dispose messages are always kept: without them, the transitions that
// follow could not be read, and a disposed machine would look alive, or
// crashed.
type Inbox struct {
	maxMsgs  int
	maxBytes int64
	// ready has a value when there is something to take.
	ready chan struct{}
	done  chan struct{}
	close sync.Once

	mu     sync.Mutex
	events []event
	msgs   int
	bytes  int64
	lost   uint64
	conns  int
}

// event is a batch received, or a connection that ended.
type event struct {
	src  source
	msgs []dbg.DbgMsg
	// sizes are the accounted sizes of msgs' transitions, 0 for other
	// messages.
	sizes []int64
	// closed is set for a connection that ended; src.conn names it.
	closed bool
}

// NewInbox returns an empty inbox. opts may be nil.
func NewInbox(opts *InboxOptions) *Inbox {
	var o InboxOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMsgs <= 0 {
		o.MaxMsgs = DefaultInboxLimit
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes / 4
	}
	return &Inbox{maxMsgs: o.MaxMsgs, maxBytes: o.MaxBytes, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// HandleBatch implements [server.Handler]: it queues the batch for the
// store and returns at once.
func (in *Inbox) HandleBatch(p server.Peer, b *dbg.Batch) {
	// measuring is the connection's work, outside the lock
	sizes := make([]int64, len(b.Msgs))
	var total int64
	for i, m := range b.Msgs {
		if tx, ok := m.(*dbg.DbgMsgTx); ok {
			sizes[i] = txBytes(tx)
			total += sizes[i]
		}
	}
	msgs := b.Msgs
	in.mu.Lock()
	if in.msgs+len(msgs) > in.maxMsgs || in.bytes+total > in.maxBytes {
		msgs, sizes = in.keepLifecycle(msgs, sizes)
		total = 0
	}
	in.msgs += len(msgs)
	in.bytes += total
	in.events = append(in.events, event{
		src:  source{conn: p.Addr, client: b.ClientID, dropped: b.Dropped, live: true},
		msgs: msgs, sizes: sizes,
	})
	in.mu.Unlock()
	in.signal()
}

// keepLifecycle returns the struct and dispose messages of msgs, counting
// the transitions left out as lost. The caller holds mu.
func (in *Inbox) keepLifecycle(msgs []dbg.DbgMsg, sizes []int64) ([]dbg.DbgMsg, []int64) {
	var kept []dbg.DbgMsg
	for _, m := range msgs {
		if _, ok := m.(*dbg.DbgMsgTx); ok {
			in.lost++
		} else {
			kept = append(kept, m)
		}
	}
	return kept, make([]int64, len(kept))
}

func (in *Inbox) signal() {
	select {
	case in.ready <- struct{}{}:
	default:
	}
}

// Close releases a [Store.Pump] waiting on the inbox. It is idempotent,
// and returns nil; it completes the consumer interface of am-dbg's
// modes.
func (in *Inbox) Close() error {
	in.close.Do(func() { close(in.done) })
	return nil
}

// wait blocks until there is something to take, at least minGap after it
// was called, so readers update at most once per minGap however fast
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

// take returns everything received so far, and the counts the store
// shows.
func (in *Inbox) take() (events []event, lost uint64, conns int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	events = in.events
	in.events = nil
	in.msgs, in.bytes = 0, 0
	return events, in.lost, in.conns
}

// Listener wraps ln so that the inbox sees client connections open and
// close: readers show how many clients are connected, and mark the
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
// connection only after its last batch was handled, so the store learns
// of the end after the batches.
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
