package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// View draws the screen: the panes, the matrix or the rain, and the
// status bar; or the help. Mouse reports are on, for clicks and the
// wheel.
func (m *Model) View() tea.View {
	m.data.RLock()
	defer m.data.RUnlock()
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "am-dbg"
	return v
}

// render returns the screen's text, lines of exactly the window's width.
func (m *Model) render() string {
	if m.width < minWidth || m.height < minHeight {
		return fmt.Sprintf("am-dbg needs a terminal of at least %dx%d (this one is %dx%d)",
			minWidth, minHeight, m.width, m.height)
	}
	if m.help {
		return m.renderHelp()
	}
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	switch m.mode {
	case modeMatrix:
		joinRows(&b, m.matrixView())
	case modeRain:
		joinRows(&b, m.rainView())
	default:
		l := m.layout()
		joinRows(&b, m.machinesPane(l.machines), m.statesPane(l.states), m.timelinePane(l.timeline))
		joinRows(&b, m.detailsPane(l.details), m.logPane(l.log))
	}
	b.WriteString(m.statusBar())
	return b.String()
}

// joinRows writes panes of equal height side by side, a line each row.
func joinRows(b *strings.Builder, panes ...[]string) {
	for i := range panes[0] {
		for _, p := range panes {
			b.WriteString(p[i])
		}
		b.WriteByte('\n')
	}
}
