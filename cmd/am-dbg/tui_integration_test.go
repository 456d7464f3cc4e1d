package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// tmux runs a program in a detached tmux session on its own server, and
// reads its screen as a user sees it.
type tmux struct {
	bin, sock, session string
}

func (tm *tmux) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-S", tm.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs command in a new 160x48 session.
func (tm *tmux) start(t *testing.T, command string) {
	t.Helper()
	tm.run(t, "new-session", "-d", "-s", tm.session, "-x", "160", "-y", "48", command)
	t.Cleanup(func() {
		// the server may be gone with its last session
		_ = exec.Command(tm.bin, "-S", tm.sock, "kill-server").Run()
	})
}

// keys sends tmux key names, like "Enter" or "Right".
func (tm *tmux) keys(t *testing.T, keys ...string) {
	t.Helper()
	tm.run(t, append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

// text types s literally.
func (tm *tmux) text(t *testing.T, s string) {
	t.Helper()
	tm.run(t, "send-keys", "-t", tm.session, "-l", s)
}

func (tm *tmux) capture(t *testing.T) string {
	t.Helper()
	return tm.run(t, "capture-pane", "-p", "-t", tm.session)
}

// waitFor polls the screen until it shows every one of wants, and returns
// it.
func (tm *tmux) waitFor(t *testing.T, wants ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen := tm.capture(t)
		missing := ""
		for _, w := range wants {
			if !strings.Contains(screen, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return screen
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q:\n%s", missing, screen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenLine returns the first line of screen containing every part, or
// "".
func screenLine(screen string, parts ...string) string {
	for _, line := range strings.Split(screen, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return line
		}
	}
	return ""
}

func wantScreenLine(t *testing.T, screen string, parts ...string) {
	t.Helper()
	if screenLine(screen, parts...) == "" {
		t.Errorf("no line with %q on the screen:\n%s", parts, screen)
	}
}

func goBuild(t *testing.T, pkg, out string) string {
	t.Helper()
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// tuiBinaries finds tmux and builds am-dbg and dbg-orders into a
// temporary directory, for the tests that run them in tmux. Without tmux
// they skip, except with CI=true.
func tuiBinaries(t *testing.T) (tmuxBin, dir, amDbg, orders string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds binaries and runs them in tmux")
	}
	tmuxBin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux not found; CI needs it for the TUI test")
		}
		t.Skip("tmux not found: skipping the TUI end-to-end test")
	}
	dir = t.TempDir()
	amDbg = goBuild(t, ".", filepath.Join(dir, "am-dbg"))
	orders = goBuild(t, "github.com/amkit-dev/amkit/examples/dbg-orders", filepath.Join(dir, "dbg-orders"))
	return tmuxBin, dir, amDbg, orders
}

// TestIntegrationTUI is the end-to-end check of what a user sees: am-dbg
// runs in tmux and records, the dbg-orders example reports to it, keys
// are typed, and the screen must show the machine tree, the active
// states, and a step explaining a canceled transition. Then the recording
// opens in the same UI. It needs tmux; without it the test skips, except
// with CI=true.
func TestIntegrationTUI(t *testing.T) {
	tmuxBin, dir, amDbg, orders := tuiBinaries(t)
	addr := freeAddr(t)
	rec := filepath.Join(dir, "session.amdbg")
	exitFile := filepath.Join(dir, "exit")

	tm := &tmux{bin: tmuxBin, sock: filepath.Join(dir, "tmux.sock"), session: "amdbg"}
	diagrams := filepath.Join(dir, "diagrams")
	tm.start(t, amDbg+" --listen "+addr+" --record "+rec+" --dir "+diagrams+"; echo $? > "+exitFile+"; sleep 60")
	tm.waitFor(t, "listening "+addr, "recording to session.amdbg", "0 clients", "waiting for machines")

	example := exec.Command(orders, "--orders", "2", "--pace", "0", "--hold")
	example.Env = append(os.Environ(), "AM_DBG_ADDR="+addr)
	if err := example.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = example.Process.Kill()
		_ = example.Wait()
	})
	screen := tm.waitFor(t, "payment-2", "1 client", "shop history 5/5")
	wantScreenLine(t, screen, "▸● shop", "5")
	wantScreenLine(t, screen, "● ├ order-1")
	wantScreenLine(t, screen, "● │ └ payment-1")
	wantScreenLine(t, screen, "● └ order-2")
	wantScreenLine(t, screen, "●   └ payment-2")
	wantScreenLine(t, screen, "● Open")

	// find order-1's Shipped state; the cursor follows its newest
	// transition, the auto Delivered
	tm.text(t, "/Shipped")
	tm.keys(t, "Enter")
	screen = tm.waitFor(t, "states · order-1 after #5", "match 1/2")
	wantScreenLine(t, screen, "▸● Shipped")
	wantScreenLine(t, screen, "● Created")
	wantScreenLine(t, screen, "● Paid")
	wantScreenLine(t, screen, "● Delivered", "+")
	wantScreenLine(t, screen, "▶", "auto", "✓ Delivered")

	// the first transition, then the next one touching Shipped: the
	// courier came before the payment
	tm.keys(t, "g", "]")
	screen = tm.waitFor(t, "transition #2")
	wantScreenLine(t, screen, "✗ canceled: requirement not met: Shipped requires Paid")
	wantScreenLine(t, screen, "canceled: Shipped requires Paid, which cannot be active")
	wantScreenLine(t, screen, "○ Shipped", "*")
	wantScreenLine(t, screen, "order-1 history 2/5", "paused")

	viewsAndControls(t, tm, diagrams)

	// the example ends, disposing its machines: they are marked disposed,
	// not merely gone with their client
	if err := example.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := example.Wait(); err != nil {
		t.Fatalf("dbg-orders: %v", err)
	}
	screen = tm.waitFor(t, "0 clients", "✕ ├ order-1")
	wantScreenLine(t, screen, "✕ shop")
	wantScreenLine(t, screen, "✕   └ payment-2")

	tm.keys(t, "q")
	waitExit(t, exitFile)

	// the recording opens in the same UI, on a tmux server of its own: the
	// first one may still be exiting with its last session
	tm.run(t, "kill-session", "-t", tm.session)
	tm = &tmux{bin: tmuxBin, sock: filepath.Join(dir, "tmux-import.sock"), session: "amdbg"}
	tm.start(t, amDbg+" --import "+rec)
	// the disposals were recorded too
	tm.waitFor(t, "recording "+rec, "✕   └ payment-2")
	tm.text(t, "/Shipped")
	tm.keys(t, "Enter", "g", "]")
	screen = tm.waitFor(t, "transition #2")
	wantScreenLine(t, screen, "canceled: Shipped requires Paid, which cannot be active")
	tm.keys(t, "?")
	screen = tm.waitFor(t, "am-dbg keys", "step back one transition", "hide canceled transitions")
	for _, key := range []string{"jump back 100", "jump forward 100", "hide empty", "hide checks", "log level",
		"relations matrix", "rain:", "diagrams", "click selects"} {
		if !strings.Contains(screen, key) {
			t.Errorf("the help lacks %q:\n%s", key, screen)
		}
	}
}

