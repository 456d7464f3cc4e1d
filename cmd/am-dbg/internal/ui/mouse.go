package ui

import tea "charm.land/bubbletea/v2"

// wheelRows is how far one notch of the wheel moves.
const wheelRows = 3

// click selects what is under the pointer: a machine, a state or a
// transition, in the panes or in a view; a click on a pane focuses it.
func (m *Model) click(x, y int) {
	switch m.mode {
	case modeRain:
		// the frame's border, then the header
		if row := y - 2; row >= 0 && m.rain.any {
			if a := m.data.Arrivals(m.rain.top, 1, row+1, m.rainKeep()); len(a) == row+1 {
				m.rain.cur = a[row].N
				m.rain.follow = false
			}
		}
		return
	case modeMatrix:
		names := m.statesSchema().Names()
		if i := m.stateTop + y - 2; y >= 2 && i < len(names) {
			m.selectState(names[i])
		}
		return
	}
	p, row := m.paneAt(x, y)
	m.focus = p
	if row < 0 {
		return
	}
	switch p {
	case paneMachines:
		if i := m.machTop + row; i < len(m.tree) && m.tree[i].Machine != m.mach {
			m.selectMachine(m.tree[i].Machine)
		}
	case paneStates:
		sch := m.statesSchema()
		l := m.layout()
		listRows := stateListRows(l.states.h-2, len(m.relationLines(sch, l.states.w-2)))
		if i := m.stateTop + row; i < len(sch.Names()) && row < listRows {
			m.selectState(sch.Names()[i])
		}
	case paneTimeline:
		// the first row is the header
		if pos := m.tl.top + row - 1; row >= 1 && pos < m.tl.len() {
			m.travel(func() { m.tl.moveTo(pos) })
		}
	}
}

// wheel scrolls what is under the pointer: in the panes, the pane, which
// gets the focus; in a view, the view.
func (m *Model) wheel(x, y, delta int) {
	if m.mode == modePanes {
		m.focus, _ = m.paneAt(x, y)
	}
	m.move(delta * wheelRows)
}

// paneAt returns the pane at x, y and the row of its content there, or
// -1 on its border.
func (m *Model) paneAt(x, y int) (pane, int) {
	l := m.layout()
	inner := func(top, h int) int {
		if row := y - top - 1; row >= 0 && row < h-2 {
			return row
		}
		return -1
	}
	if y < l.machines.h {
		switch {
		case x < l.machines.w:
			return paneMachines, inner(0, l.machines.h)
		case x < l.machines.w+l.states.w:
			return paneStates, inner(0, l.states.h)
		}
		return paneTimeline, inner(0, l.timeline.h)
	}
	if x < l.details.w {
		return paneDetails, inner(l.machines.h, l.details.h)
	}
	return paneLog, inner(l.machines.h, l.log.h)
}

// mouse handles a click or a wheel notch.
func (m *Model) mouse(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.MouseClickMsg:
		if msg.Button == tea.MouseLeft {
			m.click(msg.X, msg.Y)
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.wheel(msg.X, msg.Y, -1)
		case tea.MouseWheelDown:
			m.wheel(msg.X, msg.Y, 1)
		}
	}
}
