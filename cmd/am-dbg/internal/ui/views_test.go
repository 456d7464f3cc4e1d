package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// m opens the relations matrix of the selected machine: a row says what
// its state declares of each column's; up and down select states, m and
// esc go back.
func TestMatrixView(t *testing.T) {
	m := orders(t)
	press(m, "m")
	s := screen(m)
	wantLine(t, s, "relations · orders · 4 states · active after #5")
	wantLine(t, s, "R requires · A adds · X removes · > after")
	names := m.statesSchema().Names()
	col := func(name string) int { return m.statesSchema().Index[name] }
	// Paid requires Open, Shipped requires Paid
	for _, tc := range []struct{ row, req string }{{"Paid", "Open"}, {"Shipped", "Paid"}} {
		line := lineWith(s, " "+tc.row+" ")
		cells := strings.Fields(line[strings.Index(line, tc.row)+len(tc.row):])
		if len(cells) < len(names) || cells[col(tc.req)] != "R" {
			t.Errorf("row %s: cells %q, want R under %s (column %d)", tc.row, cells, tc.req, col(tc.req))
		}
	}
	press(m, "down")
	s = screen(m)
	wantLine(t, s, "▸", names[1])
	wantOnScreen(t, s, "─ "+names[1]+" ─")
	press(m, "m")
	wantLine(t, screen(m), "states · orders after #5")
	press(m, "m", "esc")
	wantLine(t, screen(m), "states · orders after #5")
}

// r opens the rain: every machine's transitions in the order they
// arrived, a line each, the cursor on the newest; enter opens the
// cursor's transition in the panes.
func TestRainView(t *testing.T) {
	m := orders(t)
	press(m, "r")
	s := screen(m)
	wantLine(t, s, "rain · every machine · 8 transitions arrived")
	wantLine(t, s, "orders", "#2", "add", "✗", "Shipped")
	wantLine(t, s, "payment", "#3", "auto", "✓", "Receipt", "→ +Receipt")
	wantLine(t, s, "▶", "orders", "#5", "✓", "Shipped", "→ +Shipped")
	wantLine(t, s, "rain following")
	// payment's transitions came between orders' #3 and #4
	if strings.Index(s, "payment    #1") > strings.Index(s, "orders     #4") {
		t.Errorf("rain out of arrival order:\n%s", s)
	}
	press(m, "up", "up")
	s = screen(m)
	wantLine(t, s, "▶", "payment", "#3")
	wantLine(t, s, "rain paused")
	press(m, "c")
	s = screen(m)
	wantLine(t, s, "no canceled")
	if lineWith(s, "✗") != "" {
		t.Errorf("canceled transitions in the rain:\n%s", s)
	}
	press(m, "enter")
	s = screen(m)
	wantLine(t, s, "states · payment after #3")
	wantLine(t, s, "transition #3")
	wantLine(t, s, "payment history 3/3", "paused")
}

// records returns a store holding msgs, as read from a recording.
func records(msgs ...dbg.DbgMsg) *store.Store {
	data := store.New(nil)
	for _, msg := range msgs {
		data.AddRecord(&recording.Record{ClientID: "c", Conn: 1, Msg: msg})
	}
	return data
}

// jobs is a machine whose transitions exercise the filters: #1 accepted,
// #2 empty, #3 a check, #4 stuck in a handler past its timeout, #5
// activating Exception, #6 canceled.
func jobs() *store.Store {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	names := am.S{am.Exception, "Idle", "Work"}
	tx := func(id uint64, clocks am.Time, called int, mod func(*dbg.DbgMsgTx)) *dbg.DbgMsgTx {
		t := &dbg.DbgMsgTx{MachineID: "jobs", ID: id, Clocks: clocks, Type: am.MutationAdd, Called: []int{called},
			Accepted: true, Steps: []am.Step{{Type: am.StepRequested, State: called, Related: -1}},
			Start: at.Add(time.Duration(id) * time.Second), End: at.Add(time.Duration(id) * time.Second),
			Logs: []am.LogEntry{
				{Level: am.LogLevelChanges, Text: "change of #" + string(rune('0'+id))},
				{Level: am.LogLevelEverything, Text: "handler of #" + string(rune('0'+id))},
			}}
		if mod != nil {
			mod(t)
		}
		return t
	}
	return records(
		&dbg.DbgMsgStruct{MachineID: "jobs", StateNames: names, Clocks: am.Time{0, 0, 0},
			Schema: am.Schema{am.Exception: {Multi: true}, "Idle": {Remove: am.S{"Work"}}, "Work": {Remove: am.S{"Idle"}}}},
		tx(1, am.Time{0, 1, 0}, 1, nil),
		tx(2, am.Time{0, 1, 0}, 1, nil),
		tx(3, am.Time{0, 1, 0}, 2, func(t *dbg.DbgMsgTx) { t.CheckOnly = true }),
		tx(4, am.Time{0, 2, 1}, 2, func(t *dbg.DbgMsgTx) {
			t.Steps = append(t.Steps, am.Step{Type: am.StepHandlerTimeout, State: 2, Related: -1, Handler: "WorkState"})
		}),
		tx(5, am.Time{1, 2, 1}, 0, nil),
		tx(6, am.Time{1, 2, 1}, 1, func(t *dbg.DbgMsgTx) { t.Accepted, t.Err = false, "canceled by IdleEnter" }),
	)
}

