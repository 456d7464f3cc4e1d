package ui

import (
	"strconv"
	"strings"
)

// timeLayout is the time of day to the millisecond: enough to read the
// pace of a timeline; the details show microseconds.
const timeLayout = "15:04:05.000"

// timelinePane lists the selected machine's transitions as the filters
// show them, the cursor's marked ▶. A row reads: ID, end time, mutation
// type, auto, queue length, accepted (✓) or canceled (✗), called states.
func (m *Model) timelinePane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	lines := make([]string, 0, rows)
	const idW = 6
	header := " " + padLeft("id", idW) + " " + fit("time", len(timeLayout)) + " " + fit("type", 6) + " " +
		fit("auto", 6) + padLeft("q", 3) + "   called"
	lines = append(lines, m.st.dim.Render(fit(header, w)))
	n := m.tl.len()
	switch {
	case m.mach == nil:
	case n == 0 && m.mach.hist.next == 0:
		lines = append(lines, m.st.dim.Render("no transitions yet"))
	case n == 0:
		lines = append(lines, m.st.dim.Render("no transition matches the filters"))
	}
	cur := -1
	if n > 0 {
		cur = m.tl.pos(m.tl.cur)
	}
	for p := m.tl.top; p < n && len(lines) < rows; p++ {
		t := m.tl.at(p)
		id := padLeft(strconv.FormatUint(t.msg.ID, 10), idW)
		typ := fit(t.msg.Type.String(), 6)
		auto := "      "
		if t.msg.Auto {
			auto = m.st.auto.Render("auto") + "  "
		}
		q := padLeft(strconv.Itoa(t.msg.QueueLen), 3)
		result := m.st.accepted.Render("✓")
		if !t.msg.Accepted {
			result = m.st.canceled.Render("✗")
		}
		called := strings.Join(t.calledNames(), " ")
		if p == cur {
			mark := "✓"
			if !t.msg.Accepted {
				mark = "✗"
			}
			autoText := "    "
			if t.msg.Auto {
				autoText = "auto"
			}
			line := "▶" + id + " " + t.msg.End.Format(timeLayout) + " " + typ + " " + autoText + "  " + q + " " + mark + " " + called
			lines = append(lines, m.st.selected.Render(fit(line, w)))
			continue
		}
		lines = append(lines, " "+id+" "+m.st.dim.Render(t.msg.End.Format(timeLayout))+" "+typ+" "+auto+q+" "+result+" "+called)
	}
	return m.st.frame(m.timelineTitle(), lines, sz.w, sz.h, m.focus == paneTimeline)
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
	var notes []string
	if m.filter.hideCanceled {
		notes = append(notes, "no canceled")
	}
	if m.filter.hideAuto {
		notes = append(notes, "no auto")
	}
	if m.tl.f.touching != "" {
		notes = append(notes, "touching "+m.tl.f.touching)
	}
	if h := m.mach.hist; h.first > 0 {
		notes = append(notes, strconv.FormatUint(h.first, 10)+" older evicted")
	}
	if len(notes) > 0 {
		title += " · " + strings.Join(notes, " · ")
	}
	return title
}
