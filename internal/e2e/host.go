package e2e

import (
	"errors"
	"testing"
)

// host is what backends run for: a test, whose cleanup stops them, or a
// Session, whose Close does.
type host interface {
	// dataDir returns a new, empty directory for one backend.
	dataDir(name string) (string, error)
	// adopt takes over stopping p, which is ready. When it cannot, it stops
	// p and returns why.
	adopt(p *process) error
	// logf notes progress that is not an error, such as a retried start.
	logf(format string, args ...any)
}

// testHost runs backends for a test: in its temp dir, until its cleanup.
type testHost struct{ t testing.TB }

func (h testHost) dataDir(string) (string, error) { return h.t.TempDir(), nil }

func (h testHost) adopt(p *process) error {
	h.t.Cleanup(func() {
		if err := p.stop(); err != nil {
			h.t.Errorf("e2e: stopping %s: %v", p.name, err)
		}
		if h.t.Failed() {
			h.t.Logf("e2e: last lines of %s:\n%s", p.logPath, p.logTail(40))
		}
	})
	return nil
}

func (h testHost) logf(format string, args ...any) { h.t.Logf(format, args...) }

// errNotInstalled marks a backend whose binary is missing.
var errNotInstalled = errors.New("not installed")

// mustStart ends the test when a Start function failed: a skip (or, under
// CI=true, a failure) with install hints when the backend is missing, a
// failure otherwise.
func mustStart(t testing.TB, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, errNotInstalled) {
		Require(t, name)
	}
	if errors.Is(err, errExternal) {
		t.Skipf("%v; skipped: the run asked for existing backends", err)
	}
	t.Fatalf("e2e: %v", err)
}
