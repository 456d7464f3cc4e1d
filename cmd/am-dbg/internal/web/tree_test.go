package web

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// treeOf returns the rows of a view's tree as "ID/depth" with marks: +
// for context, ! for pinned.
func treeOf(tv *treeView) string {
	var out []string
	for _, r := range tv.Rows {
		s := r.ID + "/" + strconv.Itoa(r.Depth)
		if r.Context {
			s += "+"
		}
		if r.Pinned {
			s += "!"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// viewPath is the path of a page's view request.
func viewPath(mach, tree, filter string) string {
	q := url.Values{"m": {mach}}
	if tree != "" {
		q.Set("tree", tree)
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	return "/api/view?" + q.Encode()
}

// liveConn is a client connection as the dbg server's listener would
// see it, so that machines reporting through it are live until it closes.
type liveConn struct {
	t     *testing.T
	st    *store.Store
	inbox *store.Inbox
	conn  net.Conn
}

func dialLive(t *testing.T, st *store.Store, inbox *store.Inbox) *liveConn {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	ln := inbox.Listener(tcp)
	client, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return &liveConn{t: t, st: st, inbox: inbox, conn: c}
}

// send hands msgs to the store as the dbg server would, through the
// connection.
func (c *liveConn) send(msgs ...dbg.DbgMsg) {
	c.inbox.HandleBatch(server.Peer{ID: 1, Addr: c.conn.RemoteAddr().String()}, &dbg.Batch{ClientID: "live", Msgs: msgs})
	c.st.Drain(c.inbox)
}

func (c *liveConn) close() {
	c.conn.Close()
	c.st.Drain(c.inbox)
}

var twoStates = am.Schema{am.Exception: {Multi: true}, "A": {}}

func structMsg(id, parent string) *dbg.DbgMsgStruct {
	return &dbg.DbgMsgStruct{MachineID: id, ParentID: parent, StateNames: am.S{am.Exception, "A"}, Schema: twoStates, Clocks: am.Time{0, 0}}
}

func txMsg(id string, n uint64) *dbg.DbgMsgTx {
	return &dbg.DbgMsgTx{MachineID: id, ID: n, Clocks: am.Time{0, n}, Type: am.MutationAdd, Called: []int{1}, Accepted: true, End: time.Now()}
}

// A page that has the tree gets it again only when something it shows
// changed: each kind of change makes a new version, a transition does
// not, and the transition counts come with every view.
func TestTreeVersion(t *testing.T) {
	st := store.New(&store.Options{MaxBytes: 2 << 20})
	inbox := store.NewInbox(nil)
	_, ts := serve(t, st, nil)
	c := dialLive(t, st, inbox)
	c.send(structMsg("root", ""))

	v := decodeView(t, get(t, ts, viewPath("root", "", "")))
	if v.Tree == nil || treeOf(v.Tree) != "root/0" || v.TreeVersion == "" {
		t.Fatalf("first view: tree %+v, version %q", v.Tree, v.TreeVersion)
	}
	version := v.TreeVersion
	if again := decodeView(t, get(t, ts, viewPath("root", version, ""))); again.Tree != nil || again.TreeVersion != version {
		t.Errorf("the same tree was sent again: %+v, version %s then %s", again.Tree, version, again.TreeVersion)
	}

	var d *liveConn
	seq := uint64(0)
	tx := func(id string) { seq++; c.send(txMsg(id, seq)) }
	for _, step := range []struct {
		name string
		do   func()
		// changes says the tree shown changed; want is the tree then
		changes bool
		want    string
		mach    string
		filter  string
	}{
		{"a transition", func() { tx("root") }, false, "root/0", "root", ""},
		{"a machine added", func() { c.send(structMsg("kid", "root")) }, true, "root/0 kid/1", "root", ""},
		{"its struct again", func() { c.send(structMsg("kid", "root")) }, false, "", "root", ""},
		{"a transition of the child", func() { tx("kid") }, false, "", "root", ""},
		{"a parent link changed", func() { c.send(structMsg("kid", "")) }, true, "root/0 kid/0", "root", ""},
		{"a handler stuck", func() {
			c.send(&dbg.DbgMsgHandlerTimeout{MachineID: "kid", TxID: 9, Handler: "AState", Elapsed: time.Second})
		}, true, "", "root", ""},
		{"the stuck handler's transition ended", func() { tx("kid") }, true, "", "root", ""},
		{"disposed", func() { c.send(&dbg.DbgMsgDispose{MachineID: "kid"}) }, true, "", "root", ""},
		{"the ID reused", func() { d = dialLive(t, st, inbox); d.send(structMsg("kid", "root")) }, true, "root/0 kid/1", "root", ""},
		{"its client crashed", func() { d.close() }, true, "", "root", ""},
		{"another machine selected", func() {}, true, "", "kid", ""},
		{"the filter changed", func() {}, true, "root/0+ kid/1", "kid", "KI"},
		{"a machine evicted by the budget", func() {
			c.send(&dbg.DbgMsgDispose{MachineID: "root"})
			big := txMsg("kid", 99)
			big.Logs = []am.LogEntry{{Text: strings.Repeat("x", 3<<20)}}
			c.send(big)
		}, true, "kid/0", "kid", "KI"},
	} {
		step.do()
		v := decodeView(t, get(t, ts, viewPath(step.mach, version, step.filter)))
		switch {
		case step.changes && (v.Tree == nil || v.TreeVersion == version):
			t.Errorf("%s: the version stayed %s, tree %+v", step.name, version, v.Tree)
		case !step.changes && (v.Tree != nil || v.TreeVersion != version):
			t.Errorf("%s: version %s then %s, tree %+v; want the page to keep its tree", step.name, version, v.TreeVersion, v.Tree)
		}
		if step.want != "" && v.Tree != nil && treeOf(v.Tree) != step.want {
			t.Errorf("%s: tree %s, want %s", step.name, treeOf(v.Tree), step.want)
		}
		version = v.TreeVersion
	}

	// the rows show life and stuck marks; the counts follow each view
	c.send(&dbg.DbgMsgHandlerTimeout{MachineID: "kid", TxID: 100, Handler: "AState", Elapsed: time.Second})
	v = decodeView(t, get(t, ts, viewPath("kid", "", "")))
	if len(v.Tree.Rows) != 1 || v.Tree.Rows[0].Life != "running" || !v.Tree.Rows[0].Stuck || len(v.Txs) != 1 {
		t.Fatalf("tree %+v, counts %v; want kid running, stuck, with its count", v.Tree, v.Txs)
	}
	before := v.Txs[0]
	tx("kid")
	tx("kid")
	v = decodeView(t, get(t, ts, viewPath("kid", "", "")))
	version = v.TreeVersion
	tx("kid")
	if again := decodeView(t, get(t, ts, viewPath("kid", version, ""))); again.Tree != nil || len(again.Txs) != 1 || again.Txs[0] != before+3 {
		t.Errorf("counts %v, tree %+v; want %d without the tree", again.Txs, again.Tree, before+3)
	}
}

// The filter keeps the machines whose ID holds it, ignoring case, each
// after its ancestors, marked as context; the selected machine stays
// listed, pinned, when it does not match.
func TestTreeFilter(t *testing.T) {
	st := store.New(nil)
	for _, m := range [][2]string{
		{"Shop", ""}, {"Order-1", "Shop"}, {"pay-1", "Order-1"}, {"order-2", "Shop"}, {"courier", ""}, {"ORDERS-log", "courier"},
	} {
		addRecord(st, structMsg(m[0], m[1]))
	}
	_, ts := serve(t, st, nil)
	for _, tc := range []struct{ mach, filter, want string }{
		{"Shop", "", "Shop/0 Order-1/1 pay-1/2 order-2/1 courier/0 ORDERS-log/1"},
		// the selected Shop does not match: pinned, it is its children's
		// context too
		{"Shop", "order", "Shop/0! Order-1/1 order-2/1 courier/0+ ORDERS-log/1"},
		{"order-2", "order", "Shop/0+ Order-1/1 order-2/1 courier/0+ ORDERS-log/1"},
		{"order-2", "  ORDER-1 ", "Shop/0+ Order-1/1 order-2/1!"},
		{"order-2", "pay", "Shop/0+ Order-1/1+ pay-1/2 order-2/1!"},
		{"courier", "pay", "Shop/0+ Order-1/1+ pay-1/2 courier/0!"},
		{"pay-1", "o", "Shop/0 Order-1/1 pay-1/2! order-2/1 courier/0 ORDERS-log/1"},
		{"Shop", "nothing", "Shop/0!"},
	} {
		v := decodeView(t, get(t, ts, viewPath(tc.mach, "", tc.filter)))
		if got := treeOf(v.Tree); got != tc.want {
			t.Errorf("filter %q, %s selected: %s, want %s", tc.filter, tc.mach, got, tc.want)
		}
		if len(v.Txs) != len(v.Tree.Rows) || v.Tree.Total != 6 {
			t.Errorf("filter %q: %d counts for %d rows, total %d", tc.filter, len(v.Txs), len(v.Tree.Rows), v.Tree.Total)
		}
	}
	if v := decodeView(t, get(t, ts, viewPath("Shop", "", "ORDER"))); v.Tree.Matched != 3 || v.Tree.More != 0 {
		t.Errorf("ORDER: %d matched, %d more; want 3, 0", v.Tree.Matched, v.Tree.More)
	}
}

// addRecord adds a message as a recording would.
func addRecord(st *store.Store, m dbg.DbgMsg) {
	st.AddRecord(&recording.Record{ClientID: "test", Conn: 1, Msg: m})
}

// Past MaxTreeRows the view lists no more rows, and says how many more
// machines match; the selected machine is listed wherever it is.
func TestTreeBound(t *testing.T) {
	const machs = 2000
	st := store.New(nil)
	newFeeder(st, nil, machs)
	_, ts := serve(t, st, nil)
	for _, tc := range []struct {
		mach, filter        string
		rows, matched, more int
		// last is the last row's machine, pinned the pinned one's
		last, pinned string
	}{
		{mach: "worker-3", rows: MaxTreeRows, matched: machs, more: machs - MaxTreeRows, last: "worker-499"},
		{mach: "worker-1100", rows: MaxTreeRows + 1, matched: machs, more: machs - MaxTreeRows, last: "worker-1100", pinned: "worker-1100"},
		// worker-11, worker-110 to 119, worker-1100 to 1199, and worker-3
		// before them
		{mach: "worker-3", filter: "WORKER-11", rows: 112, matched: 111, last: "worker-1199", pinned: "worker-3"},
		// 1,271 IDs hold a 1: the 500th is worker-1228
		{mach: "worker-1", filter: "1", rows: MaxTreeRows, matched: 1271, more: 1271 - MaxTreeRows, last: "worker-1228"},
		{mach: "worker-1500", filter: "1", rows: MaxTreeRows + 1, matched: 1271, more: 1271 - MaxTreeRows, last: "worker-1500", pinned: "worker-1500"},
	} {
		v := decodeView(t, get(t, ts, viewPath(tc.mach, "", tc.filter)))
		tv := v.Tree
		if len(tv.Rows) != tc.rows || tv.Matched != tc.matched || tv.More != tc.more || tv.Total != machs || len(v.Txs) != tc.rows {
			t.Errorf("%s, filter %q: %d rows, %d counts, %d matched, %d more of %d; want %d rows, %d matched, %d more of %d",
				tc.mach, tc.filter, len(tv.Rows), len(v.Txs), tv.Matched, tv.More, tv.Total, tc.rows, tc.matched, tc.more, machs)
			continue
		}
		pinned := ""
		for _, r := range tv.Rows {
			if r.Pinned {
				pinned += r.ID
			}
		}
		if last := tv.Rows[len(tv.Rows)-1].ID; last != tc.last || pinned != tc.pinned {
			t.Errorf("%s, filter %q: the last row is %s, pinned %q; want %s, pinned %q", tc.mach, tc.filter, last, pinned, tc.last, tc.pinned)
		}
	}
}
