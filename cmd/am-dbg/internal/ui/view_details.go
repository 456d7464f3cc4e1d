package ui

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// detailTimeLayout shows microseconds, to tell apart transitions that ran
// within the same millisecond.
const detailTimeLayout = "15:04:05.000000"

// detailsPane explains the transition under the cursor: what was asked,
// the outcome and what changed, every step the machine decided (with how
// long each handler ran, when the client timed them), the args and the
// log entries made while it ran.
func (m *Model) detailsPane(sz size) []string {
	title := "details"
	if t := m.tl.current(); t != nil {
		title = "transition #" + strconv.FormatUint(t.Msg.ID, 10)
	}
	lines := m.detailLines(sz.w - 2)
	return m.st.frame(title, lines[min(m.detailsTop, len(lines)):], sz.w, sz.h, m.focus == paneDetails)
}

// detailLines returns the details pane's content, unscrolled, wrapped
// to w cells: explanations are what this pane is for, so they are never
// cut. A handler stuck in the selected machine now comes first, whatever
// transition the cursor is on: its own transition has not arrived.
func (m *Model) detailLines(w int) []string {
	var lines []string
	if m.mach != nil {
		if s := m.mach.Stuck(); s != nil {
			lines = append(lines, m.st.failed.Render(stuckLine(s)))
		}
	}
	if t := m.tl.current(); t != nil {
		lines = append(lines, m.txLines(t)...)
	} else {
		lines = append(lines, m.machineLines()...)
	}
	wrapped := make([]string, 0, len(lines))
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			wrapped = append(wrapped, l)
			continue
		}
		wrapped = append(wrapped, strings.Split(ansi.Wrap(l, w, " "), "\n")...)
	}
	return wrapped
}

// stuckLine says which handler is stuck, in which transition, and how
// long it had run when the client saw it overrun.
func stuckLine(s *store.Stuck) string {
	return "⏱ stuck now: " + safe(s.Handler) + " in #" + strconv.FormatUint(s.TxID, 10) +
		" still running after " + s.Elapsed.Round(time.Millisecond).String() +
		" (seen " + s.Time.Format(timeLayout) + ")"
}

// machineLines describe the selected machine, before it has transitions.
func (m *Model) machineLines() []string {
	if m.mach == nil {
		return []string{m.st.dim.Render("no machine yet: bind pkg/telemetry/dbg, or run a program with AM_DBG_ADDR set")}
	}
	lines := []string{m.st.heading.Render("machine " + safe(m.mach.ID()))}
	if m.mach.Parent() != "" {
		lines = append(lines, "parent "+safe(m.mach.Parent()))
	}
	if len(m.mach.Tags()) > 0 {
		lines = append(lines, "tags "+safeJoin(m.mach.Tags()))
	}
	return append(lines, strconv.Itoa(len(m.mach.Schema().Names()))+" states, no transition shown")
}

func (m *Model) txLines(t *store.Tx) []string {
	msg := t.Msg
	head := m.st.heading.Render("#"+strconv.FormatUint(msg.ID, 10)+" ["+msg.Type.String()+"]") +
		" " + m.st.called.Render(safeJoin(t.CalledNames()))
	if msg.Auto {
		head += " " + m.st.auto.Render("auto")
	}
	lines := []string{head}
	if msg.Accepted {
		lines = append(lines, m.st.accepted.Render("✓ accepted")+" "+m.changeSummary(t))
	} else {
		lines = append(lines, m.st.canceled.Render("✗ canceled: "+safe(msg.Err)))
	}
	for _, h := range t.Stuck() {
		lines = append(lines, m.st.failed.Render("⏱ stuck: "+safe(h)+" overran its timeout"))
	}
	if msg.CheckOnly {
		lines = append(lines, m.st.auto.Render("check: a dry run, nothing was applied"))
	}
	lines = append(lines, m.st.dim.Render(msg.Start.Format(detailTimeLayout)+" · took "+
		msg.End.Sub(msg.Start).String()+" · queue "+strconv.Itoa(msg.QueueLen)+
		" · queue tick "+strconv.FormatUint(msg.QueueTick, 10)))
	if !msg.Source.IsZero() {
		lines = append(lines, "from "+msg.Source.MachineID+" #"+strconv.FormatUint(msg.Source.TxID, 10))
	}
	if len(msg.Args) > 0 {
		var args []string
		for _, k := range slices.Sorted(maps.Keys(msg.Args)) {
			args = append(args, safe(k)+"="+safe(msg.Args[k]))
		}
		lines = append(lines, "args "+strings.Join(args, " "))
	}
	lines = append(lines, m.st.heading.Render("steps"))
	if len(msg.Steps) == 0 {
		lines = append(lines, m.st.dim.Render("  none recorded"))
	}
	durations := t.StepDurations()
	for i, s := range msg.Steps {
		text := "  " + padLeft(strconv.Itoa(i+1), 2) + " " + safe(s.Describe(t.Schema.Names()))
		if durations != nil && s.Type == am.StepHandler {
			text += " in " + handlerTime(durations[i])
		}
		if s.Type.Failed() {
			text = m.st.canceled.Render(text)
		}
		lines = append(lines, text)
	}
	if len(msg.LogsBefore)+len(msg.Logs) > 0 {
		lines = append(lines, m.st.heading.Render("log"))
		for _, e := range msg.LogsBefore {
			if m.logShown(e) {
				lines = append(lines, m.st.dim.Render("  "+e.Time.Format(timeLayout)+" "+safe(e.Text)))
			}
		}
		for _, e := range msg.Logs {
			if m.logShown(e) {
				lines = append(lines, "  "+m.st.dim.Render(e.Time.Format(timeLayout))+" "+safe(e.Text))
			}
		}
	}
	return lines
}

// handlerTime formats how long a handler ran: to the microsecond, or to
// the nanosecond below one.
func handlerTime(d time.Duration) string {
	if d < time.Microsecond {
		return d.String()
	}
	return d.Round(time.Microsecond).String()
}

// changeSummary lists what the transition changed: +activated,
// -deactivated, ↻activated again.
func (m *Model) changeSummary(t *store.Tx) string {
	out := changeList(t)
	if len(out) == 0 {
		return m.st.dim.Render("no state changed")
	}
	return m.st.changed.Render(strings.Join(out, " "))
}

// changeList returns what the transition changed, escaped: +activated,
// -deactivated, ↻activated again.
func changeList(t *store.Tx) []string {
	var out []string
	for _, name := range t.Schema.Names() {
		switch t.Change(name) {
		case store.Activated:
			out = append(out, "+"+safe(name))
		case store.Deactivated:
			out = append(out, "-"+safe(name))
		case store.Reactivated:
			out = append(out, "↻"+safe(name))
		}
	}
	return out
}
