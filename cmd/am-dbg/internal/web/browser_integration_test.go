package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/internal/e2e/browser"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// lit returns the names of the states lit (active) in the diagram,
// sorted.
func lit(tab *browser.Tab) string {
	return browser.Eval[string](tab, `[...document.querySelectorAll("#diagram g.node.active")].map(n => n.dataset.state).sort().join(",")`)
}

// TestIntegrationBrowserPage looks at the inspector in headless chromium,
// as a person would: the tree, the diagram, a canceled transition
// explained, time travel, and a peer's markup shown as text. With
// AMDBG_WEB_SHOT=FILE it also saves a screenshot to FILE.
func TestIntegrationBrowserPage(t *testing.T) {
	st := fixture(t)
	_, ts := serve(t, st, &Options{Source: "listening 127.0.0.1:7464", TurnedAway: func() uint64 { return 2 }})
	tb := browser.Open(t, ts.URL+"/", nil)
	tb.WaitText("#tree", "shop", "order-1", xssID, "crafted")
	tb.WaitText("#turned", "2 turned away")

	// order-1's diagram: a node per state, an edge per relation
	tb.Click(`#tree li[data-id="order-1"]`)
	tb.WaitText("#diagram-title", "order-1")
	if n := browser.Eval[int](tb, `document.querySelectorAll("#diagram g.node").length`); n != 5 {
		t.Errorf("order-1's diagram has %d nodes, want 5 (4 states and Exception)", n)
	}
	if n := browser.Eval[int](tb, `document.querySelectorAll("#diagram path.edge").length`); n != 3 {
		t.Errorf("order-1's diagram has %d edges, want 3 (each state requires the one before)", n)
	}
	if got := lit(tb); got != "Created,Delivered,Paid,Shipped" {
		t.Errorf("lit after the last transition: %s", got)
	}

	// the canceled transition explains itself
	tb.Click("#timeline li.canceled")
	tb.WaitText("#steps", "Shipped requires Paid")
	tb.WaitText("#details", "canceled: requirement not met: Shipped requires Paid")
	tb.WaitText("#mode", "paused")
	if got := lit(tb); got != "Created" {
		t.Errorf("lit after the canceled transition: %s, want Created", got)
	}
	if n := browser.Eval[int](tb, `document.querySelectorAll("#diagram g.node.called").length`); n != 1 {
		t.Errorf("%d called nodes, want Shipped alone", n)
	}

	// arrow keys travel: one on, Paid is lit too
	tb.Do(chromedp.KeyEvent(kb.ArrowRight))
	tb.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "#3"`)
	if got := lit(tb); got != "Created,Paid" {
		t.Errorf("lit after #3: %s, want Created,Paid", got)
	}
	// a state picked in the diagram: ] and [ jump between the transitions
	// touching it
	tb.Click(`#diagram g.node[data-state="Shipped"]`)
	tb.WaitText("#focus", "state Shipped")
	tb.Do(chromedp.KeyEvent(kb.Home))
	tb.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "#1"`)
	for _, want := range []struct{ key, id string }{{"]", "#2"}, {"]", "#4"}, {"[", "#2"}} {
		tb.Do(chromedp.KeyEvent(want.key))
		tb.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "` + want.id + `"`)
	}
	if n := browser.Eval[int](tb, `document.querySelectorAll("#diagram g.node.focus").length`); n != 1 {
		t.Errorf("%d nodes focused, want Shipped", n)
	}

	// the slider travels too
	tb.WaitTrue(`(s => (s.value = "0", s.dispatchEvent(new Event("input")), true))(document.querySelector("#slider"))`)
	tb.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "#1"`)

	// a new transition while paused: the page stays on #1, and counts it
	st.AddRecord(&recording.Record{ClientID: "late", Conn: 9, Msg: &dbg.DbgMsgTx{
		MachineID: "order-1", ID: 6, Clocks: am.Time{0, 1, 1, 1, 1}, Type: am.MutationAdd, Called: []int{1},
		Accepted: true, Start: time.Now(), End: time.Now(),
	}})
	tb.WaitText("#position", "#1 of 6")
	if got := tb.Text("#timeline li.selected .id"); got != "#1" {
		t.Errorf("paused on #1, the page moved to %s", got)
	}
	// End follows again, to the new transition
	tb.Do(chromedp.KeyEvent(kb.End))
	tb.WaitText("#mode", "live")
	tb.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "#6"`)

	// peers' markup is text
	tb.Click(`#tree li[data-id="crafted"]`)
	tb.WaitText("#diagram-title", "crafted")
	tb.WaitText("#log", xssLog)
	// its newest transition had a handler overrun its timeout
	tb.WaitText("#details", "overran its timeout: OkState")
	tb.WaitText("#details", "OkState ran in 999ms")
	tb.WaitText("#steps", "OkState ran in 999ms")
	// and a handler named in markup hangs in #3, which has not ended
	tb.WaitText("#details", "⏱ stuck now: "+xssLog+" in #3 still running after 5s")
	tb.WaitTrue(`document.querySelector('#tree li[data-id="crafted"] .stuck') !== null`)
	if n := browser.Eval[int](tb, `document.querySelectorAll("#tree .stuck").length`); n != 1 {
		t.Errorf("%d machines marked stuck in the tree, want crafted alone", n)
	}
	if !browser.Eval[bool](tb, `document.querySelector("#timeline li.selected").classList.contains("failed")`) {
		t.Error("the transition with a stuck handler is not marked failed")
	}
	tb.Do(chromedp.KeyEvent(kb.ArrowLeft))
	tb.WaitText("#details", xssLog+"="+xssLog)
	if got := browser.Eval[string](tb, `document.querySelector("#diagram g.node[data-state^='<svg']").textContent`); !strings.Contains(got, "<svg onload") {
		t.Errorf("the crafted state's node reads %q", got)
	}
	if n := browser.Eval[int](tb, `document.querySelectorAll("img, main script, [onload], [onerror]").length`); n != 0 {
		t.Errorf("%d elements were injected from peers' strings", n)
	}
	if n := tb.Dialogs(); n != 0 {
		t.Errorf("the page opened %d dialogs", n)
	}
	if out := os.Getenv("AMDBG_WEB_SHOT"); out != "" {
		tb.Click(`#tree li[data-id="order-1"]`)
		tb.Click("#timeline li.canceled")
		tb.WaitText("#steps", "Shipped requires Paid")
		tb.Screenshot(out)
	}
}

