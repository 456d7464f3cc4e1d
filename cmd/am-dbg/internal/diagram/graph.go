// Package diagram draws a machine's schema, as a debugger received it, as
// Mermaid and Graphviz DOT: states are nodes, relations are edges of four
// kinds, and a [Highlight] marks the active states and what one transition
// did.
//
// Everything in a schema comes from a peer, so names are quoted for each
// language and never trusted as identifiers: nodes are numbered in state
// order and named only in labels.
package diagram

import (
	"slices"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// EdgeKind is the relation an [Edge] draws.
type EdgeKind uint8

const (
	// Require: From requires To to be active.
	Require EdgeKind = iota + 1
	// Add: activating From activates To.
	Add
	// Remove: activating From deactivates To.
	Remove
	// After: From's handlers run after To's.
	After
)

var edgeKindNames = [...]string{
	Require: "require",
	Add:     "add",
	Remove:  "remove",
	After:   "after",
}

// String returns the relation's name in lower case, for example "require".
func (k EdgeKind) String() string {
	if int(k) < len(edgeKindNames) && edgeKindNames[k] != "" {
		return edgeKindNames[k]
	}
	return "relation"
}

// Node is one state.
type Node struct {
	// Name is the state's name.
	Name string
	// Auto and Multi are the state's flags ([am.State]).
	Auto, Multi bool
	// Groups are the groups holding the state ([dbg.DbgMsgStruct.Groups]),
	// sorted; nil when none.
	Groups []string
}

// Edge is one relation between two states.
type Edge struct {
	// From is the index in [Graph.Nodes] of the state declaring the
	// relation, To the index of the state it names.
	From, To int
	// Kind is the relation.
	Kind EdgeKind
}

// Graph is a machine's schema as nodes and edges.
type Graph struct {
	// MachineID is the machine the schema belongs to.
	MachineID string
	// Nodes are the states, in the machine's state index order, then any
	// state a relation names that the index lacks, sorted by name.
	Nodes []Node
	// Edges are the relations, by From, then Kind in the order Require,
	// Add, Remove, After, then the order the schema lists them. A relation
	// a state declares on itself is kept.
	Edges []Edge
	// index maps a state name to its position in Nodes.
	index map[string]int
}

// FromStruct builds the graph of the schema in msg. A relation naming a
// state missing from the schema gets a node of its own, so nothing the
// peer sent disappears from the drawing.
func FromStruct(msg *dbg.DbgMsgStruct) *Graph {
	g := &Graph{MachineID: msg.MachineID, index: make(map[string]int, len(msg.Schema))}
	add := func(name string) int {
		if i, ok := g.index[name]; ok {
			return i
		}
		g.index[name] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{Name: name})
		return len(g.Nodes) - 1
	}
	for _, name := range msg.StateNames {
		add(name)
	}
	// Schema states missing from the index, then relation targets missing
	// from both: map order would make the drawing differ run to run.
	var extra []string
	for name, st := range msg.Schema {
		if _, ok := g.index[name]; !ok {
			extra = append(extra, name)
		}
		for _, rel := range [...]am.S{st.Require, st.Add, st.Remove, st.After} {
			for _, to := range rel {
				if _, ok := g.index[to]; !ok {
					extra = append(extra, to)
				}
			}
		}
	}
	slices.Sort(extra)
	for _, name := range slices.Compact(extra) {
		add(name)
	}
	for i := range g.Nodes {
		st, ok := msg.Schema[g.Nodes[i].Name]
		if !ok {
			continue
		}
		g.Nodes[i].Auto, g.Nodes[i].Multi = st.Auto, st.Multi
		for kind, rel := range [...]am.S{Require: st.Require, Add: st.Add, Remove: st.Remove, After: st.After} {
			for _, to := range rel {
				g.Edges = append(g.Edges, Edge{From: i, To: g.index[to], Kind: EdgeKind(kind)})
			}
		}
	}
	for group, states := range msg.Groups {
		for _, name := range states {
			if i, ok := g.index[name]; ok && !slices.Contains(g.Nodes[i].Groups, group) {
				g.Nodes[i].Groups = append(g.Nodes[i].Groups, group)
			}
		}
	}
	for i := range g.Nodes {
		slices.Sort(g.Nodes[i].Groups)
	}
	return g
}

// Node returns the index in Nodes of the named state, and whether it is
// there.
func (g *Graph) Node(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}
