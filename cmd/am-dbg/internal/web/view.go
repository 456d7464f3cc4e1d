package web

import (
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Bounds on one view, so its size and the time to build it do not grow
// with a machine's history.
const (
	// timelineBefore and timelineAfter are the timeline rows sent around
	// the transition shown; the slider reaches the rest.
	timelineBefore = 80
	timelineAfter  = 20
	// logLines is how many log entries the log pane gets, the newest up
	// to the transition shown.
	logLines = 100
	// logScan bounds the transitions walked back to find them.
	logScan = 2000
)

// view is everything the page shows, as JSON. Strings are the peers'
// own; the page sets them as text, never as markup, except SVG, which
// the server escaped.
type view struct {
	// Rev is the store's revision the view was made at.
	Rev     uint64 `json:"rev"`
	Source  string `json:"source"`
	Conns   int    `json:"conns"`
	Dropped uint64 `json:"dropped"`
	// TurnedAway counts the connections the server turned away, when
	// the debugger listens ([Options.TurnedAway]).
	TurnedAway uint64 `json:"turnedAway,omitempty"`
	// Newest is when the transition to arrive last ended, in Unix
	// microseconds, or 0: the page tells from it how long transitions
	// take to reach the screen.
	Newest int64 `json:"newest"`
	// TreeVersion names the machine tree of this view; Tree is nil when
	// it is the one the page said it has (tree=), which the page keeps.
	TreeVersion string    `json:"treeVersion"`
	Tree        *treeView `json:"tree"`
	// Txs counts the transitions of each machine in the tree's rows, in
	// their order: they change with every transition, the rows do not.
	Txs []uint64 `json:"txs"`
	// Mach is the selected machine, nil before any machine is known.
	Mach *machView `json:"mach"`
}

// machView is the selected machine as it was after one transition.
type machView struct {
	ID     string   `json:"id"`
	Parent string   `json:"parent"`
	Tags   []string `json:"tags"`
	// First and Next bound the kept transitions' seqs: [First, Next).
	First uint64 `json:"first"`
	Next  uint64 `json:"next"`
	// At is the seq of the transition shown, or -1 with none kept.
	At     int64       `json:"at"`
	States []stateView `json:"states"`
	// SVG is the state diagram, a standalone SVG document, or "" when it
	// is the one the page said it has; SVGSum identifies it.
	SVG    string `json:"svg"`
	SVGSum string `json:"svgSum"`
	// Nodes and Edges count the diagram's nodes and edges.
	Nodes    int       `json:"nodes"`
	Edges    int       `json:"edges"`
	Timeline []txRow   `json:"timeline"`
	Tx       *txView   `json:"tx"`
	Log      []logLine `json:"log"`
	// Stuck is the handler stuck in the machine now, whichever
	// transition is shown, or nil.
	Stuck *stuckView `json:"stuck"`
}

// stuckView is a handler that ran past its timeout and has not returned:
// its transition has not ended, so no transition shows it yet.
type stuckView struct {
	Handler string `json:"handler"`
	// Tx is the ID of the transition running it.
	Tx uint64 `json:"tx"`
	// Elapsed is how long it had run when its client saw the timeout,
	// and Time when that was.
	Elapsed string `json:"elapsed"`
	Time    string `json:"time"`
}

// stateView is one state after the transition shown.
type stateView struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
	Tick   uint64 `json:"tick"`
	// Change is "+", "-", "↻" (activated again) or "".
	Change string `json:"change"`
	Called bool   `json:"called"`
}

// txRow is one transition in the timeline.
type txRow struct {
	Seq      uint64   `json:"seq"`
	ID       uint64   `json:"id"`
	Type     string   `json:"type"`
	Called   []string `json:"called"`
	Accepted bool     `json:"accepted"`
	Auto     bool     `json:"auto"`
	Empty    bool     `json:"empty"`
	// Check marks a dry run, which changed nothing; Failed a transition
	// that activated Exception, or whose handler panicked or overran its
	// timeout.
	Check  bool   `json:"check"`
	Failed bool   `json:"failed"`
	Time   string `json:"time"`
}

// txView explains one transition.
type txView struct {
	txRow
	Err       string      `json:"err"`
	Took      string      `json:"took"`
	QueueLen  int         `json:"queueLen"`
	QueueTick uint64      `json:"queueTick"`
	From      string      `json:"from"`
	Args      [][2]string `json:"args"`
	Changes   []string    `json:"changes"`
	Steps     []stepView  `json:"steps"`
	// Handlers are the handler steps, in words: which ran and for how
	// long, when the client timed them, which canceled, panicked or
	// overran their timeout.
	Handlers []stepView `json:"handlers"`
	// Stuck are the handlers that overran their timeout.
	Stuck []string  `json:"stuck"`
	Logs  []logLine `json:"logs"`
}

