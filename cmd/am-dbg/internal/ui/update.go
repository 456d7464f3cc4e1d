package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Update applies a message: a key, a new window size, or news from the
// store.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.data.RLock()
	defer m.data.RUnlock()
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case changedMsg:
		m.rev = m.data.Revision()
		m.refresh()
		cmd = m.waitChange()
	case tea.KeyPressMsg:
		m.notice = ""
		cmd = m.key(msg)
	case tea.MouseClickMsg, tea.MouseWheelMsg:
		if !m.help && !m.search.typing {
			m.notice = ""
			m.mouse(msg)
		}
	case diagramsMsg:
		m.notice = msg.notice()
	}
	m.settle()
	return m, cmd
}

// key handles a key press; the help screen and the search input take
// keys before the panes do.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case m.search.typing:
		return m.searchKey(msg)
	case m.help:
		if msg.String() == "ctrl+c" {
			return tea.Quit
		}
		// any other key closes the help
		m.help = false
		return nil
	}
	if m.mode != modePanes && msg.String() == "esc" {
		m.mode = modePanes
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.help = true
	case key.Matches(msg, k.Matrix):
		m.toggleMode(modeMatrix)
	case key.Matches(msg, k.Rain):
		m.toggleMode(modeRain)
	case key.Matches(msg, k.Diagrams):
		return m.writeDiagrams()
	case key.Matches(msg, k.Search):
		return m.startSearch()
	case key.Matches(msg, k.NextMatch):
		m.cycleMatch(1)
	case key.Matches(msg, k.PrevMatch):
		m.cycleMatch(-1)

	case key.Matches(msg, k.HideCanceled):
		m.filter.hideCanceled = !m.filter.hideCanceled
		m.applyFilter()
	case key.Matches(msg, k.HideAuto):
		m.filter.hideAuto = !m.filter.hideAuto
		m.applyFilter()
	case key.Matches(msg, k.HideEmpty):
		m.filter.hideEmpty = !m.filter.hideEmpty
		m.applyFilter()
	case key.Matches(msg, k.HideChecks):
		m.filter.hideChecks = !m.filter.hideChecks
		m.applyFilter()
	case key.Matches(msg, k.OnlyTouching):
		if m.filter.touching == "" {
			m.filter.touching = m.state
		} else {
			m.filter.touching = ""
		}
		m.applyFilter()
	case key.Matches(msg, k.LogLevel):
		// fewer entries each press, then all again
		m.logLevel--
		if m.logLevel < am.LogLevelChanges {
			m.logLevel = am.LogLevelEverything
		}
		m.logBack = 0

	default:
		if m.mode == modeRain {
			m.rainKey(msg)
		} else {
			m.navKey(msg)
		}
	}
	return nil
}

// toggleMode shows view v, or the panes when v is showing.
func (m *Model) toggleMode(v mode) {
	if m.mode == v {
		m.mode = modePanes
		return
	}
	m.mode = v
	if v == modeRain {
		m.rain.refresh(m)
	}
}

// navKey handles the keys that move in the panes and the matrix.
func (m *Model) navKey(msg tea.KeyPressMsg) {
	k := m.keys
	switch {
	case key.Matches(msg, k.NextPane):
		m.focus = (m.focus + 1) % paneCount
	case key.Matches(msg, k.PrevPane):
		m.focus = (m.focus + paneCount - 1) % paneCount
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.pageRows())
	case key.Matches(msg, k.PageDown):
		m.move(m.pageRows())

	case key.Matches(msg, k.Back):
		m.travel(func() { m.tl.step(-1) })
	case key.Matches(msg, k.Forward):
		m.travel(func() { m.tl.step(1) })
	case key.Matches(msg, k.Back100):
		m.travel(func() { m.tl.step(-100) })
	case key.Matches(msg, k.Forward100):
		m.travel(func() { m.tl.step(100) })
	case key.Matches(msg, k.First):
		m.travel(func() { m.tl.moveTo(0) })
	case key.Matches(msg, k.Last):
		m.travel(func() { m.tl.moveTo(m.tl.len() - 1) })
	case key.Matches(msg, k.PrevTouch):
		m.travel(func() { m.tl.seek(m.state, -1) })
	case key.Matches(msg, k.NextTouch):
		m.travel(func() { m.tl.seek(m.state, 1) })
	case key.Matches(msg, k.Follow):
		m.follow = !m.follow
		if m.follow {
			m.tl.moveTo(m.tl.len() - 1)
			m.detailsTop, m.logBack = 0, 0
		}
	}
}

