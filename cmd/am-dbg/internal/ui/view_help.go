package ui

import "strings"

// legend explains the markers the panes use.
var legend = []string{
	"machines  ● running  ✕ disposed",
	"          ○ its client went away without disposing it",
	"          the number: transitions it ran",
	"states    ● active  ○ inactive, then the clock",
	"          + activated  - deactivated",
	"          ↻ activated again (multi)",
	"          * called by the mutation",
	"timeline  ▶ cursor  ✓ accepted  ✗ canceled",
	"          q: queue length at the start",
	"search    enter keeps the match, esc goes back",
}

// renderHelp draws every key, by group, and the legend of the markers: in
// one column when they fit the screen's height, else in two.
func (m *Model) renderHelp() string {
	var blocks [][]string
	total := 0
	for _, g := range m.keys.groups() {
		block := []string{m.st.heading.Render(g.title)}
		for _, k := range g.keys {
			h := k.Help()
			block = append(block, "  "+m.st.helpKey.Render(fit(h.Key, 11))+h.Desc)
		}
		blocks = append(blocks, append(block, ""))
		total += len(block) + 1
	}
	markers := []string{m.st.heading.Render("markers")}
	for _, l := range legend {
		markers = append(markers, "  "+l)
	}
	blocks = append(blocks, markers)
	total += len(markers)

	rows, w := m.height-2, m.width-2
	var left, right []string
	for _, b := range blocks {
		if total <= rows || len(right) == 0 && (len(left)+len(b) <= (total+1)/2 || len(left) == 0) {
			left = append(left, b...)
		} else {
			right = append(right, b...)
		}
	}
	lines := left
	if len(right) > 0 {
		lines = make([]string, max(len(left), len(right)))
		for i := range lines {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines[i] = fit(l, w/2) + r
		}
	}
	lines = append(lines, m.st.dim.Render("press any key to close"))
	return strings.Join(m.st.frame("am-dbg keys", lines, m.width, m.height, true), "\n")
}
