package ui

import (
	"strconv"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// machinesPane lists the machine tree: a life marker (see lifeMarker),
// ⏱ while a handler of the machine is stuck, the ID, and how many
// transitions it ran.
func (m *Model) machinesPane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	sel := m.machineRow()
	lines := make([]string, 0, rows)
	if len(m.tree) == 0 {
		lines = append(lines, m.st.dim.Render("waiting for machines"))
	}
	for i := m.machTop; i < len(m.tree) && len(lines) < rows; i++ {
		r := m.tree[i]
		marker := lifeMarker(r.Machine)
		count := strconv.FormatUint(r.Machine.History().Next(), 10)
		stuck := ""
		if r.Machine.Stuck() != nil {
			stuck = "⏱ "
		}
		name := fit(r.Prefix+stuck+safe(r.Machine.ID()), max(w-4-len(count), 1))
		var line string
		switch {
		case i == sel:
			line = m.st.selected.Render("▸" + marker + " " + name + " " + count)
		case r.Machine.Live() && !r.Machine.Disposed():
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
func lifeMarker(m *store.Machine) string {
	switch {
	case m.Disposed():
		return "✕"
	case m.Live():
		return "●"
	default:
		return "○"
	}
}
