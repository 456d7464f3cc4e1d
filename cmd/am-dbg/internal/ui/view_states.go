package ui

import (
	"strconv"
	"strings"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// noSchema stands in before any machine is known.
var noSchema = store.NewSchema(&dbg.DbgMsgStruct{})

// statesAt returns the selected machine's states as they were right after
// the transition under the cursor: its schema, its clocks, and the
// transition itself (nil before the first one, showing the latest clocks
// known).
func (m *Model) statesAt() (*store.Schema, am.Time, *store.Tx) {
	if m.mach == nil {
		return noSchema, nil, nil
	}
	if t := m.tl.current(); t != nil {
		return t.Schema, t.Msg.Clocks, t
	}
	return m.mach.Schema(), m.mach.Clocks(), nil
}

// statesSchema returns the schema the states pane shows.
func (m *Model) statesSchema() *store.Schema {
	sch, _, _ := m.statesAt()
	return sch
}

// stateRow returns the selected state's row in the states pane.
func (m *Model) stateRow() int {
	if i, ok := m.statesSchema().Index[m.state]; ok {
		return i
	}
	return 0
}

// statesPane lists the states after the cursor's transition, with what
// that transition changed, then the selected state's relations both ways.
// A row reads: active (●) or not (○), name, clock, and the change: +
// activated, - deactivated, ↻ activated again (Multi); * marks a state the
// mutation called.
func (m *Model) statesPane(sz size) []string {
	rows, w := sz.h-2, sz.w-2
	sch, clocks, t := m.statesAt()
	rel := m.relationLines(sch, w)
	listRows := stateListRows(rows, len(rel))
	names := sch.Names()

	clockW := 1
	for _, c := range clocks {
		clockW = max(clockW, len(strconv.FormatUint(c, 10)))
	}
	sel := m.stateRow()

	lines := make([]string, 0, rows)
	for i := m.stateTop; i < len(names) && len(lines) < listRows; i++ {
		name := names[i]
		tick := sch.Tick(clocks, name)
		marker, chg, called := "○", " ", " "
		if tick%2 == 1 {
			marker = "●"
		}
		var c store.Change
		if t != nil {
			c = t.Change(name)
			chg = [...]string{store.Unchanged: " ", store.Activated: "+", store.Deactivated: "-", store.Reactivated: "↻"}[c]
			if t.Called(name) {
				called = "*"
			}
		}
		nameW := max(w-7-clockW, 1)
		text := fit(safe(name), nameW) + " " + padLeft(strconv.FormatUint(tick, 10), clockW) + " " + chg + called
		switch {
		case i == sel:
			lines = append(lines, m.st.selected.Render("▸"+marker+" "+text))
		case c != store.Unchanged:
			lines = append(lines, " "+m.st.changed.Render(marker+" "+text))
		case tick%2 == 1:
			lines = append(lines, " "+m.st.active.Render(marker)+" "+m.calledStyle(called, text))
		default:
			lines = append(lines, " "+m.st.dim.Render(marker)+" "+m.calledStyle(called, text))
		}
	}
	for len(lines) < listRows {
		lines = append(lines, "")
	}
	lines = append(lines, rel...)

	title := "states"
	if m.mach != nil {
		title += " · " + safe(m.mach.ID())
		if t != nil {
			title += " after #" + strconv.FormatUint(t.Msg.ID, 10)
		}
	}
	return m.st.frame(title, lines, sz.w, sz.h, m.focus == paneStates)
}

// stateListRows is how many of a states pane's rows list states, the
// rest showing relations, which get at most half.
func stateListRows(rows, relLines int) int { return max(rows-relLines, rows/2) }

func (m *Model) calledStyle(called, text string) string {
	if called == "*" {
		return m.st.called.Render(text)
	}
	return text
}

// relationLines describes the selected state: its flags, and each
// relation in both directions, the states it names and the states naming
// it.
func (m *Model) relationLines(sch *store.Schema, w int) []string {
	if !sch.Has(m.state) {
		return nil
	}
	def := sch.Msg.Schema[m.state]
	out, in := sch.Outbound(m.state), sch.Inbound[m.state]
	head := "─ " + safe(m.state) + " "
	lines := []string{m.st.heading.Render(head + strings.Repeat("─", max(w-len([]rune(head)), 0)))}
	var flags []string
	if def.Auto {
		flags = append(flags, "auto")
	}
	if def.Multi {
		flags = append(flags, "multi")
	}
	if len(def.Tags) > 0 {
		flags = append(flags, "tags "+safeJoin(def.Tags))
	}
	if len(flags) > 0 {
		lines = append(lines, strings.Join(flags, " · "))
	}
	for _, r := range []struct {
		label  string
		states am.S
	}{
		{"requires", out.Require}, {"required by", in.Require},
		{"adds", out.Add}, {"added by", in.Add},
		{"removes", out.Remove}, {"removed by", in.Remove},
		{"after", out.After}, {"before", in.After},
	} {
		if len(r.states) > 0 {
			lines = append(lines, m.st.dim.Render(fit(r.label, 12))+safeJoin(r.states))
		}
	}
	if len(lines) == 1 {
		lines = append(lines, m.st.dim.Render("no relations"))
	}
	return lines
}
