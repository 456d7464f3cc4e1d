// Package browser runs Debian's chromium headless for tests of web pages,
// driven with chromedp: a test opens a page, clicks and types as a person
// would, reads the DOM, and takes screenshots.
//
// Chromium comes from `make e2e-deps` (the Debian package chromium). When
// it is missing, [New] skips the test with one line, except under
// CI=true, where it fails it.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// debianPath is where Debian's chromium package puts the browser.
const debianPath = "/usr/bin/chromium"

// Path returns the chromium executable: Debian's, or the first chromium on
// PATH.
func Path() (string, error) {
	if fi, err := os.Stat(debianPath); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return debianPath, nil
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		return "", fmt.Errorf("browser: chromium not found: %w", err)
	}
	return p, nil
}

// Options configure [New].
type Options struct {
	// Width and Height are the window's size in CSS pixels; 0 means
	// 1440×900.
	Width, Height int
	// Timeout bounds the whole browser session; 0 means 2 minutes.
	Timeout time.Duration
}

// New starts a headless chromium with a fresh profile and returns a
// context for chromedp actions on its first tab. The browser is stopped
// when the test ends. opts may be nil.
func New(t testing.TB, opts *Options) context.Context {
	t.Helper()
	path, err := Path()
	if err != nil {
		if e2e.InCI() {
			t.Fatalf("%v (CI=true: run \"make e2e-deps\" before the tests)", err)
		}
		t.Skipf("%v; run \"make e2e-deps\" to install it", err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1440, 900
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
		// nothing but the page under test goes on the network
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), o.Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, flags...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	// start the browser now, so a broken install fails here with its cause
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: start %s: %v", path, err)
	}
	return ctx
}
