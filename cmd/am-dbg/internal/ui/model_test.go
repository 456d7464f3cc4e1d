package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// orders is the model over the orders workflow, live and still connected,
// its cursor on the newest transition.
func orders(t *testing.T) *Model {
	t.Helper()
	l := startLive(t)
	runOrders(t, l.addr, stayLive)
	return newTestModel(t, l)
}

func wantOnScreen(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

func wantLine(t *testing.T, s string, parts ...string) {
	t.Helper()
	if lineWith(s, parts...) == "" {
		t.Errorf("no line with %q:\n%s", parts, s)
	}
}

// The first screen: the machine tree, the newest transition's states,
// the timeline, its details, the log and the status bar.
func TestLiveScreen(t *testing.T) {
	s := screen(orders(t))
	wantLine(t, s, "▸● orders", "5")
	wantLine(t, s, "● └ payment", "3")
	wantLine(t, s, "states · orders after #5")
	wantLine(t, s, "● Shipped", "1 +*")
	wantLine(t, s, "● Open", "1")
	wantLine(t, s, "○ Exception", "0")
	wantLine(t, s, "transitions 5/5")
	wantLine(t, s, "2", "add", "✗ Shipped")
	wantLine(t, s, "▶", "5", "add", "✓ Shipped")
	wantLine(t, s, "transition #5")
	wantLine(t, s, "✓ accepted +Shipped")
	wantLine(t, s, "1 Shipped requested")
	wantLine(t, s, "payment charged")
	wantLine(t, s, "listening 127.0.0.1:", "1 client", "orders history 5/5", "following")
	// the selected state's relations, both ways
	wantOnScreen(t, s, "─ Exception ─", "multi")
}

// Stepping back shows the states as they were right after each
// transition, with what it changed marked.
func TestTimeTravel(t *testing.T) {
	m := orders(t)
	press(m, "left")
	s := screen(m)
	wantLine(t, s, "states · orders after #4")
	wantLine(t, s, "● Paid", "1 +*")
	wantLine(t, s, "○ Shipped", "0")
	wantLine(t, s, "▶", "4", "✓ Paid")
	wantLine(t, s, "orders history 4/5", "paused")
	wantLine(t, s, "args amount=30")

	press(m, "home")
	s = screen(m)
	wantLine(t, s, "states · orders after #1")
	wantLine(t, s, "● Open", "1 +*")
	wantLine(t, s, "○ Paid", "0")
	wantLine(t, s, "history 1/5")

	press(m, "right", "right")
	wantLine(t, screen(m), "states · orders after #3")
	press(m, "end")
	wantLine(t, screen(m), "history 5/5", "paused")
	press(m, "f")
	wantLine(t, screen(m), "history 5/5", "following")
}

// A canceled transition's details say why, step by step.
func TestCanceledExplained(t *testing.T) {
	m := orders(t)
	press(m, "home", "right")
	s := screen(m)
	wantLine(t, s, "transition #2")
	wantLine(t, s, "✗ canceled: requirement not met: Shipped requires Paid")
	wantLine(t, s, "canceled: Shipped requires Paid, which cannot be active")
	// nothing changed: the states pane marks only the called state
	wantLine(t, s, "○ Shipped", "0  *")

	press(m, "right")
	s = screen(m)
	wantLine(t, s, "transition #3")
	wantLine(t, s, "canceled by PaidEnter")
}

// [ and ] jump between the transitions that touch the selected state.
func TestTouchingState(t *testing.T) {
	m := orders(t)
	press(m, "tab", "down", "down", "down") // states pane: Shipped
	wantLine(t, screen(m), "▸● Shipped")
	press(m, "home", "]")
	wantLine(t, screen(m), "transition #2")
	press(m, "]")
	wantLine(t, screen(m), "transition #5")
	press(m, "]") // none after: stays
	wantLine(t, screen(m), "transition #5")
	press(m, "[")
	wantLine(t, screen(m), "transition #2")
}

// c, a and t filter the timeline; the title says which filters are on.
func TestFilters(t *testing.T) {
	m := orders(t)
	press(m, "c")
	s := screen(m)
	wantLine(t, s, "transitions 3/3 · no canceled")
	if lineWith(s, "✗ Shipped") != "" || lineWith(s, "✗ Paid") != "" {
		t.Errorf("canceled transitions shown:\n%s", s)
	}
	press(m, "c", "tab", "down", "down", "t") // only transitions touching Paid
	s = screen(m)
	wantLine(t, s, "touching Paid")
	for _, id := range []string{"2", "3", "4"} {
		if lineWith(s, " "+id+" ", "add") == "" {
			t.Errorf("transition #%s touching Paid not shown:\n%s", id, s)
		}
	}
	// #2 touches Paid by its requirement; #1 and #5 do not touch it
	if lineWith(s, "✓ Open") != "" || lineWith(s, "✓ Shipped") != "" {
		t.Errorf("transitions not touching Paid shown:\n%s", s)
	}

	press(m, "t", "shift+tab", "down", "a") // payment, without auto
	s = screen(m)
	wantLine(t, s, "transitions 2/2 · no auto")
	if lineWith(s, "auto", "Receipt") != "" {
		t.Errorf("auto transition shown:\n%s", s)
	}
}

// / finds machines and states, selecting what it finds; esc goes back.
func TestSearch(t *testing.T) {
	m := orders(t)
	press(m, "/", "r", "e", "c")
	s := screen(m)
	wantLine(t, s, "/rec", "1 matches")
	wantLine(t, s, "▸● └ payment")
	wantLine(t, s, "▸● Receipt")
	wantOnScreen(t, s, "─ Receipt ─", "auto")
	wantLine(t, s, "requires", "Charged")
	press(m, "esc")
	wantLine(t, screen(m), "▸● orders")

	press(m, "/", "p", "a", "enter")
	s = screen(m)
	wantLine(t, s, "▸● orders") // the nearest match: orders' Paid
	wantLine(t, s, "▸● Paid")
	wantLine(t, s, "match 1/2 (n/N)")
	press(m, "n")
	s = screen(m)
	wantLine(t, s, "▸● └ payment")
	wantLine(t, s, "match 2/2")
}

// ? lists every key the UI answers to, on a tall screen and on a small
// one, where the help takes two columns.
func TestHelp(t *testing.T) {
	m := orders(t)
	for _, sz := range []tea.WindowSizeMsg{{Width: 160, Height: 48}, {Width: 120, Height: 30}} {
		m.Update(sz)
		press(m, "?")
		s := screen(m)
		for _, g := range m.keys.groups() {
			for _, k := range g.keys {
				wantLine(t, s, k.Help().Key, k.Help().Desc)
			}
		}
		wantLine(t, s, "✗ canceled")
		press(m, "x")
		wantLine(t, screen(m), "states · orders")
	}
}

// waitDisconnected follows the live store, as am-dbg does, until no
// client is connected and the selected machine is no longer live.
func waitDisconnected(t *testing.T, l *live, m *Model) {
	t.Helper()
	go l.data.Pump(l.inbox, 0)
	deadline := time.After(10 * time.Second)
	for {
		rev := l.data.Revision()
		l.data.RLock()
		done := l.data.Conns() == 0 && !m.mach.Live()
		l.data.RUnlock()
		if done {
			return
		}
		select {
		case <-l.data.Changed(rev):
			m.Update(changedMsg{})
		case <-deadline:
			t.Fatalf("the connection never ended:\n%s", screen(m))
		}
	}
}

// Machines whose client went away without disposing them, as after a
// crash, are marked gone, and the client count drops.
func TestDisconnected(t *testing.T) {
	l := startLive(t)
	runOrders(t, l.addr, vanish)
	m := newTestModel(t, l)
	waitDisconnected(t, l, m)
	s := screen(m)
	wantLine(t, s, "▸○ orders")
	wantLine(t, s, "○ └ payment")
	wantLine(t, s, "0 clients")
}

// A submachine disposed while its parent runs is marked disposed at once,
// its parent still running; after the parent's disposal both stay marked
// disposed once the client is gone.
func TestDisposed(t *testing.T) {
	l := startLive(t)
	runOrders(t, l.addr, disposePayment)
	m := newTestModel(t, l)
	s := screen(m)
	wantLine(t, s, "▸● orders", "5")
	wantLine(t, s, "✕ └ payment", "3")
	wantLine(t, s, "1 client")

	l = startLive(t)
	runOrders(t, l.addr, disposeAll)
	m = newTestModel(t, l)
	waitDisconnected(t, l, m)
	s = screen(m)
	wantLine(t, s, "▸✕ orders")
	wantLine(t, s, "✕ └ payment")
	wantLine(t, s, "0 clients")
}

// The legend explains every machine marker.
func TestHelpLegend(t *testing.T) {
	m := orders(t)
	press(m, "?")
	s := screen(m)
	wantLine(t, s, "● running", "✕ disposed")
	wantLine(t, s, "○ its client went away without disposing it")
}

func TestSmallTerminal(t *testing.T) {
	m := New(store.New(nil), nil)
	m.Update(keyMsg("j"))
	m.width, m.height = 40, 10
	wantOnScreen(t, screen(m), "at least 60x16")
}
