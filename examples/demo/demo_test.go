package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/examples/demo/internal/readme"
)

// The tests in this file run the demo as a built program, the way a person
// runs it: main's flags, signals and exit status are part of what they test.

// binTimeout bounds one run of the demo binary, startup and shutdown
// included.
const binTimeout = 60 * time.Second

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// demoBinary builds the demo once per test run.
func demoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "amkit-demo-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "demo")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// bannerLine matches the start banner's row for an exporter.
func bannerLine(name, where string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `\s+` + where + `\s+\S+$`)
}

// TestDemoRunsWithoutEnvironment runs `demo --duration 1s` with an empty
// environment: the default exporters are on, the others off, and the demo
// exits cleanly, leaving a trace file behind.
func TestDemoRunsWithoutEnvironment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, demoBinary(t), "--duration", "1s")
	cmd.Dir = dir
	cmd.Env = []string{}
	started := time.Now()
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// a second of work, a few seconds of draining in-flight jobs
	if elapsed := time.Since(started); elapsed > 1*time.Second+drainTimeout+5*time.Second {
		t.Errorf("demo took %v to run for 1s", elapsed)
	}

	for _, want := range []*regexp.Regexp{
		bannerLine("logs", `standard output, level changes`),
		bannerLine("metrics", `http://127\.0\.0\.1:\d+/metrics`),
		bannerLine("trace file", `amkit-demo-trace\.json, written at exit`),
		bannerLine("pushgateway", "off"),
		bannerLine("otel", "off"),
		bannerLine("loki", "off"),
		bannerLine("debugger", "off"),
		regexp.MustCompile(`(?m)^\[worker-1\] \[state\] \+Assigned \+Downloading -Idle$`),
		regexp.MustCompile(`(?m)^\[supervisor\] \[state\] .*\+Draining`),
		regexp.MustCompile(`(?m)^amkit demo: stopped after .*: \d+ jobs arrived: [1-9]\d* done`),
		regexp.MustCompile(`(?m)^wrote [1-9]\d* spans to amkit-demo-trace\.json`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}

	// README.md shows this banner for `go run ./examples/demo`
	sample, err := readme.Output("../../README.md", "go run ./examples/demo")
	if err != nil {
		t.Fatal(err)
	}
	banner := strings.Replace(out[:strings.Index(out, "\n\n")+1], "for 1s", "until Ctrl-C", 1)
	// where something else holds 9464, a note follows the banner
	// (TestMetricsDefaultPortBusy), and the port taken instead can be
	// longer, widening the column; the README shows a free 9464
	banner = regexp.MustCompile(`(?m)^note: .*\n`).ReplaceAllString(banner, "")
	columns := regexp.MustCompile(`  +`)
	if columns.ReplaceAllString(readme.Normalize(banner), "  ") != columns.ReplaceAllString(readme.Normalize(sample), "  ") {
		t.Errorf("banner:\n%s\nREADME.md shows:\n%s", banner, sample)
	}

	b, err = os.ReadFile(filepath.Join(dir, "amkit-demo-trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	names := spanNames(decodeOTLPJSON(t, b))
	for _, want := range []string{"mach:supervisor", "mach:worker-1", "[add] Assigned", "Downloading"} {
		if !slices.Contains(names, want) {
			t.Errorf("trace file has no %q span", want)
		}
	}
}

// lines collects a program's output and finds lines in it as they come.
type lines struct {
	mu   sync.Mutex
	all  []string
	news chan struct{} // signalled on each line
	done chan struct{} // closed at EOF
}

func readLines(r io.Reader) *lines {
	l := &lines{news: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.all = append(l.all, sc.Text())
			l.mu.Unlock()
			select {
			case l.news <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

// await returns the first submatches of re in a line, waiting for the line
// until timeout.
func (l *lines) await(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for i := 0; ; {
		l.mu.Lock()
		for ; i < len(l.all); i++ {
			if m := re.FindStringSubmatch(l.all[i]); m != nil {
				l.mu.Unlock()
				return m
			}
		}
		l.mu.Unlock()
		select {
		case <-l.news:
		case <-l.done:
			t.Fatalf("output ended without %s:\n%s", re, l.String())
		case <-deadline:
			t.Fatalf("no %s within %v:\n%s", re, timeout, l.String())
		}
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// TestDemoStopsOnInterrupt runs the demo until Ctrl-C, as `go run
// ./examples/demo` does, reads its metrics meanwhile, and checks that it
// drains and exits cleanly on SIGINT.
func TestDemoStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, demoBinary(t))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"AM_PROM_ADDR=127.0.0.1:0", "AM_TRACE_FILE=off"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := readLines(stdout)
	metricsURL := out.await(t, regexp.MustCompile(`^  metrics\s+(http://\S+)`), binTimeout)[1]
	out.await(t, regexp.MustCompile(`^\[supervisor\] \[state\] \+JobDone`), binTimeout)

	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := regexp.MustCompile(`(?m)^am_transitions_total\{machine_id="worker-1"[^}]*\} [1-9]`); !want.Match(body) {
		t.Errorf("%s lacks %s:\n%s", metricsURL, want, body)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-out.done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo after Ctrl-C: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "amkit demo: stopped after") {
		t.Errorf("no exit summary after Ctrl-C:\n%s", out)
	}
}