// TestIntegrationTUIToken runs am-dbg with a token in tmux, as a user on a
// shared machine would: a program with the wrong token is turned away,
// and the status bar says so; the same program with the right one shows
// its machines.
func TestIntegrationTUIToken(t *testing.T) {
	tmuxBin, dir, amDbg, orders := tuiBinaries(t)
	addr := freeAddr(t)
	exitFile := filepath.Join(dir, "exit")
	tm := &tmux{bin: tmuxBin, sock: filepath.Join(dir, "tmux.sock"), session: "amdbg"}
	tm.start(t, "AM_DBG_TOKEN=s3cret "+amDbg+" --listen "+addr+"; echo $? > "+exitFile+"; sleep 60")
	tm.waitFor(t, "listening "+addr, "0 clients", "waiting for machines")

	orderRun := func(token string) *exec.Cmd {
		cmd := exec.Command(orders, "--orders", "2", "--pace", "0", "--hold")
		cmd.Env = append(os.Environ(), "AM_DBG_ADDR="+addr, "AM_DBG_TOKEN="+token)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		return cmd
	}
	intruder := orderRun("wrong")
	screen := tm.waitFor(t, "turned away", "waiting for machines")
	if strings.Contains(screen, "shop") {
		t.Errorf("a program with the wrong token got its machines shown:\n%s", screen)
	}
	_ = intruder.Process.Kill()
	_ = intruder.Wait()

	orderRun("s3cret")
	screen = tm.waitFor(t, "payment-2", "1 client", "turned away")
	wantScreenLine(t, screen, "▸● shop")
	tm.keys(t, "q")
	waitExit(t, exitFile)
}