// stepView is one decision of a transition.
type stepView struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// Cancels is set for a step that canceled the transition.
	Cancels bool `json:"cancels"`
	// Took is how long the handler of a handler step ran, or "" when the
	// client did not time it.
	Took string `json:"took,omitempty"`
}

// logLine is one log entry.
type logLine struct {
	Time  string `json:"time"`
	Level string `json:"level"`
	Text  string `json:"text"`
	// Tx is the transition the entry was made in, 0 outside one.
	Tx uint64 `json:"tx"`
}

const (
	timeLayout   = "15:04:05.000"
	detailLayout = "15:04:05.000000"
)

// viewQuery is what a page asks /api/view for.
type viewQuery struct {
	// mach is the machine's ID, "" for the first one.
	mach string
	// at is the seq of the transition to show, < 0 for the newest.
	at int64
	// svgSum is the [machView.SVGSum] of the diagram the page shows.
	svgSum string
	// tree is the [view.TreeVersion] the page shows, filter its filter
	// of the tree.
	tree, filter string
	// seek, +1 or -1, asks for the next or previous transition after at
	// that touches the state named touching (see [store.Tx.Touches]).
	seek     int
	touching string
}

// buildView reads the store, under its read lock, for the machine q asks
// for (the first one when "" or unknown) as it was after the transition
// q asks for.
func (s *Server) buildView(q viewQuery) *view {
	st := s.store
	st.RLock()
	defer st.RUnlock()
	v := &view{Rev: st.Revision(), Source: s.source, Conns: st.Conns(), Dropped: st.Dropped()}
	if s.turnedAway != nil {
		v.TurnedAway = s.turnedAway()
	}
	tree := st.Tree()
	m := st.Lookup(q.mach)
	if m == nil && len(tree) > 0 {
		m = tree[0].Machine
	}
	sent := s.trees.get(st, q.filter, m)
	v.TreeVersion = sent.version
	if q.tree != sent.version {
		v.Tree = &sent.view
	}
	v.Txs = make([]uint64, len(sent.machs))
	for i, tm := range sent.machs {
		v.Txs[i] = tm.History().Next()
	}
	// the newest transition to arrive, which a page following the store
	// shows last
	if a := st.Arrivals(st.Arrived(), -1, 1, nil); len(a) > 0 {
		v.Newest = a[0].Tx.Msg.End.UnixMicro()
	}
	if m != nil {
		v.Mach = s.machView(m, q)
	}
	return v
}

var lifeNames = [...]string{store.Running: "running", store.Disposed: "disposed", store.Gone: "gone"}

func (s *Server) machView(m *store.Machine, q viewQuery) *machView {
	at := q.at
	h := m.History()
	mv := &machView{ID: m.ID(), Parent: m.Parent(), Tags: m.Tags(), First: h.First(), Next: h.Next(), At: -1}
	if st := m.Stuck(); st != nil {
		mv.Stuck = &stuckView{
			Handler: st.Handler, Tx: st.TxID,
			Elapsed: st.Elapsed.Round(time.Millisecond).String(), Time: st.Time.Format(timeLayout),
		}
	}
	var t *store.Tx
	if h.Len() > 0 {
		seq := h.Next() - 1
		if at >= 0 {
			seq = min(max(uint64(at), h.First()), seq)
		}
		if q.seek != 0 && q.touching != "" {
			seq = seekTouching(h, seq, q.seek, q.touching)
		}
		t = h.At(seq)
		mv.At = int64(seq)
	}
	sch, clocks := m.Schema(), m.Clocks()
	var hl diagram.Highlight
	if t != nil {
		sch, clocks = t.Schema, t.Msg.Clocks
		before := t.Before
		if t.BeforeSchema != t.Schema {
			// clocks of another schema version cannot be compared index by
			// index
			before = nil
		}
		hl = diagram.ForTx(sch.Names(), before, t.Msg)
	} else {
		hl.Active = diagram.Active(sch.Names(), clocks)
	}
	lay := s.layouts.get(sch)
	svg := lay.svg(marksFor(lay.g, hl))
	sum := fnv.New64a()
	sum.Write(svg)
	// a diagram changes when the states do, not with every update: the
	// page keeps the one it has
	if mv.SVGSum = strconv.FormatUint(sum.Sum64(), 36); mv.SVGSum != q.svgSum {
		mv.SVG = string(svg)
	}
	mv.Nodes, mv.Edges = len(lay.g.Nodes), len(lay.g.Edges)

	for _, name := range sch.Names() {
		tick := sch.Tick(clocks, name)
		sv := stateView{Name: name, Active: tick%2 == 1, Tick: tick}
		if t != nil {
			sv.Change = changeMarks[t.Change(name)]
			sv.Called = t.Called(name)
		}
		mv.States = append(mv.States, sv)
	}
	if t == nil {
		return mv
	}
	from := max(h.First(), t.Seq-min(t.Seq, timelineBefore))
	to := min(h.Next(), t.Seq+timelineAfter+1)
	mv.Timeline = make([]txRow, 0, to-from)
	for seq := from; seq < to; seq++ {
		mv.Timeline = append(mv.Timeline, rowOf(h.At(seq)))
	}
	mv.Tx = detailsOf(t)
	mv.Log = logUpTo(h, t.Seq)
	return mv
}