// TestIntegrationBrowserTreeFilter finds machines among 2,000 in
// headless chromium, as a person would: the tree lists MaxTreeRows and
// says how many more there are; typing in the filter box narrows it;
// clicking a machine draws its diagram, and the machine stays listed,
// pinned, under a filter it does not match; the keyboard alone gets
// there too. It saves screenshots to $AMDBG_TREE_SHOTS/tree-*.png when
// that is set.
func TestIntegrationBrowserTreeFilter(t *testing.T) {
	const machs = 2000
	st := store.New(nil)
	f := newFeeder(st, nil, machs)
	for i := range 2 * machs {
		f.tx(i % machs)
	}
	_, ts := serve(t, st, &Options{Source: "listening 127.0.0.1:7464"})
	tb := browser.Open(t, ts.URL+"/", nil)
	shot := func(name string) {
		if dir := os.Getenv("AMDBG_TREE_SHOTS"); dir != "" {
			tb.Screenshot(filepath.Join(dir, "tree-"+name+".png"))
		}
	}
	// the rows listed, but the selected machine's when pinned
	rows := func() int {
		return browser.Eval[int](tb, `document.querySelectorAll("#tree li[data-id]:not(.pinned)").length`)
	}
	// the line saying how many more machines match is on screen, below
	// the rows, however they scroll
	moreLine := func(text string) {
		t.Helper()
		tb.WaitText("#tree-more", text)
		tb.WaitTrue(`(r => r.height > 0 && r.bottom <= document.querySelector("#tree-pane").getBoundingClientRect().bottom)(document.querySelector("#tree-more").getBoundingClientRect())`)
	}

	tb.WaitText("#tree", "worker-0")
	moreLine("1,500 more machines — refine the filter")
	tb.WaitText("#tree-count", "2000")
	if n := rows(); n != MaxTreeRows {
		t.Errorf("%d rows listed of 2,000 machines, want %d", n, MaxTreeRows)
	}

	// typed key by key: worker-1 matches 1,111 machines
	tb.Click("#tree-filter")
	for _, key := range "WORKER-1" {
		tb.Do(chromedp.KeyEvent(string(key)))
	}
	tb.WaitText("#tree-count", "1111 of 2000")
	moreLine("611 more machines — refine the filter")
	if n := rows(); n != MaxTreeRows {
		t.Errorf("%d rows listed of 1,111 matching, want %d", n, MaxTreeRows)
	}
	// worker-0, shown first, stays listed: pinned
	if got := tb.Text("#tree li.pinned .id"); got != "worker-0" {
		t.Errorf("the pinned row is %q, want worker-0, the machine shown", got)
	}
	if got := tb.Text("#tree li[data-id]:not(.pinned) .id"); got != "worker-1" {
		t.Errorf("the first match listed is %q, want worker-1", got)
	}
	shot("filter")
	tb.Do(chromedp.KeyEvent("9"))
	tb.WaitText("#tree-count", "111 of 2000")
	tb.WaitTrue(`document.querySelector("#tree-more").hidden`)
	if n := rows(); n != 111 {
		t.Errorf("%d rows for worker-19, want 111: worker-19, 190 to 199, 1900 to 1999", n)
	}
	if ids := browser.Eval[string](tb, `[...document.querySelectorAll("#tree li[data-id]:not(.pinned) .id")].map(e => e.textContent).filter(id => !id.includes("worker-19")).join()`); ids != "" {
		t.Errorf("rows not matching worker-19: %s", ids)
	}

	// a click draws the machine
	tb.Click(`#tree li[data-id="worker-1942"]`)
	tb.WaitText("#diagram-title", "worker-1942")
	if n := browser.Eval[int](tb, `document.querySelectorAll("#diagram g.node").length`); n != len(loadNames) {
		t.Errorf("worker-1942's diagram has %d nodes, want %d", n, len(loadNames))
	}
	tb.WaitTrue(`document.querySelector('#tree li[data-id="worker-1942"]').classList.contains("selected")`)
	if got := tb.Text(`#tree li[data-id="worker-1942"] .txs`); got != "2" {
		t.Errorf("worker-1942 lists %q transitions, want 2", got)
	}
	shot("selected")

	// the keyboard alone: / to the filter, a new filter the selected
	// machine does not match, which stays listed, pinned
	tb.Do(chromedp.KeyEvent("/"))
	tb.WaitTrue(`document.activeElement === document.querySelector("#tree-filter")`)
	for _, key := range "worker-7" {
		tb.Do(chromedp.KeyEvent(string(key)))
	}
	if got := browser.Eval[string](tb, `document.querySelector("#tree-filter").value`); got != "worker-7" {
		t.Fatalf("the filter box holds %q, want worker-7", got)
	}
	tb.WaitText("#tree-count", "111 of 2000")
	tb.WaitText(`#tree li.pinned[data-id="worker-1942"]`, "pinned")
	// in sight, though it is the last of 112 rows
	tb.WaitTrue(`(([r, box]) => r.top >= box.top && r.bottom <= box.bottom)([document.querySelector("#tree li.pinned"), document.querySelector("#tree")].map(e => e.getBoundingClientRect()))`)
	shot("pinned")
	// Enter selects the first match
	tb.Do(chromedp.KeyEvent(kb.Enter))
	tb.WaitText("#diagram-title", "states · worker-7 ")
	// down into the rows, down again, Enter
	tb.Do(chromedp.KeyEvent(kb.ArrowDown))
	tb.WaitTrue(`document.activeElement.dataset.id === "worker-7"`)
	tb.Do(chromedp.KeyEvent(kb.ArrowDown))
	tb.WaitTrue(`document.activeElement.dataset.id === "worker-70"`)
	tb.Do(chromedp.KeyEvent(kb.Enter))
	tb.WaitText("#diagram-title", "worker-70")
	tb.WaitTrue(`document.activeElement.dataset.id === "worker-70"`)
	// Escape in the filter lists every machine again
	tb.Click("#tree-filter")
	tb.Do(chromedp.KeyEvent(kb.Escape))
	tb.WaitText("#tree-count", "2000")
	moreLine("1,500 more machines — refine the filter")
	if got := browser.Eval[string](tb, `location.search`); got != "?m=worker-70" {
		t.Errorf("the address says %s, want ?m=worker-70", got)
	}
}
