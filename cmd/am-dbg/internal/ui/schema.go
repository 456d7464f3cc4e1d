package ui

import (
	"strconv"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// schema is one version of a machine's structure, indexed for the views:
// transitions keep the version their state indexes refer to.
type schema struct {
	msg   *dbg.DbgMsgStruct
	index map[string]int
	// inbound holds, per state, the relations other states have to it: the
	// other direction of what msg.Schema says.
	inbound map[string]relations
}

// relations are the states on one side of each relation kind.
type relations struct {
	Require, Add, Remove, After am.S
}

func newSchema(msg *dbg.DbgMsgStruct) *schema {
	s := &schema{msg: msg, index: make(map[string]int, len(msg.StateNames)), inbound: map[string]relations{}}
	for i, name := range msg.StateNames {
		s.index[name] = i
	}
	// walk in index order, so the inbound lists are in index order too
	for _, from := range msg.StateNames {
		st := msg.Schema[from]
		link := func(targets am.S, field func(*relations) *am.S) {
			for _, to := range targets {
				r := s.inbound[to]
				*field(&r) = append(*field(&r), from)
				s.inbound[to] = r
			}
		}
		link(st.Require, func(r *relations) *am.S { return &r.Require })
		link(st.Add, func(r *relations) *am.S { return &r.Add })
		link(st.Remove, func(r *relations) *am.S { return &r.Remove })
		link(st.After, func(r *relations) *am.S { return &r.After })
	}
	return s
}

// names returns the state index.
func (s *schema) names() am.S { return s.msg.StateNames }

// name returns the name of state index i, or "#i" for an index outside
// the schema, which only a broken client sends.
func (s *schema) name(i int) string {
	if i >= 0 && i < len(s.msg.StateNames) {
		return s.msg.StateNames[i]
	}
	return "#" + strconv.Itoa(i)
}

// tick returns the clock of the named state in clocks, which follow this
// schema's index, or 0 when the state is unknown to it.
func (s *schema) tick(clocks am.Time, name string) uint64 {
	i, ok := s.index[name]
	if !ok || i >= len(clocks) {
		return 0
	}
	return clocks[i]
}

// outbound returns the relations the named state declares.
func (s *schema) outbound(name string) relations {
	st := s.msg.Schema[name]
	return relations{Require: st.Require, Add: st.Add, Remove: st.Remove, After: st.After}
}

// has reports whether the schema defines the named state.
func (s *schema) has(name string) bool {
	_, ok := s.index[name]
	return ok
}
