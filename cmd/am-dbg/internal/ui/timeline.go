package ui

import (
	"sort"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// filter selects the transitions the timeline and the rain show.
type filter struct {
	hideCanceled bool
	hideAuto     bool
	hideEmpty    bool
	hideChecks   bool
	// touching, when set, shows only transitions touching that state; the
	// rain ignores it, as it shows every machine.
	touching string
}

func (f filter) on() bool {
	return f.hideCanceled || f.hideAuto || f.hideEmpty || f.hideChecks || f.touching != ""
}

func (f filter) keep(t *store.Tx) bool {
	return f.keepKind(t) && (f.touching == "" || t.Touches(f.touching))
}

// keepKind applies the filters of what kind a transition is.
func (f filter) keepKind(t *store.Tx) bool {
	return !(f.hideCanceled && !t.Msg.Accepted) && !(f.hideAuto && t.Msg.Auto) &&
		!(f.hideChecks && t.Msg.CheckOnly) && !(f.hideEmpty && t.Empty())
}

// notes names the filters that are on, for titles.
func (f filter) notes() []string {
	var notes []string
	for _, n := range []struct {
		on   bool
		note string
	}{
		{f.hideCanceled, "no canceled"}, {f.hideAuto, "no auto"}, {f.hideEmpty, "no empty"}, {f.hideChecks, "no checks"},
	} {
		if n.on {
			notes = append(notes, n.note)
		}
	}
	return notes
}

// timeline is one machine's history as the filters show it, with the
// cursor. Positions count shown transitions from 0; seqs identify
// transitions in the machine's history.
type timeline struct {
	m *store.Machine
	f filter
	// seqs lists the shown transitions while a filter is on; with none,
	// every kept transition shows and positions map to seqs directly.
	seqs []uint64
	// scanned is the seq the next filtering pass starts from.
	scanned uint64
	// cur is the seq under the cursor, meaningful when len() > 0.
	cur uint64
	// top is the position of the first row on screen.
	top int
}

// reset shows machine m through filter f, from scratch.
func (tl *timeline) reset(m *store.Machine, f filter) {
	// the list of shown seqs keeps its memory: filters are toggled often,
	// and growing it again to a long history costs more than the scan
	*tl = timeline{m: m, f: f, cur: tl.cur, seqs: tl.seqs[:0]}
	if m != nil {
		tl.scanned = m.History().First()
	}
	tl.sync()
}

// sync catches up with the machine's history: evicted transitions leave,
// new ones are filtered in. Work is proportional to what changed.
func (tl *timeline) sync() {
	if tl.m == nil || !tl.f.on() {
		return
	}
	h := tl.m.History()
	if n := sort.Search(len(tl.seqs), func(i int) bool { return tl.seqs[i] >= h.First() }); n > 0 {
		tl.seqs = append(tl.seqs[:0], tl.seqs[n:]...)
	}
	for seq := max(tl.scanned, h.First()); seq < h.Next(); seq++ {
		if tl.f.keep(h.At(seq)) {
			tl.seqs = append(tl.seqs, seq)
		}
	}
	tl.scanned = h.Next()
}

// len returns how many transitions are shown.
func (tl *timeline) len() int {
	switch {
	case tl.m == nil:
		return 0
	case tl.f.on():
		return len(tl.seqs)
	default:
		return tl.m.History().Len()
	}
}

// at returns the transition shown at pos.
func (tl *timeline) at(pos int) *store.Tx {
	if tl.f.on() {
		return tl.m.History().At(tl.seqs[pos])
	}
	return tl.m.History().At(tl.m.History().First() + uint64(pos))
}

// pos returns the position of the shown transition with the largest seq
// not after seq, or 0 when there is none.
func (tl *timeline) pos(seq uint64) int {
	if !tl.f.on() {
		if seq < tl.m.History().First() {
			return 0
		}
		return min(int(seq-tl.m.History().First()), tl.len()-1)
	}
	return max(sort.Search(len(tl.seqs), func(i int) bool { return tl.seqs[i] > seq })-1, 0)
}

// current returns the transition under the cursor, or nil when none is
// shown.
func (tl *timeline) current() *store.Tx {
	if tl.len() == 0 {
		return nil
	}
	return tl.at(tl.pos(tl.cur))
}

// moveTo puts the cursor on position pos, clamped to what is shown.
func (tl *timeline) moveTo(pos int) {
	if n := tl.len(); n > 0 {
		tl.cur = tl.at(min(max(pos, 0), n-1)).Seq
	}
}

// step moves the cursor by delta shown transitions.
func (tl *timeline) step(delta int) {
	if tl.len() > 0 {
		tl.moveTo(tl.pos(tl.cur) + delta)
	}
}

// seek moves the cursor to the nearest shown transition after (dir 1) or
// before (dir -1) the cursor that touches state, and reports whether
// there was one.
func (tl *timeline) seek(state string, dir int) bool {
	if tl.len() == 0 || state == "" {
		return false
	}
	for p := tl.pos(tl.cur) + dir; p >= 0 && p < tl.len(); p += dir {
		if t := tl.at(p); t.Touches(state) {
			tl.cur = t.Seq
			return true
		}
	}
	return false
}

// scroll keeps the cursor within rows visible rows.
func (tl *timeline) scroll(rows int) {
	if tl.len() > 0 {
		tl.top = scrollTo(tl.top, tl.pos(tl.cur), rows, tl.len())
	}
}
