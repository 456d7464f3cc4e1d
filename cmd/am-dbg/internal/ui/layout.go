package ui

// Smallest screen the panes fit on.
const (
	minWidth  = 60
	minHeight = 16
)

// size is a pane's size on screen, borders included.
type size struct{ w, h int }

// layout places the panes: machines, states and transitions side by side
// on top, details and log below, and the status bar on the last line.
type layout struct {
	machines, states, timeline, details, log size
}

func (m *Model) layout() layout {
	body := m.height - 1
	top := max(body*55/100, 8)
	bottom := body - top
	machW := max(m.width*22/100, 20)
	statesW := max(m.width*28/100, 24)
	detailsW := m.width * 55 / 100
	return layout{
		machines: size{machW, top},
		states:   size{statesW, top},
		timeline: size{m.width - machW - statesW, top},
		details:  size{detailsW, bottom},
		log:      size{m.width - detailsW, bottom},
	}
}

// paneRows returns how many rows of content pane p shows.
func (l layout) paneRows(p pane) int {
	sizes := [paneCount]size{l.machines, l.states, l.timeline, l.details, l.log}
	return max(sizes[p].h-2, 1)
}
