package diagram

import (
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Highlight says which states a drawing marks. The zero value marks
// nothing; names the graph lacks are ignored.
type Highlight struct {
	// Active states are drawn filled.
	Active []string
	// Called states, named by the transition's mutation, get a thick red
	// border.
	Called []string
	// Changed states, whose clock the transition moved, get an orange
	// border unless called.
	Changed []string
	// Touched states, which a step of the transition decided about, get a
	// dashed blue border unless called or changed.
	Touched []string
}

// Active returns the names of the states whose clock in clocks is odd,
// which is what active means; clocks and names are in the same index
// order, and a clock without a name is ignored.
func Active(names am.S, clocks am.Time) []string {
	var active []string
	for i, c := range clocks {
		if c%2 == 1 && i < len(names) {
			active = append(active, names[i])
		}
	}
	return active
}

// ForTx returns the highlight of transition tx: the states active after
// it, the ones it called, the ones whose clocks moved from before, and the
// ones its steps name. names is the state index tx refers to and before
// the clocks right before tx in that index; with before nil, which is the
// case for the first transition a debugger sees, no state counts as
// changed.
func ForTx(names am.S, before am.Time, tx *dbg.DbgMsgTx) Highlight {
	name := func(i int) (string, bool) {
		if i >= 0 && i < len(names) {
			return names[i], true
		}
		return "", false
	}
	h := Highlight{Active: Active(names, tx.Clocks)}
	for _, i := range tx.Called {
		if n, ok := name(i); ok {
			h.Called = append(h.Called, n)
		}
	}
	if before != nil {
		for i, c := range tx.Clocks {
			if n, ok := name(i); ok && (i >= len(before) || before[i] != c) {
				h.Changed = append(h.Changed, n)
			}
		}
	}
	for _, s := range tx.Steps {
		for _, i := range [...]int{s.State, s.Related} {
			if n, ok := name(i); ok {
				h.Touched = append(h.Touched, n)
			}
		}
	}
	return h
}

// mark is how one node is highlighted.
type mark uint8

const (
	markNone mark = iota
	markTouched
	markChanged
	markCalled
)

// marks resolves h against g: whether each node is active, and its
// strongest border mark.
func (g *Graph) marks(h Highlight) (active []bool, border []mark) {
	active = make([]bool, len(g.Nodes))
	border = make([]mark, len(g.Nodes))
	for _, n := range h.Active {
		if i, ok := g.index[n]; ok {
			active[i] = true
		}
	}
	for m, names := range [...][]string{markTouched: h.Touched, markChanged: h.Changed, markCalled: h.Called} {
		for _, n := range names {
			if i, ok := g.index[n]; ok && border[i] < mark(m) {
				border[i] = mark(m)
			}
		}
	}
	return active, border
}
