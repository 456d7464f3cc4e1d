package ui

import (
	"strconv"
	"strings"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// rainView draws every machine's transitions, a dense line each, in the
// order they arrived, for scanning a busy system: time, machine,
// transition ID, type, accepted (✓) or canceled (✗), called states and
// what changed. Transitions that went wrong (Exception, a handler's panic
// or timeout) are red.
func (m *Model) rainView() []string {
	w, h := m.width-2, m.height-3
	rows := h - 1
	keep := m.rainKeep()
	var shown []store.Arrival
	if m.rain.any {
		shown = m.data.Arrivals(m.rain.top, 1, rows, keep)
	}
	idW := 8
	for _, a := range shown {
		idW = max(idW, min(len([]rune(a.Machine.ID())), 24))
	}
	header := "  " + fit("time", len(timeLayout)) + " " + fit("machine", idW) + " " + padLeft("id", idW0) + " " +
		fit("type", 6) + " " + fit("kind", 5) + "   called → changes"
	lines := []string{m.st.dim.Render(fit(header, w))}
	if len(shown) == 0 {
		lines = append(lines, m.st.dim.Render("no transitions yet"))
	}
	for _, a := range shown {
		lines = append(lines, m.rainRow(a, a.N == m.rain.cur, w, idW))
	}
	title := "rain · every machine · " + strconv.FormatUint(m.data.Arrived(), 10) + " transitions arrived"
	if notes := m.filter.notes(); len(notes) > 0 {
		title += " · " + strings.Join(notes, " · ")
	}
	return m.st.frame(title, lines, m.width, h+2, true)
}

// idW0 is the width of the rain's transition ID column.
const idW0 = 7

// rainRow formats one transition of the rain.
func (m *Model) rainRow(a store.Arrival, cursor bool, w, idW int) string {
	t := a.Tx
	mark, result := " ", "✓"
	if cursor {
		mark = "▶"
	}
	if !t.Msg.Accepted {
		result = "✗"
	}
	if len(t.Stuck()) > 0 {
		result += "⏱"
	} else {
		result += " "
	}
	kind := ""
	switch {
	case t.Msg.CheckOnly:
		kind = "check"
	case t.Msg.Auto:
		kind = "auto"
	}
	text := mark + " " + t.Msg.End.Format(timeLayout) + " " + fit(safe(a.Machine.ID()), idW) + " " +
		padLeft("#"+strconv.FormatUint(t.Msg.ID, 10), idW0) + " " + fit(t.Msg.Type.String(), 6) + " " + fit(kind, 5) + " " +
		result + " " + safeJoin(t.CalledNames())
	if ch := changeList(t); len(ch) > 0 {
		text += " → " + strings.Join(ch, " ")
	}
	switch {
	case cursor:
		return m.st.selected.Render(fit(text, w))
	case t.Failed():
		return m.st.failed.Render(text)
	case !t.Msg.Accepted:
		return m.st.canceled.Render(text)
	}
	return text
}
