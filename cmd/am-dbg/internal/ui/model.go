package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// FrameGap is the shortest time between two redraws caused by incoming
// data: at most 20 a second, however fast transitions arrive. Pump the
// store with it ([store.Store.Pump]).
const FrameGap = 50 * time.Millisecond

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
	// Live is set when the store follows a live server; the UI then
	// redraws as the store changes. A recording's store is full before
	// the UI starts.
	Live bool
	// RecordTo is the recording a live session is written to, if any, for
	// the status bar.
	RecordTo string
	// Dir is the directory the diagrams key writes to, made when
	// missing; "" means the current directory.
	Dir string
	// TurnedAway, when set, counts the connections the server closed
	// before serving them: refused or shed for want of a slot, or for a
	// wrong token. The status bar shows it once it is above 0, since the
	// server's log is not on screen.
	TurnedAway func() uint64
}

// mode is what fills the screen above the status bar.
type mode uint8

const (
	// modePanes shows the machines, states, timeline, details and log.
	modePanes mode = iota
	// modeMatrix shows the selected machine's relations, states × states.
	modeMatrix
	// modeRain shows every machine's transitions, a line each.
	modeRain
)

// Model is the debugger's UI, a Bubble Tea model: [Model.Update] takes
// keys, window sizes and incoming data, [Model.View] draws the screen
// from the state Update left.
type Model struct {
	data *store.Store
	live bool
	// rev is the store revision the screen shows.
	rev      uint64
	source   string
	recordTo string
	dir      string
	// turnedAway is Options.TurnedAway, or nil
	turnedAway func() uint64
	keys       keyMap
	st         styles

	width, height int
	mode          mode
	focus         pane
	help          bool
	// notice is a line for the status bar, until the next key: what a
	// command did.
	notice string

	tree    []store.TreeRow
	treeRev uint64
	machTop int

	// mach and state are the selected machine and state; the state is
	// kept by name, so it survives schema changes and machine switches.
	mach     *store.Machine
	state    string
	stateTop int

	tl     timeline
	filter filter
	// follow keeps the cursor on the newest transition as new ones come.
	follow bool

	// detailsTop and logBack scroll the details pane from its top and the
	// log pane back from its newest line.
	detailsTop, logBack int
	// logLevel is the highest level of log entries shown.
	logLevel am.LogLevel

	matrix matrixCache
	rain   rain
	search search
}

// New returns a UI showing the store. opts may be nil.
func New(data *store.Store, opts *Options) *Model {
	var o Options
	if opts != nil {
		o = *opts
	}
	m := &Model{
		data:       data,
		live:       o.Live,
		source:     o.Source,
		recordTo:   o.RecordTo,
		dir:        o.Dir,
		turnedAway: o.TurnedAway,
		logLevel:   am.LogLevelEverything,
		rain:       rain{follow: true},
		keys:       defaultKeys(),
		st:         defaultStyles(),
		follow:     true,
		search:     newSearch(),
	}
	data.RLock()
	m.rev = data.Revision()
	m.refresh()
	data.RUnlock()
	return m
}

// changedMsg says the store changed.
type changedMsg struct{}

// Init starts following a live store.
func (m *Model) Init() tea.Cmd { return m.waitChange() }

// waitChange returns a command that reports when the store moved past
// the revision on screen, or nil for a recording.
func (m *Model) waitChange() tea.Cmd {
	if !m.live {
		return nil
	}
	ch := m.data.Changed(m.rev)
	return func() tea.Msg {
		<-ch
		return changedMsg{}
	}
}

// refresh brings the views up to date after the store changed. The
// caller holds the store's read lock.
func (m *Model) refresh() {
	if m.treeRev != m.data.TreeRevision() || m.tree == nil {
		m.tree = m.data.Tree()
		m.treeRev = m.data.TreeRevision()
	}
	if m.mach != nil && m.mach.Evicted() {
		// the memory budget took it; a new machine of the ID is another
		m.mach = nil
	}
	if m.mach == nil && len(m.tree) > 0 {
		m.selectMachine(m.tree[0].Machine)
		return
	}
	m.tl.sync()
	if m.follow {
		m.tl.moveTo(m.tl.len() - 1)
	}
	m.rain.refresh(m)
}

// selectMachine shows machine mach, keeping the selected state when it
// has one of the same name, and the cursor on the newest transition.
func (m *Model) selectMachine(mach *store.Machine) {
	m.mach = mach
	if !mach.Schema().Has(m.state) {
		m.state = ""
		if names := mach.Schema().Names(); len(names) > 0 {
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
		if r.Machine == m.mach {
			return i
		}
	}
	return 0
}