// x hides checks, e empty transitions (a check changes nothing either);
// the title says so.
func TestFilterEmptyAndChecks(t *testing.T) {
	m := New(jobs(), nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	s := screen(m)
	wantLine(t, s, "transitions 6/6")
	wantLine(t, s, "3", "check", "✓ Work")
	press(m, "x")
	s = screen(m)
	wantLine(t, s, "transitions 5/5 · no checks")
	if lineWith(s, "check", "✓ Work") != "" {
		t.Errorf("the check #3 shown:\n%s", s)
	}
	press(m, "e")
	s = screen(m)
	wantLine(t, s, "transitions 4/4 · no empty · no checks")
	if lineWith(s, "      2 15:04:07") != "" {
		t.Errorf("the empty transition #2 shown:\n%s", s)
	}
	press(m, "r")
	wantLine(t, screen(m), "rain", "no empty · no checks")
	press(m, "esc", "x")
	wantLine(t, screen(m), "transitions 4/4 · no empty")
}

// A transition whose handler overran its timeout shows it, in the
// timeline, the details and the rain; one that went wrong is red in the
// rain.
func TestStuckHandler(t *testing.T) {
	m := New(jobs(), nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	press(m, "home", "right", "right", "right")
	s := screen(m)
	wantLine(t, s, "▶", "4", "✓ ⏱ Work")
	wantLine(t, s, "⏱ stuck: WorkState overran its timeout")
	wantLine(t, s, "2 WorkState returned after its deadline")
	press(m, "r")
	s = screen(m)
	wantLine(t, s, "jobs", "#4", "✓⏱ Work")
	raw := m.View().Content
	failed := strings.SplitN(m.st.failed.Render("\x00"), "\x00", 2)[0]
	for _, id := range []string{"#4", "#5"} {
		if line := rawLineWith(raw, id); !strings.HasPrefix(line, failed) {
			t.Errorf("transition %s not highlighted: %q", id, line)
		}
	}
	if line := rawLineWith(raw, "#1 "); strings.HasPrefix(line, failed) {
		t.Errorf("transition #1 highlighted: %q", line)
	}
}

// rawLineWith returns the line of a frame's content, with its styles,
// that holds s, without the frame's borders.
func rawLineWith(raw, s string) string {
	for _, line := range strings.Split(raw, "\n") {
		if i := strings.Index(line, s); i >= 0 {
			_, inner, _ := strings.Cut(line, "│")
			return strings.TrimPrefix(inner, "\x1b[m")
		}
	}
	return ""
}

// L shows fewer log entries each press, then all again.
func TestLogLevel(t *testing.T) {
	m := New(jobs(), nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	s := screen(m)
	wantLine(t, s, "handler of #6")
	press(m, "L")
	s = screen(m)
	wantLine(t, s, "log · jobs · up to decisions")
	wantLine(t, s, "change of #6")
	if lineWith(s, "handler of #") != "" {
		t.Errorf("entries of level everything shown:\n%s", s)
	}
	press(m, "L", "L")
	s = screen(m)
	wantLine(t, s, "log · jobs · up to changes")
	wantLine(t, s, "change of #6")
	if lineWith(s, "handler of #") != "" {
		t.Errorf("entries above the level shown:\n%s", s)
	}
	press(m, "L")
	s = screen(m)
	wantLine(t, s, "log · jobs ─")
	wantLine(t, s, "handler of #6")
}

// < and > jump 100 transitions.
func TestJump100(t *testing.T) {
	data := store.New(nil)
	syn := storetest.New()
	syn.Machine(data, "m", "")
	syn.Txs(data, "m", 250)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	press(m, "home", ">")
	wantLine(t, screen(m), "m history 101/250")
	press(m, ">", ">")
	wantLine(t, screen(m), "m history 250/250")
	press(m, "<")
	wantLine(t, screen(m), "m history 150/250")
	press(m, "r", "<")
	wantLine(t, screen(m), "▶", "#150")
}

// click returns the message of a left click at x, y.
func click(x, y int) tea.MouseClickMsg { return tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft} }

// A click selects a machine, a state or a transition; the wheel scrolls
// the pane under the pointer.
func TestMouse(t *testing.T) {
	m := orders(t)
	l := m.layout()
	// the second machine's row: the border, then orders, then payment
	m.Update(click(3, 2))
	s := screen(m)
	wantLine(t, s, "▸● └ payment")
	wantLine(t, s, "states · payment after #3")
	// payment's second state, in the states pane
	m.Update(click(l.machines.w+3, 2))
	name := m.statesSchema().Names()[1]
	wantLine(t, screen(m), "▸", name)
	// the timeline's first transition: the border, then the header
	m.Update(click(l.machines.w+l.states.w+3, 2))
	s = screen(m)
	wantLine(t, s, "▶", "1", "Charging")
	wantLine(t, s, "payment history 1/3", "paused")
	m.Update(tea.MouseWheelMsg{X: l.machines.w + l.states.w + 3, Y: 5, Button: tea.MouseWheelDown})
	wantLine(t, screen(m), "payment history 3/3")
	m.Update(tea.MouseWheelMsg{X: 3, Y: 5, Button: tea.MouseWheelUp})
	wantLine(t, screen(m), "▸● orders")

	// in the rain, a click selects a row
	press(m, "r")
	m.Update(click(10, 3))
	wantLine(t, screen(m), "▶", "orders", "#2")
}

// d writes the selected machine's diagrams, Mermaid and DOT, to the
// directory, marking the transition under the cursor.
func TestDiagrams(t *testing.T) {
	dir := t.TempDir()
	data := jobs()
	m := New(data, &Options{Dir: dir})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	press(m, "home", "right", "right", "right")
	_, cmd := m.Update(keyMsg("d"))
	if cmd == nil {
		t.Fatal("d returned no command")
	}
	m.Update(cmd())
	wantLine(t, screen(m), "wrote jobs.mmd, jobs.dot at #4 to "+dir)
	mmd, err := os.ReadFile(filepath.Join(dir, "jobs.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	dot, err := os.ReadFile(filepath.Join(dir, "jobs.dot"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"%% machine jobs", `["Work"]`, "remove"} {
		if !strings.Contains(string(mmd), want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mmd)
		}
	}
	if !strings.Contains(string(dot), "digraph") || !strings.Contains(string(dot), `"Work"`) {
		t.Errorf("DOT:\n%s", dot)
	}
	// #4 called Work, and changed Idle and Work: highlighted differently
	// from the plain drawing at #1
	press(m, "home")
	_, cmd = m.Update(keyMsg("d"))
	m.Update(cmd())
	first, _ := os.ReadFile(filepath.Join(dir, "jobs.mmd"))
	if string(first) == string(mmd) {
		t.Error("the diagram does not follow the cursor")
	}
}

// Control characters a peer put in names, args, errors and logs reach the
// screen escaped, never as control sequences.
func TestEscapesPeerText(t *testing.T) {
	evil := "\x1b[2J\x1b]0;pwned\x07"
	data := records(
		&dbg.DbgMsgStruct{MachineID: "m" + evil, StateNames: am.S{am.Exception, "S" + evil}, Clocks: am.Time{0, 0}},
		&dbg.DbgMsgTx{MachineID: "m" + evil, ID: 1, Clocks: am.Time{0, 0}, Called: []int{1}, Err: "no" + evil,
			Args: map[string]string{"k" + evil: "v" + evil}, Logs: []am.LogEntry{{Text: "log" + evil}}},
	)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 48})
	for _, keys := range [][]string{nil, {"m"}, {"r"}} {
		press(m, keys...)
		raw := m.View().Content
		if strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\x1b]0;") || strings.Contains(raw, "\x07") {
			t.Errorf("after %q, a control sequence reached the screen:\n%q", keys, raw)
		}
		wantOnScreen(t, screen(m), `m\x1b[2J`)
		press(m, "esc")
	}
}

