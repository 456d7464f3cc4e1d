package browser

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
)

// waitTimeout bounds every wait of a [Tab].
const waitTimeout = 15 * time.Second

// Tab is a page open in the browser, with what a test does on it: click,
// type, read the DOM, wait for text, take screenshots. Every method fails
// the test on error.
type Tab struct {
	t   testing.TB
	ctx context.Context
	// dialogs counts the alert, confirm and prompt dialogs the page
	// opened: script smuggled into a page would likely open one.
	dialogs atomic.Int32
}

// Open starts a browser as [New] does and opens url in it.
func Open(t testing.TB, url string, opts *Options) *Tab {
	t.Helper()
	ctx := New(t, opts)
	tab := &Tab{t: t, ctx: ctx}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			tab.dialogs.Add(1)
		}
	}()
	tab.Do(chromedp.Navigate(url))
	return tab
}

// Context returns the chromedp context of the tab, for actions of its own.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Dialogs returns how many JavaScript dialogs the page opened.
func (tab *Tab) Dialogs() int { return int(tab.dialogs.Load()) }

// Do runs chromedp actions on the tab.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, actions...); err != nil {
		tab.t.Fatal(err)
	}
}

// Eval evaluates a JavaScript expression in the tab's page.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	v, err := chromedp.Run(tab.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tab.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Click clicks the first element the CSS selector names with the mouse,
// once visible. A page that redraws may replace the element between
// finding it and clicking it; Click then finds it again.
func (tab *Tab) Click(sel string) {
	tab.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		err := chromedp.Do(tab.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		if err == nil {
			return
		}
		if time.Now().After(deadline) || tab.ctx.Err() != nil {
			tab.t.Fatalf("click %s: %v", sel, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Text returns the text content of the first element the CSS selector
// names, or "" when there is none.
func (tab *Tab) Text(sel string) string {
	tab.t.Helper()
	return Eval[string](tab, `(document.querySelector(`+JSString(sel)+`) || {}).textContent || ""`)
}

// WaitText waits until the first element the CSS selector names holds
// every one of wants in its text, and returns the text.
func (tab *Tab) WaitText(sel string, wants ...string) string {
	tab.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		text := tab.Text(sel)
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
			tab.t.Fatalf("%s never showed %q; it shows:\n%s", sel, missing, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitTrue waits until the JavaScript expression is true.
func (tab *Tab) WaitTrue(expr string) {
	tab.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !Eval[bool](tab, expr) {
		if time.Now().After(deadline) {
			tab.t.Fatalf("never true: %s", expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves the whole page as a PNG file at path.
func (tab *Tab) Screenshot(path string) {
	tab.t.Helper()
	png, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tab.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tab.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatal(err)
	}
}

// JSString quotes s as a JavaScript string literal, safe inside a page's
// script too.
func JSString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "<", `\x3c`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return `"` + r.Replace(s) + `"`
}