// rainKey handles the keys that move in the rain; enter opens the
// cursor's transition in the panes.
func (m *Model) rainKey(msg tea.KeyPressMsg) {
	k := m.keys
	rows := max(m.height-4, 1)
	switch {
	case key.Matches(msg, k.Up, k.Back):
		m.rain.step(m, -1)
	case key.Matches(msg, k.Down, k.Forward):
		m.rain.step(m, 1)
	case key.Matches(msg, k.PageUp):
		m.rain.step(m, -rows)
	case key.Matches(msg, k.PageDown):
		m.rain.step(m, rows)
	case key.Matches(msg, k.Back100):
		m.rain.step(m, -100)
	case key.Matches(msg, k.Forward100):
		m.rain.step(m, 100)
	case key.Matches(msg, k.First):
		m.rain.first(m)
		m.rain.follow = false
	case key.Matches(msg, k.Last):
		m.rain.last(m)
		m.rain.follow = true
	case key.Matches(msg, k.Follow):
		m.rain.follow = !m.rain.follow
		if m.rain.follow {
			m.rain.last(m)
		}
	case msg.String() == "enter":
		if a, ok := m.rain.current(m); ok {
			m.openTx(a)
		}
	}
}

// openTx shows a transition of the rain in the panes.
func (m *Model) openTx(a store.Arrival) {
	m.mode = modePanes
	if a.Machine != m.mach {
		m.selectMachine(a.Machine)
	}
	m.follow = false
	m.tl.cur = a.Tx.Seq
	m.tl.moveTo(m.tl.pos(a.Tx.Seq))
	m.focus = paneTimeline
	m.detailsTop, m.logBack = 0, 0
}

// travel moves the cursor through time. Moving stops following live
// transitions, unless the move ends on the newest one.
func (m *Model) travel(move func()) {
	move()
	m.follow = m.tl.len() > 0 && m.tl.pos(m.tl.cur) == m.tl.len()-1 && m.follow
	m.detailsTop, m.logBack = 0, 0
}

// move moves within the focused pane: through machines, states or
// transitions, or scrolls the details and the log. In the matrix it moves
// through states, in the rain through transitions.
func (m *Model) move(delta int) {
	focus := m.focus
	switch m.mode {
	case modeMatrix:
		focus = paneStates
	case modeRain:
		m.rain.step(m, delta)
		return
	}
	switch focus {
	case paneMachines:
		if len(m.tree) > 0 {
			row := min(max(m.machineRow()+delta, 0), len(m.tree)-1)
			if m.tree[row].Machine != m.mach {
				m.selectMachine(m.tree[row].Machine)
			}
		}
	case paneStates:
		names := m.statesSchema().Names()
		if len(names) > 0 {
			row := min(max(m.stateRow()+delta, 0), len(names)-1)
			m.selectState(names[row])
		}
	case paneTimeline:
		m.travel(func() { m.tl.step(delta) })
	case paneDetails:
		m.detailsTop = max(m.detailsTop+delta, 0)
	case paneLog:
		m.logBack = max(m.logBack-delta, 0)
	}
}

// pageRows is how far a page key moves: most of the focused pane.
func (m *Model) pageRows() int {
	if m.mode == modeMatrix {
		return max(m.height-8, 1)
	}
	return max(m.layout().paneRows(m.focus)-1, 1)
}

// startSearch opens the search input.
func (m *Model) startSearch() tea.Cmd {
	m.search.typing = true
	m.search.from = match{m: m.mach, state: m.state}
	m.search.matches = nil
	m.search.input.Reset()
	return m.search.input.Focus()
}

// searchKey passes a key to the search input; enter keeps the match
// selected while typing, esc returns to where the search started.
func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.search.typing = false
		m.search.input.Blur()
		return nil
	case "esc", "ctrl+c":
		m.search.typing = false
		m.search.input.Blur()
		m.search.matches = nil
		if from := m.search.from; from.m != nil {
			m.goTo(from)
		}
		return nil
	}
	var cmd tea.Cmd
	m.search.input, cmd = m.search.input.Update(msg)
	m.search.matches = findMatches(m.search.input.Value(), m.tree, m.search.from.m)
	m.search.at = 0
	if len(m.search.matches) > 0 {
		m.goTo(m.search.matches[0])
	}
	return cmd
}

// cycleMatch selects the next or previous match of the last search.
func (m *Model) cycleMatch(dir int) {
	n := len(m.search.matches)
	if n == 0 {
		return
	}
	m.search.at = (m.search.at + dir + n) % n
	m.goTo(m.search.matches[m.search.at])
}

// goTo selects a match's machine, and its state when it has one; the
// focus follows to the pane showing it.
func (m *Model) goTo(t match) {
	if t.m != m.mach {
		m.selectMachine(t.m)
	}
	m.focus = paneMachines
	if t.state != "" {
		m.selectState(t.state)
		m.focus = paneStates
	}
}
