package ui

// settle keeps every pane's scroll position valid after an update: the
// selected rows stay in view and no pane scrolls past its content. View
// only reads what settle leaves.
func (m *Model) settle() {
	if m.width < minWidth || m.height < minHeight {
		return
	}
	switch m.mode {
	case modeRain:
		// the frame and the header
		m.rain.scroll(m, m.height-4)
		return
	case modeMatrix:
		sch := m.statesSchema()
		c := m.matrix.get(sch)
		rows := m.matrixLayout(c, len(m.relationLines(sch, m.width-2))).rows
		m.stateTop = scrollTo(m.stateTop, m.stateRow(), rows, len(sch.Names()))
		return
	}
	l := m.layout()
	m.machTop = scrollTo(m.machTop, m.machineRow(), l.machines.h-2, len(m.tree))
	sch := m.statesSchema()
	listRows := stateListRows(l.states.h-2, len(m.relationLines(sch, l.states.w-2)))
	m.stateTop = scrollTo(m.stateTop, m.stateRow(), listRows, len(sch.Names()))
	// the timeline's first row is its header
	m.tl.scroll(l.timeline.h - 3)
	m.detailsTop = min(m.detailsTop, max(len(m.detailLines(l.details.w-2))-(l.details.h-2), 0))
	logRows := l.log.h - 2
	m.logBack = min(m.logBack, max(len(m.logLines(logRows+m.logBack))-logRows, 0))
}

// scrollTo returns the first of n rows to show, rows at a time, so that
// row sel is in view, moving as little as possible from top.
func scrollTo(top, sel, rows, n int) int {
	top = min(max(top, sel-rows+1), sel)
	return max(min(top, n-rows), 0)
}
