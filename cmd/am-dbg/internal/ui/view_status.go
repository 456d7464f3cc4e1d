package ui

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// statusBar is the last line: where the data comes from, the connected
// clients and those turned away, transitions lost on the way, machines with a handler stuck
// now, what the memory budget evicted,
// and where the cursor is in the selected machine's history, after what
// the last command did. While searching, it is the search input.
func (m *Model) statusBar() string {
	if m.search.typing {
		left := m.search.input.View()
		right := strconv.Itoa(len(m.search.matches)) + " matches · enter keep · esc back "
		return m.st.statusBar.Render(spread(left, right, m.width))
	}
	parts := []string{" am-dbg"}
	if m.notice != "" {
		// first: the line is cut at its end when too long
		parts = append(parts, m.notice)
	}
	if m.live {
		parts = append(parts, "listening "+m.source, plural(m.data.Conns(), "client"))
		if m.turnedAway != nil {
			if n := m.turnedAway(); n > 0 {
				parts = append(parts, strconv.FormatUint(n, 10)+" turned away")
			}
		}
	} else {
		parts = append(parts, "recording "+m.source)
	}
	if d := m.data.Dropped(); d > 0 {
		parts = append(parts, strconv.FormatUint(d, 10)+" dropped")
	}
	if n := m.stuckMachines(); n > 0 {
		parts = append(parts, "⏱ "+plural(n, "machine")+" stuck")
	}
	if st := m.data.Stats(); st.EvictedTransitions+st.EvictedMachines > 0 {
		// the memory budget's doing; the timeline counts a machine's own
		parts = append(parts, "memory full: evicted "+plural(int(st.EvictedTransitions), "transition")+
			", "+plural(int(st.EvictedMachines), "machine"))
	}
	switch {
	case m.mode == modeRain && m.rain.follow:
		parts = append(parts, "rain following")
	case m.mode == modeRain:
		parts = append(parts, "rain paused")
	case m.mach != nil:
		pos := "history 0/0"
		if n := m.tl.len(); n > 0 {
			pos = "history " + strconv.Itoa(m.tl.pos(m.tl.cur)+1) + "/" + strconv.Itoa(n)
		}
		parts = append(parts, safe(m.mach.ID())+" "+pos)
	}
	switch {
	case m.mode == modeRain:
	case m.follow:
		parts = append(parts, "following")
	default:
		parts = append(parts, "paused")
	}
	if n := len(m.search.matches); n > 0 {
		parts = append(parts, "match "+strconv.Itoa(m.search.at+1)+"/"+strconv.Itoa(n)+" (n/N)")
	}
	if m.recordTo != "" {
		// the full path is printed on exit; the name is enough to know
		parts = append(parts, "recording to "+filepath.Base(m.recordTo))
	}
	return m.st.statusBar.Render(spread(strings.Join(parts, " · "), "? keys  q quit ", m.width))
}

// stuckMachines counts the machines with a handler stuck now, so the
// status bar tells of them whichever machine is selected.
func (m *Model) stuckMachines() int {
	n := 0
	for _, r := range m.tree {
		if r.Machine.Stuck() != nil {
			n++
		}
	}
	return n
}

// spread puts left and right at the two ends of a line w cells wide,
// cutting left when both do not fit.
func spread(left, right string, w int) string {
	room := w - ansi.StringWidth(right)
	if room < 1 {
		return fit(left, w)
	}
	return fit(left, room) + right
}

// plural formats a count of things: "1 client", "2 clients".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
