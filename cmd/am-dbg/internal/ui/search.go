package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// search is the state of "/": the query being typed, what it matches, and
// the selection to go back to when the search is abandoned.
type search struct {
	input   textinput.Model
	typing  bool
	matches []match
	// at is the match selected, meaningful when matches is not empty.
	at int
	// from is the selection when the search started.
	from match
}

// match is a machine, or a state of a machine, whose name contains the
// query.
type match struct {
	m *store.Machine
	// state is the matching state, or "" when the machine's ID matched.
	state string
}

func newSearch() search {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "machine or state"
	s := in.Styles()
	s.Cursor.Blink = false
	in.SetStyles(s)
	return search{input: in}
}

// findMatches returns the machines and states whose names contain query,
// ignoring case: each machine's ID, then its states, machines in tree
// order starting from the selected one, so the first match is the
// nearest.
func findMatches(query string, tree []store.TreeRow, from *store.Machine) []match {
	query = strings.ToLower(query)
	if query == "" {
		return nil
	}
	start := 0
	for i, r := range tree {
		if r.Machine == from {
			start = i
		}
	}
	var out []match
	for i := range tree {
		mach := tree[(start+i)%len(tree)].Machine
		if strings.Contains(strings.ToLower(mach.ID()), query) {
			out = append(out, match{m: mach})
		}
		for _, name := range mach.Schema().Names() {
			if strings.Contains(strings.ToLower(name), query) {
				out = append(out, match{m: mach, state: name})
			}
		}
	}
	return out
}
