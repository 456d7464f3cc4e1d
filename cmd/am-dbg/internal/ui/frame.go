package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// frame draws a pane: lines inside a rounded border w cells wide and h
// rows tall, with the title in the top border. Lines are cut or padded to
// fit; the result has exactly h lines of exactly w cells.
func (st styles) frame(title string, lines []string, w, h int, focused bool) []string {
	border, titleStyle := st.border, st.title
	if focused {
		border, titleStyle = st.focusedBorder, st.focusedTitle
	}
	inner := w - 2
	title = ansi.Truncate(" "+title+" ", max(inner-2, 0), "…")
	top := border.Render("╭─") + titleStyle.Render(title) +
		border.Render(strings.Repeat("─", max(inner-1-ansi.StringWidth(title), 0))+"╮")
	out := make([]string, 0, h)
	out = append(out, top)
	side := border.Render("│")
	for i := range max(h-2, 0) {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		out = append(out, side+fit(line, inner)+side)
	}
	out = append(out, border.Render("╰"+strings.Repeat("─", max(inner, 0))+"╯"))
	return out
}

// fit cuts s to w cells, or pads it with spaces to w cells.
func fit(s string, w int) string {
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// padLeft right-aligns plain text s in w cells.
func padLeft(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}
