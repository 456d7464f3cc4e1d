package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// frameGap is the shortest time between two redraws caused by incoming
// data: at most 20 a second, however fast transitions arrive.
const frameGap = 50 * time.Millisecond

// pane is one area of the screen that can have the focus.
type pane int

const (
	paneMachines pane = iota
	paneStates
	paneTimeline
	paneDetails
	paneLog
	paneCount
)

// Options configure a [Model].
type Options struct {
	// Source says where the data comes from, for the status bar: the
	// address the server listens on, or the recording's path.
	Source string
	// Inbox delivers what a live server receives. Nil for a recording,
	// which the store holds entirely before the UI starts.
	Inbox *Inbox
	// RecordTo is the recording a live session is written to, if any, for
	// the status bar.
	RecordTo string
}

// Model is the debugger's UI, a Bubble Tea model: [Model.Update] takes
// keys, window sizes and incoming data, [Model.View] draws the screen
// from the state Update left.
type Model struct {
	store    *Store
	inbox    *Inbox
	source   string
	recordTo string
	keys     keyMap
	st       styles

	width, height int
	focus         pane
	help          bool

	tree    []treeRow
	treeRev uint64
	machTop int

	// mach and state are the selected machine and state; the state is
	// kept by name, so it survives schema changes and machine switches.
	mach     *machine
	state    string
	stateTop int

	tl     timeline
	filter filter
	// follow keeps the cursor on the newest transition as new ones come.
	follow bool

	// detailsTop and logBack scroll the details pane from its top and the
	// log pane back from its newest line.
	detailsTop, logBack int

	search search
}

// New returns a UI showing store. opts may be nil.
func New(store *Store, opts *Options) *Model {
	var o Options
	if opts != nil {
		o = *opts
	}
	m := &Model{
		store:    store,
		inbox:    o.Inbox,
		source:   o.Source,
		recordTo: o.RecordTo,
		keys:     defaultKeys(),
		st:       defaultStyles(),
		follow:   true,
		search:   newSearch(),
	}
	m.refresh()
	return m
}

// inboxMsg says the inbox has data.
type inboxMsg struct{}

// Init starts waiting for live data.
func (m *Model) Init() tea.Cmd { return m.waitInbox() }

// waitInbox returns a command that reports when the inbox has data, or
// nil for a recording.
func (m *Model) waitInbox() tea.Cmd {
	in := m.inbox
	if in == nil {
		return nil
	}
	return func() tea.Msg {
		if !in.wait(frameGap) {
			return nil
		}
		return inboxMsg{}
	}
}

// refresh brings the views up to date after the store changed.
func (m *Model) refresh() {
	if m.treeRev != m.store.treeRev || m.tree == nil {
		m.tree = buildTree(m.store.order, m.store.machs)
		m.treeRev = m.store.treeRev
	}
	if m.mach == nil && len(m.tree) > 0 {
		m.selectMachine(m.tree[0].m)
		return
	}
	m.tl.sync()
	if m.follow {
		m.tl.moveTo(m.tl.len() - 1)
	}
}

// selectMachine shows machine mach, keeping the selected state when it
// has one of the same name, and the cursor on the newest transition.
func (m *Model) selectMachine(mach *machine) {
	m.mach = mach
	if !mach.sch.has(m.state) {
		m.state = ""
		if names := mach.sch.names(); len(names) > 0 {
			m.state = names[0]
		}
	}
	m.applyFilter()
	m.tl.moveTo(m.tl.len() - 1)
	m.detailsTop, m.logBack, m.stateTop = 0, 0, 0
}

// applyFilter rebuilds the timeline after the filters, the machine or,
// for the touching filter, the selected state changed. The cursor stays
// on the same transition, or the nearest shown one before it.
func (m *Model) applyFilter() {
	f := m.filter
	if f.touching != "" {
		f.touching = m.state
	}
	cur := m.tl.cur
	m.tl.reset(m.mach, f)
	m.tl.cur = cur
	if m.follow {
		m.tl.moveTo(m.tl.len() - 1)
	} else {
		m.tl.moveTo(m.tl.pos(cur))
	}
}

// selectState selects the named state of the selected machine.
func (m *Model) selectState(name string) {
	if name == m.state {
		return
	}
	m.state = name
	if m.filter.touching != "" {
		m.applyFilter()
	}
}

// machineRow returns the tree row of the selected machine.
func (m *Model) machineRow() int {
	for i, r := range m.tree {
		if r.m == m.mach {
			return i
		}
	}
	return 0
}
