package ui

import "strings"

// legend explains the markers the panes use.
var legend = []string{
	"machines  ● running  ✕ disposed",
	"          ○ its client went away without disposing it",
	"          ⏱ a handler stuck now, past its timeout",
	"          the number: transitions it ran",
	"states    ● active  ○ inactive, then the clock",
	"          + activated  - deactivated  ↻ again (multi)",
	"          * called by the mutation",
	"timeline  ▶ cursor  ✓ accepted  ✗ canceled",
	"          ⏱ a handler overran its timeout",
	"          check: a dry run  q: queue length at start",
	"matrix    R requires  A adds  X removes  > after",
	"rain      red: canceled, Exception, panic or timeout",
	"          enter opens the transition in the panes",
	"views     m, r or esc go back to the panes",
	"mouse     click selects; the wheel scrolls",
	"search    enter keeps the match, esc goes back",
}

// renderHelp draws every key, by group, and the legend of the markers,
// in as many columns as the screen's height needs.
func (m *Model) renderHelp() string {
	rows, w := m.height-3, m.width-2
	// groups apart by a blank line, unless that takes a third column
	cols := packColumns(m.helpBlocks(true), rows)
	if len(cols) > 2 {
		cols = packColumns(m.helpBlocks(false), rows)
	}
	lines := make([]string, tallest(cols))
	for i := range lines {
		for c, col := range cols {
			l := ""
			if i < len(col) {
				l = col[i]
			}
			if c < len(cols)-1 {
				l = fit(l, w/len(cols))
			}
			lines[i] += l
		}
	}
	lines = append(lines, m.st.dim.Render("press any key to close"))
	return strings.Join(m.st.frame("am-dbg keys", lines, m.width, m.height, true), "\n")
}

// helpBlocks returns the key groups and the legend, each a block of
// lines, the groups followed by a blank line when apart is set.
func (m *Model) helpBlocks(apart bool) [][]string {
	var blocks [][]string
	for _, g := range m.keys.groups() {
		block := []string{m.st.heading.Render(g.title)}
		for _, k := range g.keys {
			h := k.Help()
			block = append(block, "  "+m.st.helpKey.Render(fit(h.Key, 11))+h.Desc)
		}
		if apart {
			block = append(block, "")
		}
		blocks = append(blocks, block)
	}
	markers := []string{m.st.heading.Render("markers")}
	for _, l := range legend {
		markers = append(markers, "  "+l)
	}
	return append(blocks, markers)
}

// packColumns puts blocks into columns of at most height lines, never
// splitting a block.
func packColumns(blocks [][]string, height int) [][]string {
	var cols [][]string
	var col []string
	for _, b := range blocks {
		if len(col) > 0 && len(col)+len(b) > height {
			cols = append(cols, col)
			col = nil
		}
		col = append(col, b...)
	}
	return append(cols, col)
}

// tallest returns the length of the longest column.
func tallest(cols [][]string) int {
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	return n
}
