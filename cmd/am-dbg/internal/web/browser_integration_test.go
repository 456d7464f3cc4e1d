package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/amkit-dev/amkit/internal/e2e/browser"
)

// tab is a tab on the inspector, with what the test asks of it.
type tab struct {
	t   testing.TB
	ctx context.Context
	// dialogs counts alert, confirm and prompt dialogs the page opened:
	// script that a peer's string smuggled in would open one.
	dialogs atomic.Int32
}

// openTab opens url in a new headless chromium.
func openTab(t testing.TB, url string) *tab {
	t.Helper()
	ctx := browser.New(t, nil)
	tb := &tab{t: t, ctx: ctx}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			tb.dialogs.Add(1)
		}
	}()
	tb.do(chromedp.Navigate(url))
	return tb
}

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitText waits until the element the CSS selector names shows every
// one of wants, and returns its text.
func (tb *tab) waitText(sel string, wants ...string) string {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		text := eval[string](tb, `(document.querySelector(`+jsString(sel)+`) || {}).textContent || ""`)
		missing := ""
		for _, w := range wants {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return text
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s never showed %q; it shows:\n%s", sel, missing, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the page as a PNG in dir, and returns its path.
func (tb *tab) screenshot(path string) string {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return path
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "<", `\x3c`)
	return `"` + r.Replace(s) + `"`
}

// lit returns the names of the lit (active) states in the diagram.
func (tb *tab) lit() string {
	tb.t.Helper()
	return eval[string](tb, `[...document.querySelectorAll("#diagram g.node.active")].map(n => n.dataset.state).sort().join(",")`)
}

// click clicks the first element the CSS selector names.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitEval waits until the JavaScript expression is true.
func (tb *tab) waitEval(expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !eval[bool](tb, expr) {
		if time.Now().After(deadline) {
			tb.t.Fatalf("never true: %s", expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntegrationBrowserPage looks at the inspector in headless chromium,
// as a person would: the tree, the diagram, a canceled transition
// explained, time travel, and a peer's markup shown as text. With
// AMDBG_WEB_SHOT=FILE it also saves a screenshot to FILE.
func TestIntegrationBrowserPage(t *testing.T) {
	st := fixture(t)
	_, ts := serve(t, st, &Options{Source: "listening 127.0.0.1:7464"})
	tb := openTab(t, ts.URL+"/")
	tb.waitText("#tree", "shop", "order-1", xssID, "crafted")

	// order-1's diagram: a node per state, an edge per relation
	tb.click(`#tree li[data-id="order-1"]`)
	tb.waitText("#diagram-title", "order-1")
	if n := eval[int](tb, `document.querySelectorAll("#diagram g.node").length`); n != 5 {
		t.Errorf("order-1's diagram has %d nodes, want 5 (4 states and Exception)", n)
	}
	if n := eval[int](tb, `document.querySelectorAll("#diagram path.edge").length`); n != 3 {
		t.Errorf("order-1's diagram has %d edges, want 3 (each state requires the one before)", n)
	}
	if got := tb.lit(); got != "Created,Delivered,Paid,Shipped" {
		t.Errorf("lit after the last transition: %s", got)
	}

	// the canceled transition explains itself
	tb.click("#timeline li.canceled")
	tb.waitText("#steps", "Shipped requires Paid")
	tb.waitText("#details", "canceled: requirement not met: Shipped requires Paid")
	tb.waitText("#mode", "paused")
	if got := tb.lit(); got != "Created" {
		t.Errorf("lit after the canceled transition: %s, want Created", got)
	}
	if n := eval[int](tb, `document.querySelectorAll("#diagram g.node.called").length`); n != 1 {
		t.Errorf("%d called nodes, want Shipped alone", n)
	}

	// arrow keys travel: one on, Paid is lit too
	tb.do(chromedp.KeyEvent(kb.ArrowRight))
	tb.waitEval(`document.querySelector("#timeline li.selected .id").textContent === "#3"`)
	if got := tb.lit(); got != "Created,Paid" {
		t.Errorf("lit after #3: %s, want Created,Paid", got)
	}
	// End follows again
	tb.do(chromedp.KeyEvent(kb.End))
	tb.waitText("#mode", "live")
	tb.waitEval(`document.querySelector("#timeline li.selected .id").textContent === "#5"`)

	// peers' markup is text
	tb.click(`#tree li[data-id="crafted"]`)
	tb.waitText("#diagram-title", "crafted")
	tb.waitText("#log", xssLog)
	tb.waitText("#details", xssLog+"="+xssLog)
	if got := eval[string](tb, `document.querySelector("#diagram g.node[data-state^='<svg']").textContent`); !strings.Contains(got, "<svg onload") {
		t.Errorf("the crafted state's node reads %q", got)
	}
	if n := eval[int](tb, `document.querySelectorAll("img, main script, [onload], [onerror]").length`); n != 0 {
		t.Errorf("%d elements were injected from peers' strings", n)
	}
	if n := tb.dialogs.Load(); n != 0 {
		t.Errorf("the page opened %d dialogs", n)
	}
	if out := os.Getenv("AMDBG_WEB_SHOT"); out != "" {
		tb.click(`#tree li[data-id="order-1"]`)
		tb.click("#timeline li.canceled")
		tb.waitText("#steps", "Shipped requires Paid")
		tb.screenshot(out)
	}
}
