// Package e2e runs real observability backends on loopback for integration
// tests: Prometheus, Pushgateway, Jaeger v2 and VictoriaLogs (which takes
// Loki's push API, so Loki clients are tested against it). Each Start
// function launches the backend as a child process on free 127.0.0.1 ports
// with a fresh data directory, waits until it reports ready, and stops it
// through t.Cleanup. A Session starts the same backends outside of tests, for
// `make stack`, and stops them on Close.
//
// The binaries come from `make e2e-deps` (internal/e2e/deps.sh). When one is
// missing, tests skip with a hint, except under CI=true, where a missing or
// broken backend fails the test: CI must never go green by skipping.
//
// AMKIT_E2E_PROMETHEUS_URL, AMKIT_E2E_PUSHGATEWAY_URL, AMKIT_E2E_JAEGER_URL
// and AMKIT_E2E_VICTORIALOGS_URL point the harness at backends that already
// run instead (EnvPrometheusURL and the others): it starts no process for
// them, and the tests that must control a backend's process, or need a
// Prometheus to scrape targets of their own, skip with a line saying so.
package e2e

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

//go:embed versions.env
var versionsEnv []byte

// Backend names accepted by Require and BinaryPath.
const (
	Prometheus   = "prometheus"
	Pushgateway  = "pushgateway"
	Jaeger       = "jaeger"
	VictoriaLogs = "victorialogs"
	// Collector is the OpenTelemetry Collector built from tools/otelcol.
	Collector = "otelcol"
)

// Versions returns the pinned backend versions from versions.env, keyed by
// variable name (e.g. "JAEGER_VERSION"). deps.sh sources the same file, so
// the harness looks for exactly the binaries that deps.sh builds. Callers
// must not modify the map.
func Versions() map[string]string { return versions() }

var versions = sync.OnceValue(func() map[string]string { return parseEnv(versionsEnv) })

// parseEnv reads KEY=VALUE lines, skipping comments and blanks; versions.env
// is kept to that subset of shell so both bash and Go can read it.
func parseEnv(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out
}

// CacheDir is where deps.sh puts the binaries it builds: $AMKIT_E2E_CACHE,
// or ~/.cache/amkit-e2e, the same default deps.sh uses.
func CacheDir() string {
	if d := os.Getenv("AMKIT_E2E_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// Without a home the cache cannot be found; a relative path makes the
		// lookup fail with a clear "not installed" instead of a panic.
		return filepath.Join(".cache", "amkit-e2e")
	}
	return filepath.Join(home, ".cache", "amkit-e2e")
}

// BinaryPath returns the executable for a backend name and the version it is
// pinned to, or an error naming what is missing.
func BinaryPath(name string) (path, version string, err error) {
	v := Versions()
	switch name {
	case Prometheus:
		path, err = exec.LookPath("prometheus")
		version = v["PROMETHEUS_VERSION"]
	case Pushgateway:
		// Debian's name for the Pushgateway binary.
		path, err = exec.LookPath("prometheus-pushgateway")
		version = v["PUSHGATEWAY_VERSION"]
	case Jaeger:
		version = v["JAEGER_VERSION"]
		path, err = cachedBinary("jaeger-" + version)
	case VictoriaLogs:
		version = v["VICTORIALOGS_VERSION"]
		path, err = cachedBinary("victorialogs-" + version)
	case Collector:
		version = v["OTELCOL_VERSION"]
		path, err = cachedBinary("otelcol-" + version)
	default:
		return "", "", fmt.Errorf("e2e: unknown backend %q", name)
	}
	if err != nil {
		return "", version, fmt.Errorf("e2e: %s %s %w (%w)", name, version, errNotInstalled, err)
	}
	return path, version, nil
}

// cachedBinary checks that file exists and is executable in CacheDir.
func cachedBinary(file string) (string, error) {
	p := filepath.Join(CacheDir(), file)
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("no %s: %w", p, fs.ErrNotExist)
		}
		return "", fmt.Errorf("checking %s: %w", p, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", p)
	}
	return p, nil
}

// InCI reports whether CI=true, the mode in which missing backends fail
// tests instead of skipping them.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips the test when any of the named backends is not installed,
// with one line telling how to install them; under CI=true it fails the test
// instead. A backend that the environment points at an existing one (see
// EnvPrometheusURL) needs no binary. Start functions call it themselves, so tests only need it to skip
// before doing expensive setup of their own.
func Require(t testing.TB, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if External(n) != "" {
			continue
		}
		if _, _, err := BinaryPath(n); err != nil {
			missing = append(missing, err.Error())
		}
	}
	if len(missing) == 0 {
		return
	}
	slices.Sort(missing)
	msg := strings.Join(missing, "; ")
	if InCI() {
		t.Fatalf("%s (CI=true: run \"make e2e-deps\" before the tests)", msg)
	}
	t.Skipf("%s; run \"make e2e-deps\" to install the backends", msg)
}
