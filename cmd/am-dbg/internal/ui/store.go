package ui

import (
	"reflect"
	"slices"
	"strconv"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// DefaultHistoryLimit is how many transitions the debugger keeps per
// machine unless told otherwise. Older ones are evicted, so memory stays
// bounded by machines × limit × the size of a transition (about 1 KiB
// with a few steps and log lines).
const DefaultHistoryLimit = 5000

// Store is what the debugger knows: every machine it heard of, its schema
// and its recent transitions. It is not safe for concurrent use; the UI
// owns it, and an [Inbox] hands it what the server receives.
type Store struct {
	limit int
	machs map[string]*machine
	// order lists the machines as they were first heard of.
	order []*machine
	// treeRev changes whenever the machine tree may have changed shape.
	treeRev uint64
	// conns is the number of open client connections.
	conns int
	// dropped holds each client's count of transitions it never delivered.
	dropped map[string]uint64
	// lost counts the transitions the inbox dropped because the UI fell
	// behind.
	lost uint64
}

// NewStore returns an empty store keeping at most limit transitions per
// machine; limit <= 0 means [DefaultHistoryLimit].
func NewStore(limit int) *Store {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	return &Store{limit: limit, machs: map[string]*machine{}, dropped: map[string]uint64{}}
}

// machine is what the store keeps about one machine.
type machine struct {
	id     string
	parent string
	tags   []string
	sch    *schema
	// clocks are the latest clocks known, in the index of sch: what the
	// next transition starts from.
	clocks am.Time
	hist   history
	// live is true while the connection the machine last reported through
	// is open.
	live bool
	conn string
	// disposed is true once the client said the machine was disposed,
	// whatever became of the connection.
	disposed bool
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
	s.add(source{conn: rec.ClientID + "/" + strconv.FormatUint(rec.Conn, 10), client: rec.ClientID, dropped: rec.Dropped}, rec.Msg)
}

func (s *Store) add(src source, m dbg.DbgMsg) {
	if src.client != "" {
		s.dropped[src.client] = max(s.dropped[src.client], src.dropped)
	}
	switch m := m.(type) {
	case *dbg.DbgMsgStruct:
		s.addStruct(src, m)
	case *dbg.DbgMsgTx:
		s.addTx(src, m)
	case *dbg.DbgMsgDispose:
		mach := s.lookup(m.MachineID)
		mach.disposed = true
		mach.live, mach.conn = src.live, src.conn
	}
}

// lookup returns the machine with the ID, creating it when new.
func (s *Store) lookup(id string) *machine {
	m := s.machs[id]
	if m == nil {
		m = &machine{id: id, hist: history{limit: s.limit}}
		m.sch = newSchema(&dbg.DbgMsgStruct{MachineID: id})
		s.machs[id] = m
		s.order = append(s.order, m)
		s.treeRev++
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
	if !slices.Equal(m.sch.names(), msg.StateNames) || !reflect.DeepEqual(m.sch.msg.Schema, msg.Schema) {
		m.sch = newSchema(msg)
	}
	m.clocks = msg.Clocks
	m.live, m.conn = src.live, src.conn
	// a struct after a disposal is a new machine reusing the ID
	m.disposed = false
}

func (s *Store) addTx(src source, msg *dbg.DbgMsgTx) {
	m := s.lookup(msg.MachineID)
	before, beforeSch := m.clocks, m.sch
	if m.sch.msg.Schema == nil && len(msg.Clocks) > len(m.sch.names()) {
		// no struct message told the names: a recording cut at its start,
		// or a broken client; name the states by index
		m.sch = placeholderSchema(m.id, len(msg.Clocks))
	}
	m.hist.push(&tx{msg: msg, sch: m.sch, before: before, beforeSch: beforeSch})
	m.clocks = msg.Clocks
	m.live, m.conn = src.live, src.conn
}

// placeholderSchema names n states "#0", "#1", ...
func placeholderSchema(id string, n int) *schema {
	names := make(am.S, n)
	for i := range names {
		names[i] = "#" + strconv.Itoa(i)
	}
	return newSchema(&dbg.DbgMsgStruct{MachineID: id, StateNames: names})
}

// connClosed marks the machines that last reported through the connection
// from addr as no longer live.
func (s *Store) connClosed(addr string) {
	for _, m := range s.order {
		if m.conn == addr {
			m.live = false
		}
	}
}

// droppedTotal sums what the clients dropped and what the inbox lost.
func (s *Store) droppedTotal() uint64 {
	n := s.lost
	for _, d := range s.dropped {
		n += d
	}
	return n
}