// viewsAndControls drives the views and controls beyond the panes, over
// the live dbg-orders session with order-1 selected: jumps, filters, the
// log level, the relations matrix, the rain, diagrams and the mouse.
func viewsAndControls(t *testing.T, tm *tmux, diagrams string) {
	t.Helper()
	tm.keys(t, ">")
	tm.waitFor(t, "order-1 history 5/5")
	tm.keys(t, "<")
	tm.waitFor(t, "order-1 history 1/5")

	tm.keys(t, "e", "x")
	tm.waitFor(t, "no empty · no checks")
	tm.keys(t, "e", "x", "L")
	tm.waitFor(t, "log · order-1 · up to decisions")
	tm.keys(t, "L", "L", "L")
	screen := tm.waitFor(t, "log · order-1 ─")
	if screenLine(screen, "no empty") != "" {
		t.Errorf("filters still on:\n%s", screen)
	}

	// the matrix: Shipped requires Paid
	tm.keys(t, "m")
	screen = tm.waitFor(t, "relations · order-1", "R requires · A adds · X removes · > after")
	wantScreenLine(t, screen, "Shipped", "R")
	tm.keys(t, "m")
	tm.waitFor(t, "states · order-1 after #1")

	// the rain: every machine's transitions; enter opens one in the panes
	tm.keys(t, "r")
	screen = tm.waitFor(t, "rain · every machine", "rain following")
	wantScreenLine(t, screen, "shop", "#1")
	wantScreenLine(t, screen, "order-1", "✗", "Shipped")
	wantScreenLine(t, screen, "order-2", "#6", "auto", "✓", "Delivered")
	wantScreenLine(t, screen, "▶", "add")
	tm.keys(t, "Up")
	tm.waitFor(t, "rain paused")
	tm.keys(t, "Enter")
	tm.waitFor(t, "history", "paused", "transition #")

	// diagrams of order-1 at its first transition, which Graphviz reads
	tm.text(t, "/order-1")
	tm.keys(t, "Enter", "g", "d")
	tm.waitFor(t, "wrote order-1.mmd, order-1.dot at #1 to "+diagrams)
	mmd, err := os.ReadFile(filepath.Join(diagrams, "order-1.mmd"))
	if err != nil || !strings.Contains(string(mmd), "%% machine order-1") {
		t.Errorf("order-1.mmd: %v\n%s", err, mmd)
	}
	checkDOT(t, filepath.Join(diagrams, "order-1.dot"))

	// the mouse: a click on payment-2's row in the tree (the 5th row, under
	// the border), then the wheel over the timeline
	tm.mouse(t, 0, 3, 5)
	tm.waitFor(t, "states · payment-2", "▸● ", "payment-2 history")
	tm.mouse(t, 64, 100, 5)
	tm.waitFor(t, "payment-2 history 1/")
	tm.mouse(t, 65, 100, 5)
	tm.waitFor(t, "payment-2 history 4/4")
	// back to order-1's Shipped, as the rest of the test expects
	tm.text(t, "/Shipped")
	tm.keys(t, "Enter", "g", "]")
	tm.waitFor(t, "order-1 history 2/5")
}

// mouse sends a mouse press and release of button (0 left, 64 wheel up,
// 65 wheel down) at column x, row y from 0, in the SGR encoding the
// terminal would send.
func (tm *tmux) mouse(t *testing.T, button, x, y int) {
	t.Helper()
	for _, end := range []string{"M", "m"} {
		if button >= 64 && end == "m" {
			// a wheel notch has no release
			break
		}
		seq := "\x1b[<" + strconv.Itoa(button) + ";" + strconv.Itoa(x+1) + ";" + strconv.Itoa(y+1) + end
		var hex []string
		for _, b := range []byte(seq) {
			hex = append(hex, strconv.FormatUint(uint64(b), 16))
		}
		tm.run(t, append([]string{"send-keys", "-t", tm.session, "-H"}, hex...)...)
	}
}

// checkDOT renders the DOT file with Graphviz, which must accept it.
func checkDOT(t *testing.T, path string) {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		if e2e.InCI() {
			t.Fatalf("Graphviz dot not found (CI=true: run \"make e2e-deps\"): %v", err)
		}
		t.Logf("Graphviz dot not found; %s not rendered", path)
		return
	}
	if out, err := exec.Command(dot, "-Tsvg", "-o", os.DevNull, path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("dot -Tsvg %s: %v\n%s", path, err, out)
	}
}

// waitExit waits for the exit status the session's shell writes, and
// fails unless it is 0.
func waitExit(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			if code := strings.TrimSpace(string(b)); code != "0" {
				t.Fatalf("am-dbg exited with status %s", code)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("am-dbg did not exit after q")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