// Every view fits every screen, from the smallest to a large one, with
// no machine, a small one, and one of 120 states: each line exactly the
// screen's width.
func TestViewsFit(t *testing.T) {
	names := am.S{am.Exception}
	sch := am.Schema{am.Exception: {Multi: true}}
	for i := range 119 {
		n := "LongStateName" + strings.Repeat("x", i%30) + string(rune('A'+i%26)) + string(rune('a'+i/26))
		names = append(names, n)
		sch[n] = am.State{Require: am.S{names[max(i, 1)]}}
	}
	big := records(&dbg.DbgMsgStruct{MachineID: "big", StateNames: names, Schema: sch, Clocks: make(am.Time, len(names))})
	for _, data := range []*store.Store{store.New(nil), jobs(), big} {
		for _, sz := range []tea.WindowSizeMsg{{Width: minWidth, Height: minHeight}, {Width: 200, Height: 60}} {
			for _, keys := range [][]string{nil, {"m"}, {"m", "end", "pgdown"}, {"r"}, {"r", "home"}, {"?"}} {
				m := New(data, nil)
				m.Update(sz)
				press(m, keys...)
				lines := strings.Split(screen(m), "\n")
				if len(lines) != sz.Height {
					t.Errorf("%dx%d after %q: %d lines", sz.Width, sz.Height, keys, len(lines))
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w != sz.Width {
						t.Errorf("%dx%d after %q: line %d is %d wide: %q", sz.Width, sz.Height, keys, i, w, l)
						break
					}
				}
			}
		}
	}
}
