package ui

import (
	"slices"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// logPane shows the selected machine's log up to the transition under
// the cursor, newest at the bottom; the cursor's own entries are bright,
// older ones dim. Scrolling moves back from the bottom.
func (m *Model) logPane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	lines := m.logLines(rows + m.logBack)
	lines = lines[:max(len(lines)-m.logBack, 0)]
	if len(lines) > rows {
		lines = lines[len(lines)-rows:]
	}
	if len(lines) == 0 {
		lines = append(lines, m.st.dim.Render(fit("no log entries up to here", w)))
	}
	title := "log"
	if m.mach != nil {
		title += " · " + safe(m.mach.ID())
	}
	if m.logLevel < am.LogLevelEverything {
		title += " · up to " + m.logLevel.String()
	}
	return m.st.frame(title, lines, sz.w, sz.h, m.focus == paneLog)
}

// logLines returns up to want of the newest log lines up to the cursor,
// oldest first.
func (m *Model) logLines(want int) []string {
	t := m.tl.current()
	if t == nil {
		return nil
	}
	var lines []string
	// walk back from the cursor through the whole history, filters aside:
	// the log is what happened, shown or not
	h := m.mach.History()
	for seq := t.Seq + 1; seq > h.First() && len(lines) < want; seq-- {
		past := h.At(seq - 1)
		lines = m.appendLog(lines, past.Msg.Logs, past == t, want)
		lines = m.appendLog(lines, past.Msg.LogsBefore, false, want)
	}
	slices.Reverse(lines)
	return lines
}

// appendLog appends entries newest first, up to want lines in all.
func (m *Model) appendLog(lines []string, entries []am.LogEntry, bright bool, want int) []string {
	for i := len(entries) - 1; i >= 0 && len(lines) < want; i-- {
		e := entries[i]
		if !m.logShown(e) {
			continue
		}
		line := m.st.dim.Render(e.Time.Format(timeLayout) + " " + safe(e.Text))
		if bright {
			line = m.st.dim.Render(e.Time.Format(timeLayout)) + " " + safe(e.Text)
		}
		lines = append(lines, line)
	}
	return lines
}

// logShown reports whether the log level filter shows the entry. An
// entry without a level, from an older client, always shows.
func (m *Model) logShown(e am.LogEntry) bool { return e.Level <= m.logLevel }
