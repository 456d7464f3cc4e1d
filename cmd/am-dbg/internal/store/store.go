package store

import (
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// DefaultHistoryLimit is how many transitions the store keeps per
// machine unless told otherwise.
const DefaultHistoryLimit = 5000

// DefaultMaxBytes is the memory budget unless told otherwise: 1 GiB.
const DefaultMaxBytes = 1 << 30

// Options configure a [Store].
type Options struct {
	// HistoryLimit is how many transitions a machine keeps at most; <= 0
	// means [DefaultHistoryLimit].
	HistoryLimit int
	// MaxBytes is the memory budget over machines, their schemas,
	// transitions and logs, as accounted on arrival; <= 0 means
	// [DefaultMaxBytes].
	MaxBytes int64
}

// Store is what the debugger knows: every machine it heard of, its schema
// versions and its recent transitions, within a memory budget.
//
// One goroutine at a time applies messages ([Store.Pump], [Store.Drain],
// [Store.AddRecord]), under the write lock. Any number of readers read
// under [Store.RLock], and learn of changes with [Store.Revision] and
// [Store.Changed].
type Store struct {
	mu    sync.RWMutex
	limit int
	max   int64

	machs map[string]*Machine
	// order lists the machines as they were first heard of; evicted ones
	// leave nil holes, all of order[:front] are holes.
	order []*Machine
	front int
	holes int
	// deleted counts deletions from machs since it was last rebuilt: Go
	// maps never shrink, so a store that evicted many machines rebuilds
	// it.
	deleted int
	// treeRev changes whenever the machine tree may have changed shape.
	treeRev uint64
	// statusRev changes whenever a machine's Life or whether it is stuck
	// changed.
	statusRev uint64

	treeMu    sync.Mutex
	tree      []TreeRow
	treeBuilt uint64

	// conns is the number of open client connections.
	conns int
	// dropped holds each client's count of transitions it never delivered.
	dropped map[string]uint64
	// lost counts the transitions the inbox dropped.
	lost uint64

	budget

	rev      atomic.Uint64
	notifyMu sync.Mutex
	changed  chan struct{}
}

// New returns an empty store. opts may be nil.
func New(opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.HistoryLimit <= 0 {
		o.HistoryLimit = DefaultHistoryLimit
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	return &Store{limit: o.HistoryLimit, max: o.MaxBytes, machs: map[string]*Machine{}, dropped: map[string]uint64{}}
}

// source says where a message came from.
type source struct {
	// conn identifies the client connection; for a live one, its remote
	// address.
	conn   string
	client string
	// dropped is the client's count of transitions it never delivered.
	dropped uint64
	live    bool
}

// AddRecord adds a message read from a recording. Machines of a recording
// are not live.
func (s *Store) AddRecord(rec *recording.Record) {
	s.mu.Lock()
	s.add(source{conn: rec.ClientID + "/" + strconv.FormatUint(rec.Conn, 10), client: rec.ClientID, dropped: rec.Dropped}, rec.Msg, 0)
	s.mu.Unlock()
	s.bump()
}

// add applies a message; size is its accounted size when the inbox
// already measured it, or 0. The caller holds the write lock.
func (s *Store) add(src source, m dbg.DbgMsg, size int64) {
	if src.client != "" {
		s.dropped[src.client] = max(s.dropped[src.client], src.dropped)
	}
	// a new machine changes the tree's revision; a known one may change
	// its status
	known := s.machs[m.MachID()]
	var was status
	if known != nil {
		was = statusOf(known)
	}
	switch m := m.(type) {
	case *dbg.DbgMsgStruct:
		s.addStruct(src, m)
	case *dbg.DbgMsgTx:
		if size == 0 {
			size = txBytes(m)
		}
		s.addTx(src, m, size)
	case *dbg.DbgMsgHandlerTimeout:
		mach := s.lookup(m.MachineID)
		mach.stuck = &Stuck{Handler: m.Handler, TxID: m.TxID, Elapsed: m.Elapsed, Time: m.Time}
		mach.live, mach.conn = src.live, src.conn
		s.resizeMachine(mach)
	case *dbg.DbgMsgDispose:
		mach := s.lookup(m.MachineID)
		mach.disposed = true
		mach.live, mach.conn = src.live, src.conn
		if !mach.queued {
			// once: a client repeating the message must not grow the queue
			mach.queued = true
			s.disposedQ = append(s.disposedQ, mach)
		}
	}
	if known != nil && statusOf(known) != was {
		s.statusRev++
	}
	s.enforce()
}

// status is what [Store.StatusRevision] follows of one machine.
type status struct {
	life  Life
	stuck bool
}

func statusOf(m *Machine) status { return status{m.Life(), m.stuck != nil} }

// lookup returns the machine with the ID, creating it when new.
func (s *Store) lookup(id string) *Machine {
	m := s.machs[id]
	if m == nil {
		m = &Machine{id: id, hist: History{limit: s.limit}, orderIdx: len(s.order)}
		m.sch = NewSchema(&dbg.DbgMsgStruct{MachineID: id})
		s.machs[id] = m
		s.order = append(s.order, m)
		s.treeRev++
		s.resizeMachine(m)
	}
	return m
}

func (s *Store) addStruct(src source, msg *dbg.DbgMsgStruct) {
	m := s.lookup(msg.MachineID)
	if m.parent != msg.ParentID {
		m.parent = msg.ParentID
		s.treeRev++
	}
	m.tags = msg.Tags
	// clients send the struct again on every connection; an unchanged
	// schema keeps its version, so transitions share it
	if !slices.Equal(m.sch.Names(), msg.StateNames) || !reflect.DeepEqual(m.sch.Msg.Schema, msg.Schema) {
		s.replaceSchema(m, NewSchema(msg))
	}
	m.clocks = msg.Clocks
	m.live, m.conn = src.live, src.conn
	// a struct after a disposal is a new machine reusing the ID
	if m.disposed {
		m.disposed, m.stuck = false, nil
	}
	s.resizeMachine(m)
}

func (s *Store) addTx(src source, msg *dbg.DbgMsgTx, size int64) {
	m := s.lookup(msg.MachineID)
	before, beforeSch := m.clocks, m.sch
	if m.sch.Msg.Schema == nil && len(msg.Clocks) > len(m.sch.Names()) {
		// no struct message told the names: a recording cut at its start,
		// or a broken client; name the states by index
		s.replaceSchema(m, placeholderSchema(m.id, len(msg.Clocks)))
	}
	s.pushTx(m, &Tx{Msg: msg, Schema: m.sch, Before: before, BeforeSchema: beforeSch, size: size})
	if msg.ID != 0 {
		// a dry run may end while a handler hangs; a queued transition
		// cannot, so the stuck handler has returned
		m.stuck = nil
	}
	m.clocks = msg.Clocks
	m.live, m.conn = src.live, src.conn
	s.resizeMachine(m)
}

// connClosed marks the machines that last reported through the connection
// from addr as no longer live.
func (s *Store) connClosed(addr string) {
	for _, m := range s.order[s.front:] {
		if m != nil && m.conn == addr {
			if m.live && !m.disposed {
				s.statusRev++
			}
			m.live = false
		}
	}
}

// RLock locks the store for reading: while held, no message is applied,
// and what the store's and its machines' methods return is consistent.
// Readers hold it for a frame or a response, not longer: messages wait
// meanwhile. It must not be taken twice by one goroutine.
func (s *Store) RLock() { s.mu.RLock() }

// RUnlock undoes one [Store.RLock].
func (s *Store) RUnlock() { s.mu.RUnlock() }

// Machines returns the machines as they were first heard of. The result
// is the caller's. It needs the read lock.
func (s *Store) Machines() []*Machine {
	out := make([]*Machine, 0, len(s.machs))
	for _, m := range s.order[s.front:] {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Lookup returns the machine with the ID, or nil. It needs the read lock.
func (s *Store) Lookup(id string) *Machine { return s.machs[id] }

// TreeRevision changes whenever [Store.Tree] may have changed. It needs
// the read lock.
func (s *Store) TreeRevision() uint64 { return s.treeRev }

// StatusRevision changes whenever a machine's [Machine.Life] changed, or
// whether it is stuck ([Machine.Stuck] nil or not). With
// [Store.TreeRevision], it tells a reader that what a tree of machines
// shows, apart from their transitions, is as it was. It needs the read
// lock.
func (s *Store) StatusRevision() uint64 { return s.statusRev }

// Conns returns how many client connections are open. It needs the read
// lock.
func (s *Store) Conns() int { return s.conns }

// Dropped returns the transitions that never reached the store: those
// clients dropped, and those the inbox dropped. It needs the read lock.
func (s *Store) Dropped() uint64 {
	n := s.lost
	for _, d := range s.dropped {
		n += d
	}
	return n
}
