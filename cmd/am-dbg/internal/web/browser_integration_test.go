package web

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	_, ts := serve(t, st, &Options{Source: "listening 127.0.0.1:7464"})
	tb := browser.Open(t, ts.URL+"/", nil)
	tb.WaitText("#tree", "shop", "order-1", xssID, "crafted")

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