// seekLimit bounds the transitions one seek walks, so a request costs
// the same whatever the history limit.
const seekLimit = 20_000

// seekTouching returns the seq of the first transition from seq in the
// direction dir that touches the named state, or seq when none does.
func seekTouching(h *store.History, seq uint64, dir int, name string) uint64 {
	for n, i := 0, int64(seq)+int64(dir); n < seekLimit && i >= int64(h.First()) && i < int64(h.Next()); n, i = n+1, i+int64(dir) {
		if h.At(uint64(i)).Touches(name) {
			return uint64(i)
		}
	}
	return seq
}

var changeMarks = [...]string{store.Unchanged: "", store.Activated: "+", store.Deactivated: "-", store.Reactivated: "↻"}

func rowOf(t *store.Tx) txRow {
	return txRow{
		Seq: t.Seq, ID: t.Msg.ID, Type: t.Msg.Type.String(), Called: t.CalledNames(),
		Accepted: t.Msg.Accepted, Auto: t.Msg.Auto, Empty: t.Empty(),
		Check: t.Msg.CheckOnly, Failed: t.Failed(),
		Time: t.Msg.Start.Format(timeLayout),
	}
}

func detailsOf(t *store.Tx) *txView {
	msg := t.Msg
	d := &txView{
		txRow: rowOf(t), Err: msg.Err, Took: durationText(msg.End.Sub(msg.Start)),
		QueueLen: msg.QueueLen, QueueTick: msg.QueueTick,
	}
	d.Time = msg.Start.Format(detailLayout)
	d.Stuck = t.Stuck()
	if !msg.Source.IsZero() {
		d.From = msg.Source.MachineID + " #" + strconv.FormatUint(msg.Source.TxID, 10)
	}
	for _, k := range slices.Sorted(maps.Keys(msg.Args)) {
		d.Args = append(d.Args, [2]string{k, msg.Args[k]})
	}
	for _, name := range t.Schema.Names() {
		if c := t.Change(name); c != store.Unchanged {
			d.Changes = append(d.Changes, changeMarks[c]+name)
		}
	}
	names := t.Schema.Names()
	durations := t.StepDurations()
	for i, step := range msg.Steps {
		sv := stepView{Type: step.Type.String(), Text: step.Describe(names), Cancels: step.Type.Failed()}
		if durations != nil && step.Type == am.StepHandler {
			sv.Took = durationText(durations[i])
		}
		d.Steps = append(d.Steps, sv)
		switch step.Type {
		case am.StepHandler, am.StepHandlerCanceled, am.StepHandlerPanic, am.StepHandlerTimeout:
			d.Handlers = append(d.Handlers, sv)
		}
	}
	for _, e := range msg.LogsBefore {
		d.Logs = append(d.Logs, lineOf(&e))
	}
	for _, e := range msg.Logs {
		d.Logs = append(d.Logs, lineOf(&e))
	}
	return d
}

func lineOf(e *am.LogEntry) logLine {
	return logLine{Time: e.Time.Format(timeLayout), Level: e.Level.String(), Text: e.Text, Tx: e.TxID}
}

// logUpTo returns the newest log entries of the transitions up to and
// including seq, oldest first.
func logUpTo(h *store.History, seq uint64) []logLine {
	var rev []logLine
	for n := 0; n < logScan && len(rev) < logLines; n++ {
		t := h.At(seq)
		if t == nil {
			break
		}
		for _, list := range [...][]am.LogEntry{t.Msg.Logs, t.Msg.LogsBefore} {
			for i := len(list) - 1; i >= 0 && len(rev) < logLines; i-- {
				rev = append(rev, lineOf(&list[i]))
			}
		}
		if seq == 0 {
			break
		}
		seq--
	}
	slices.Reverse(rev)
	return rev
}

// layoutCache keeps the layout of each schema version drawn lately.
// Schemas never change once made, so a layout stays valid as long as its
// schema lives; the cache forgets them all when full, which only a
// client changing schemas without end would cause.
type layoutCache struct {
	mu    sync.Mutex
	max   int
	items map[*store.Schema]*layout
}

func (c *layoutCache) get(sch *store.Schema) *layout {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.items[sch]; ok {
		return l
	}
	if len(c.items) >= c.max {
		clear(c.items)
	}
	l := newLayout(diagram.FromStruct(sch.Msg))
	c.items[sch] = l
	return l
}

// durationText formats d for the details: to the microsecond, or to the
// nanosecond below one, so that a handler's few hundred nanoseconds do
// not read 0s.
func durationText(d time.Duration) string {
	if d < time.Microsecond {
		return d.String()
	}
	return d.Round(time.Microsecond).String()
}
