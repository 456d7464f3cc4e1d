package ui

import (
	"strconv"
	"strings"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// timeLayout is the time of day to the millisecond: enough to read the
// pace of a timeline; the details show microseconds.
const timeLayout = "15:04:05.000"

// idW is the width of the timeline's ID column.
const idW = 6

// timelinePane lists the selected machine's transitions as the filters
// show them, the cursor's marked ▶. A row reads: ID, end time, mutation
// type, auto, queue length, accepted (✓) or canceled (✗), called states.
func (m *Model) timelinePane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	lines := make([]string, 0, rows)
	header := " " + padLeft("id", idW) + " " + fit("time", len(timeLayout)) + " " + fit("type", 6) + " " +
		fit("auto", 6) + padLeft("q", 3) + "   called"
	lines = append(lines, m.st.dim.Render(fit(header, w)))
	n := m.tl.len()
	switch {
	case m.mach == nil:
	case n == 0 && m.mach.History().Next() == 0:
		lines = append(lines, m.st.dim.Render("no transitions yet"))
	case n == 0:
		lines = append(lines, m.st.dim.Render("no transition matches the filters"))
	}
	cur := -1
	if n > 0 {
		cur = m.tl.pos(m.tl.cur)
	}
	for p := m.tl.top; p < n && len(lines) < rows; p++ {
		lines = append(lines, m.timelineRow(m.tl.at(p), p == cur, w))
	}
	return m.st.frame(m.timelineTitle(), lines, sz.w, sz.h, m.focus == paneTimeline)
}

// timelineRow formats one transition; the cursor's row is plain text in
// reverse video, the others have colored columns.
func (m *Model) timelineRow(t *store.Tx, cursor bool, w int) string {
	mark, result, resultStyle := " ", "✓", m.st.accepted
	if cursor {
		mark = "▶"
	}
	if !t.Msg.Accepted {
		result, resultStyle = "✗", m.st.canceled
	}
	auto := ""
	switch {
	case t.Msg.CheckOnly:
		auto = "check"
	case t.Msg.Auto:
		auto = "auto"
	}
	id := padLeft(strconv.FormatUint(t.Msg.ID, 10), idW)
	end := t.Msg.End.Format(timeLayout)
	typ := fit(t.Msg.Type.String(), 6)
	q := padLeft(strconv.Itoa(t.Msg.QueueLen), 3)
	called := safeJoin(t.CalledNames())
	if len(t.Stuck()) > 0 {
		called = "⏱ " + called
	}
	if cursor {
		return m.st.selected.Render(fit(mark+id+" "+end+" "+typ+" "+fit(auto, 6)+q+" "+result+" "+called, w))
	}
	return mark + id + " " + m.st.dim.Render(end) + " " + typ + " " + m.st.auto.Render(auto) + strings.Repeat(" ", 6-len(auto)) +
		q + " " + resultStyle.Render(result) + " " + called
}

// timelineTitle says where the cursor is, which filters are on, and how
// much history was evicted.
func (m *Model) timelineTitle() string {
	title := "transitions"
	if m.mach == nil {
		return title
	}
	if n := m.tl.len(); n > 0 {
		title += " " + strconv.Itoa(m.tl.pos(m.tl.cur)+1) + "/" + strconv.Itoa(n)
	}
	notes := m.filter.notes()
	if m.tl.f.touching != "" {
		notes = append(notes, "touching "+safe(m.tl.f.touching))
	}
	if h := m.mach.History(); h.First() > 0 {
		notes = append(notes, strconv.FormatUint(h.First(), 10)+" older evicted")
	}
	if len(notes) > 0 {
		title += " · " + strings.Join(notes, " · ")
	}
	return title
}
