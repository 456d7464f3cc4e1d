package store

import (
	"strconv"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Schema is one version of a machine's structure, indexed for viewing.
// Transitions keep the version their state indexes refer to. A Schema
// never changes once made, so it can be read without the store's lock.
type Schema struct {
	// Msg is the struct message the version was made from.
	Msg *dbg.DbgMsgStruct
	// Index maps a state's name to its index.
	Index map[string]int
	// Inbound holds, per state, the relations other states have to it:
	// the other direction of what Msg.Schema says.
	Inbound map[string]Relations
	// size is what the version was accounted as, in bytes.
	size int64
}

// Relations are the states on one side of each relation kind.
type Relations struct {
	Require, Add, Remove, After am.S
}

// NewSchema indexes a struct message. The store makes schemas as struct
// messages arrive; NewSchema is exported for views that need an empty
// one before any machine is known.
func NewSchema(msg *dbg.DbgMsgStruct) *Schema {
	s := &Schema{Msg: msg, Index: make(map[string]int, len(msg.StateNames)), Inbound: map[string]Relations{}}
	for i, name := range msg.StateNames {
		s.Index[name] = i
	}
	// walk in index order, so the inbound lists are in index order too
	for _, from := range msg.StateNames {
		st := msg.Schema[from]
		link := func(targets am.S, field func(*Relations) *am.S) {
			for _, to := range targets {
				r := s.Inbound[to]
				*field(&r) = append(*field(&r), from)
				s.Inbound[to] = r
			}
		}
		link(st.Require, func(r *Relations) *am.S { return &r.Require })
		link(st.Add, func(r *Relations) *am.S { return &r.Add })
		link(st.Remove, func(r *Relations) *am.S { return &r.Remove })
		link(st.After, func(r *Relations) *am.S { return &r.After })
	}
	s.size = schemaBytes(s)
	return s
}

// placeholderSchema names n states "#0", "#1", ...
func placeholderSchema(id string, n int) *Schema {
	names := make(am.S, n)
	for i := range names {
		names[i] = "#" + strconv.Itoa(i)
	}
	return NewSchema(&dbg.DbgMsgStruct{MachineID: id, StateNames: names})
}

// Names returns the state index.
func (s *Schema) Names() am.S { return s.Msg.StateNames }

// Name returns the name of state index i, or "#i" for an index outside
// the schema, which only a broken client sends.
func (s *Schema) Name(i int) string {
	if i >= 0 && i < len(s.Msg.StateNames) {
		return s.Msg.StateNames[i]
	}
	return "#" + strconv.Itoa(i)
}

// Tick returns the clock of the named state in clocks, which follow this
// schema's index, or 0 when the state is unknown to it.
func (s *Schema) Tick(clocks am.Time, name string) uint64 {
	i, ok := s.Index[name]
	if !ok || i >= len(clocks) {
		return 0
	}
	return clocks[i]
}

// Outbound returns the relations the named state declares.
func (s *Schema) Outbound(name string) Relations {
	st := s.Msg.Schema[name]
	return Relations{Require: st.Require, Add: st.Add, Remove: st.Remove, After: st.After}
}

// Has reports whether the schema defines the named state.
func (s *Schema) Has(name string) bool {
	_, ok := s.Index[name]
	return ok
}
