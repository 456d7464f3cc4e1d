package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/internal/e2e/browser"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// webXSS is a machine ID that runs script if a page puts it in as HTML.
const webXSS = `<img src=x onerror=alert(1)>`

// startProgram runs a built program until the test ends, stopping it with
// SIGINT, and returns what it writes to stderr.
func startProgram(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, *e2e.SyncBuffer) {
	t.Helper()
	var out e2e.SyncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGINT)
			_ = cmd.Wait()
		}
	})
	return cmd, &out
}

// waitOutput waits until out holds want.
func waitOutput(t *testing.T, out *e2e.SyncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q:\n%s", want, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitTrue(tab *browser.Tab, expr string) bool {
	deadline := time.Now().Add(15 * time.Second)
	for !browser.Eval[bool](tab, expr) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// litStates returns the states lit in the page's diagram, sorted.
func litStates(tab *browser.Tab) string {
	return browser.Eval[string](tab, `[...document.querySelectorAll("#diagram g.node.active")].map(n => n.dataset.state).sort().join(",")`)
}

// TestIntegrationWeb is the end-to-end check of the web inspector, in
// headless chromium as a person uses it: am-dbg --headless --web records
// while dbg-orders and a machine with a hostile ID report to it; the page
// must show every machine, draw order-1 with a node per state and an edge
// per relation, explain the canceled transition, light other states when
// traveling back, and show the hostile ID as text without running it.
// Then the recording opens with --import --web and a token, which every
// request must carry. With AMDBG_WEB_SCREENSHOT=FILE it saves the page as
// the README shows it (make web-screenshot). It needs chromium; without it
// the test skips, except with CI=true.
func TestIntegrationWeb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs them with a browser")
	}
	if _, err := browser.Path(); err != nil {
		if e2e.InCI() {
			t.Fatalf("%v (CI=true: run \"make e2e-deps\")", err)
		}
		t.Skipf("%v; run \"make e2e-deps\" to install it", err)
	}
	dir := t.TempDir()
	amDbg := goBuild(t, ".", filepath.Join(dir, "am-dbg"))
	orders := goBuild(t, "github.com/amkit-dev/amkit/examples/dbg-orders", filepath.Join(dir, "dbg-orders"))
	addr, webAddr := freeAddr(t), freeAddr(t)
	rec := filepath.Join(dir, "session.amdbg")

	dbgCmd, dbgOut := startProgram(t, amDbg, nil, "--headless", "--listen", addr, "--record", rec, "--web", webAddr)
	waitOutput(t, dbgOut, "web inspector on http://"+webAddr+"/")
	example, _ := startProgram(t, orders, []string{"AM_DBG_ADDR=" + addr}, "--orders", "2", "--pace", "0", "--hold")

	tab := browser.Open(t, "http://"+webAddr+"/", nil)
	tab.WaitText("#tree", "shop", "order-1", "payment-1", "order-2", "payment-2")
	tab.WaitText("#clients", "1 client")

	tab.Click(`#tree li[data-id="order-1"]`)
	tab.WaitText("#diagram-title", "order-1 after #5")
	if n := browser.Eval[int](tab, `document.querySelectorAll("#diagram g.node").length`); n != 5 {
		t.Errorf("order-1's diagram has %d nodes, want its 4 states and Exception", n)
	}
	if n := browser.Eval[int](tab, `document.querySelectorAll("#diagram path.edge.require").length`); n != 3 {
		t.Errorf("order-1's diagram has %d require edges, want 3", n)
	}
	if got := litStates(tab); got != "Created,Delivered,Paid,Shipped" {
		t.Errorf("lit after the newest transition: %s", got)
	}

	tab.Click("#timeline li.canceled")
	tab.WaitText("#steps", "Shipped requires Paid")
	tab.WaitText("#mode", "paused")
	if got := litStates(tab); got != "Created" {
		t.Errorf("lit after the canceled #2: %s, want Created", got)
	}
	tab.Do(chromedp.KeyEvent(kb.ArrowRight))
	tab.WaitTrue(`document.querySelector("#timeline li.selected .id").textContent === "#3"`)
	if got := litStates(tab); got != "Created,Paid" {
		t.Errorf("lit after #3: %s, want Created,Paid", got)
	}
	if shot := os.Getenv("AMDBG_WEB_SCREENSHOT"); shot != "" {
		tab.Do(chromedp.KeyEvent(kb.ArrowLeft))
		tab.WaitText("#steps", "Shipped requires Paid")
		tab.Screenshot(shot)
	}

	hostile(t, addr)
	tab.WaitText("#tree", webXSS)
	tab.WaitText("#clients", "2 clients")
	tab.Click(`#tree li[data-id="` + webXSS + `"]`)
	tab.WaitText("#diagram-title", webXSS)
	if n := browser.Eval[int](tab, `document.querySelectorAll("img, [onerror]").length`); n != 0 {
		t.Errorf("%d elements were injected from the machine's ID", n)
	}
	if n := tab.Dialogs(); n != 0 {
		t.Errorf("the page opened %d dialogs", n)
	}

	// the example ends, disposing its machines; it waits for the root's
	// disposal only, so the root is the one sure to be reported
	if err := example.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := example.Wait(); err != nil {
		t.Fatalf("dbg-orders: %v", err)
	}
	if !waitTrue(tab, `document.querySelector('#tree li[data-id="shop"]').classList.contains("disposed")`) {
		res, err := http.Get("http://" + webAddr + "/api/view")
		var body []byte
		if err == nil {
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
		}
		t.Fatalf("shop never shown disposed; the page: %s / %s / %s; the view: %v %.600s\n%s", tab.Text("#mode"), tab.Text("#tree"), browser.Eval[string](tab, "document.body.dataset.rev"), err, body, dbgOut.String())
	}
	if err := dbgCmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := dbgCmd.Wait(); err != nil {
		t.Fatalf("am-dbg: %v\n%s", err, dbgOut.String())
	}

	// the recording, with a token
	const token = "t0ken-for-the-test"
	importAddr := freeAddr(t)
	_, importOut := startProgram(t, amDbg, nil, "--headless", "--import", rec, "--web", importAddr, "--web-token", token)
	waitOutput(t, importOut, "web inspector on http://"+importAddr+"/")
	if strings.Contains(importOut.String(), token) {
		t.Errorf("am-dbg printed its token:\n%s", importOut.String())
	}
	for _, path := range []string{"/", "/api/view", "/api/events", "/static/app.js"} {
		res, err := http.Get("http://" + importAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without the token: %s", path, res.Status)
		}
	}
	tab = browser.Open(t, "http://"+importAddr+"/?token="+token, nil)
	tab.WaitText("#source", "recording "+rec)
	tab.WaitText("#tree", "payment-2")
	tab.Click(`#tree li[data-id="order-1"]`)
	tab.Click("#timeline li.canceled")
	tab.WaitText("#steps", "Shipped requires Paid")
	if u := browser.Eval[string](tab, `location.href`); strings.Contains(u, token) {
		t.Errorf("the token stayed in the address bar: %s", u)
	}
}

