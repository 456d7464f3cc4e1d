package ui

import "strings"

// legend explains the markers the panes use.
var legend = []string{
	"machines   ● connected  ○ its client went away · transitions run",
	"states     ● active  ○ inactive · clock · + activated  - deactivated",
	"           ↻ activated again (multi) · * called by the mutation",
	"timeline   ▶ cursor · ✓ accepted  ✗ canceled · q queue length",
	"search     enter keeps the match · esc goes back · n/N next/previous",
}

// renderHelp draws every key, by group, and the legend of the markers.
func (m *Model) renderHelp() string {
	var lines []string
	for _, g := range m.keys.groups() {
		lines = append(lines, m.st.heading.Render(g.title))
		for _, k := range g.keys {
			h := k.Help()
			lines = append(lines, "  "+m.st.helpKey.Render(fit(h.Key, 12))+h.Desc)
		}
		lines = append(lines, "")
	}
	lines = append(lines, m.st.heading.Render("markers"))
	for _, l := range legend {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", m.st.dim.Render("press any key to close"))
	return strings.Join(m.st.frame("am-dbg keys", lines, m.width, m.height, true), "\n")
}
