package ui

import (
	"strconv"
)

// machinesPane lists the machine tree: a life marker (see lifeMarker),
// the ID, and how many transitions it ran.
func (m *Model) machinesPane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	sel := m.machineRow()
	lines := make([]string, 0, rows)
	if len(m.tree) == 0 {
		lines = append(lines, m.st.dim.Render("waiting for machines"))
	}
	for i := m.machTop; i < len(m.tree) && len(lines) < rows; i++ {
		r := m.tree[i]
		marker := lifeMarker(r.m)
		count := strconv.FormatUint(r.m.hist.next, 10)
		name := fit(r.prefix+r.m.id, max(w-4-len(count), 1))
		var line string
		switch {
		case i == sel:
			line = m.st.selected.Render("▸" + marker + " " + name + " " + count)
		case r.m.live && !r.m.disposed:
			line = " " + m.st.active.Render(marker) + " " + name + " " + m.st.dim.Render(count)
		default:
			line = " " + m.st.dim.Render(marker+" "+name+" "+count)
		}
		lines = append(lines, line)
	}
	title := "machines (" + strconv.Itoa(len(m.tree)) + ")"
	return m.st.frame(title, lines, sz.w, sz.h, m.focus == paneMachines)
}

// lifeMarker tells how a machine's life stands: ● running, its client
// connected; ✕ disposed, as its client said; ○ its client went away
// without saying so, as when the process crashed or a recording ended.
func lifeMarker(m *machine) string {
	switch {
	case m.disposed:
		return "✕"
	case m.live:
		return "●"
	default:
		return "○"
	}
}