// hostile runs a machine whose ID is markup, reporting to addr until the
// test ends.
func hostile(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mach, err := am.New(ctx, am.Schema{"Ready": {}}, &am.Opts{ID: webXSS})
	if err != nil {
		t.Fatal(err)
	}
	tracer, err := dbg.TransitionsToDbg(mach, addr)
	if err != nil {
		t.Fatal(err)
	}
	mach.Add1("Ready", nil)
	t.Cleanup(func() {
		cancel()
		closeCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = tracer.Close(closeCtx)
	})
}

// TestIntegrationWebBesideTUI runs the terminal UI with --web: both show
// the same store, the UI names the inspector's URL in its status bar, and
// quitting the UI stops the inspector too. It needs tmux and chromium;
// without them the test skips, except with CI=true.
func TestIntegrationWebBesideTUI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs them in tmux and a browser")
	}
	tmuxBin, err := exec.LookPath("tmux")
	if err != nil {
		if e2e.InCI() {
			t.Fatal("tmux not found; CI needs it for the TUI test")
		}
		t.Skip("tmux not found: skipping")
	}
	dir := t.TempDir()
	amDbg := goBuild(t, ".", filepath.Join(dir, "am-dbg"))
	orders := goBuild(t, "github.com/amkit-dev/amkit/examples/dbg-orders", filepath.Join(dir, "dbg-orders"))
	addr, webAddr := freeAddr(t), freeAddr(t)
	exitFile := filepath.Join(dir, "exit")
	tm := &tmux{bin: tmuxBin, sock: filepath.Join(dir, "tmux.sock"), session: "amdbg"}
	tm.start(t, amDbg+" --listen "+addr+" --web "+webAddr+"; echo $? > "+exitFile+"; sleep 60")
	tm.waitFor(t, "listening "+addr, "web http://"+webAddr+"/")

	startProgram(t, orders, []string{"AM_DBG_ADDR=" + addr}, "--orders", "2", "--pace", "0", "--hold")
	tm.waitFor(t, "payment-2", "1 client")
	tab := browser.Open(t, "http://"+webAddr+"/", nil)
	tab.WaitText("#tree", "shop", "order-1", "payment-1", "order-2", "payment-2")
	tab.WaitText("#clients", "1 client")

	tm.keys(t, "q")
	waitExit(t, exitFile)
	if _, err := http.Get("http://" + webAddr + "/"); err == nil {
		t.Error("the inspector still answers after the UI quit")
	}
}
