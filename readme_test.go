package amkit_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tests of this file keep README.md true: its Go programs run and print what it
// shows, its Go snippets compile, and each of its shell commands is run
// here or by a named test.

// block is a fenced code block of README.md.
type block struct {
	lang, text string
	line       int // of the opening fence
}

// readmeBlocks returns the fenced code blocks of README.md, in order.
func readmeBlocks(t *testing.T) []block {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var (
		blocks []block
		cur    *block
		text   strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimPrefix(line, "```"), line: n}
			text.Reset()
		case cur != nil && line == "```":
			cur.text = text.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			text.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: unclosed code block", cur.line)
	}
	return blocks
}

// goTool returns the go command, which the test runs.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	return p
}

// scratchDir makes a directory in the module for README code. Its name
// starts with "_", so `./...` patterns never include it.
func scratchDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(".", "_readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "./" + filepath.ToSlash(dir)
}

// TestREADMEPrograms runs every Go program of the README (a block starting
// with "package main"), and compares its standard output with the first
// text block after it, when one comes before the next code block.
func TestREADMEPrograms(t *testing.T) {
	blocks := readmeBlocks(t)
	dir := scratchDir(t)
	programs := 0
	for i, b := range blocks {
		if b.lang != "go" || !strings.HasPrefix(b.text, "package main") {
			continue
		}
		programs++
		pkg := fmt.Sprintf("%s/prog%d", dir, b.line)
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pkg+"/main.go", []byte(b.text), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goTool(t), "run", pkg)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("README.md:%d: go run: %v\n%s", b.line, err, stderr.String())
			continue
		}
		if i+1 < len(blocks) && blocks[i+1].lang == "text" {
			if got, want := stdout.String(), blocks[i+1].text; got != want {
				t.Errorf("README.md:%d prints:\n%s\nREADME.md:%d shows:\n%s", b.line, got, blocks[i+1].line, want)
			}
		}
	}
	if programs == 0 {
		t.Error("README.md has no Go program")
	}
}

// TestREADMESnippets compiles and vets every Go snippet of the README (a
// block of imports and declarations), each as a package of its own.
func TestREADMESnippets(t *testing.T) {
	dir := scratchDir(t)
	var pkgs []string
	lines := map[string]int{}
	for _, b := range readmeBlocks(t) {
		if b.lang != "go" || strings.HasPrefix(b.text, "package ") {
			continue
		}
		pkg := fmt.Sprintf("%s/snippet%d", dir, b.line)
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "package snippet\n\n" + b.text
		if err := os.WriteFile(pkg+"/snippet.go", []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, pkg)
		lines[pkg] = b.line
	}
	if len(pkgs) == 0 {
		t.Fatal("README.md has no Go snippet")
	}
	out, err := exec.Command(goTool(t), append([]string{"vet"}, pkgs...)...).CombinedOutput()
	if err != nil {
		// vet names files as _readme-*/snippetN/snippet.go:LINE, where N is
		// the README line of the block
		t.Errorf("go vet of the README's snippets (snippetN is the block at README.md:N): %v\n%s", err, out)
	}
}

// readmeCommand is a shell command of the README and what exercises it:
// this test runs it (run), tests in dir do, or nothing can, for a reason
// (why).
type readmeCommand struct {
	cmd   string
	run   bool
	dir   string
	tests []string
	why   string
}

// readmeCommands are the README's shell commands. A command the README adds
// must be added here, with what exercises it.
var readmeCommands = []readmeCommand{{
	cmd: "go run ./examples/demo",
	// the built demo with an empty environment and no arguments, until
	// Ctrl-C; its banner and trace file
	dir: "examples/demo", tests: []string{"TestDemoStopsOnInterrupt", "TestDemoRunsWithoutEnvironment"},
}, {
	cmd: "make test",
	why: "the CI run itself (.ci/run)",
}, {
	cmd: "go run ./cmd/am-dbg",
	// the terminal UI in tmux, fed by an example program
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationTUI", "TestParseFlags"},
}, {
	cmd: "AM_DBG_ADDR=1 go run ./examples/demo",
	// AM_DBG_ADDR set to a dbg server's address
	dir: "examples/demo", tests: []string{"TestIntegrationDemo"},
}, {
	cmd: "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_LOGS_EXPORTER=none go run ./examples/demo",
	// the endpoint at a real Jaeger; the stack turns OTel logs off
	dir: "examples/demo", tests: []string{"TestIntegrationDemo"},
}, {
	cmd: "curl -s http://127.0.0.1:9464/metrics | grep am_transitions_total",
	// reads am_transitions_total from the running demo
	dir: "examples/demo", tests: []string{"TestDemoStopsOnInterrupt"},
}, {
	cmd: `go run ./cmd/am-gen grafana --name "amkit demo" --ids supervisor,worker-1,worker-2,worker-3 --source amkit-demo --output amkit-demo-dashboard.json`,
	run: true,
}, {
	cmd: "make stack",
	// the program that `make stack` builds and runs
	dir: "examples/demo/stack", tests: []string{"TestIntegrationStack"},
}, {
	cmd: "AMKIT_E2E_PROMETHEUS_URL=http://127.0.0.1:9090 AMKIT_E2E_PUSHGATEWAY_URL=http://127.0.0.1:9091 go test -run Integration ./...",
	// the harness's own backends, named by these variables for a second session
	dir: "internal/e2e", tests: []string{"TestIntegrationExistingBackends", "TestExternalPrometheus"},
}, {
	// one command over two lines; the test sends the same variables
	// through a real Collector
	cmd: `OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 \`,
	dir: "pkg/telemetry", tests: []string{"TestIntegrationOtelCollector"},
}, {
	cmd: "OTEL_SERVICE_NAME=my-service ./my-app    # or :4317 with OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
	dir: "pkg/telemetry", tests: []string{"TestIntegrationOtelCollector"},
}, {
	cmd: "go get github.com/amkit-dev/amkit@latest",
	why: "it fetches the published module, which a checkout cannot test",
}, {
	cmd: "go run ./cmd/am-dbg --record session.amdbg",
	// the UI in tmux records, then the recording is opened in the UI
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationTUI", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --import session.amdbg",
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationTUI", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --listen 127.0.0.1:7464 --print",
	dir: "cmd/am-dbg", tests: []string{"TestPrint", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --record demo.amdbg",
	dir: "cmd/am-dbg", tests: []string{"TestRecordAndImport", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --import demo.amdbg --print",
	dir: "cmd/am-dbg", tests: []string{"TestRecordAndImport", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --web 1",
	// am-dbg --headless --web in headless chromium, fed by an example
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationWeb", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --import session.amdbg --web 1",
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationWeb", "TestParseFlags"},
}, {
	cmd: `go run ./cmd/am-dbg --headless --web 0.0.0.0:7465 --web-token "$AMDBG_TOKEN"`,
	// the token on every request; beyond loopback only with one
	dir: "cmd/am-dbg", tests: []string{"TestIntegrationWeb", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --import demo.amdbg --diagrams --dir diagrams",
	dir: "cmd/am-dbg", tests: []string{"TestDiagramsOfImport", "TestParseFlags"},
}, {
	cmd: "go run ./cmd/am-dbg --fwd 127.0.0.1:7465 --fwd 127.0.0.1:7466",
	dir: "cmd/am-dbg", tests: []string{"TestForward", "TestParseFlags"},
}, {
	// the token recipe: am-dbg takes AM_DBG_TOKEN (TestToken runs it
	// --headless --print), and tracers bound from the environment, as
	// dbg-orders' are, send it
	cmd: "export AM_DBG_TOKEN=$(head -c 16 /dev/urandom | base64)",
	dir: "pkg/telemetry/dbg", tests: []string{"TestBindEnvSendsToken"},
}, {
	cmd: "go run ./cmd/am-dbg --headless --print &",
	dir: "cmd/am-dbg", tests: []string{"TestToken"},
}, {
	cmd: "AM_DBG_ADDR=1 go run ./examples/dbg-orders",
	dir: "pkg/telemetry/dbg/server", tests: []string{"TestTokenWithTracers"},
}, {
	cmd: "cd internal/bench && go test -run '^$' -bench . -benchmem -count 6 | tee toggle.txt",
	why: "a benchmark: timings are compared by a person on a quiet machine, never asserted",
}, {
	cmd: "go test -run '^$' -bench 'Mutations$|NewMachine|Queued|Chain' -benchmem -count 6 ./pkg/machine | tee new.txt",
	why: "a benchmark: timings are compared by a person on a quiet machine, never asserted",
}, {
	cmd: "go test -run '^$' -bench 'Added$' -benchmem -count 6 ./pkg/telemetry ./pkg/telemetry/prometheus ./pkg/telemetry/dbg | tee exporters.txt",
	why: "a benchmark: timings are compared by a person, never asserted; the allocation promises are tests (TestNoAllocsPerTransition, TestNoAllocsWithoutServer)",
}, {
	cmd: "go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt",
	why: "compares two benchmark runs; it needs a run of an older commit",
}}

// readmeShellCommands returns the commands of the README's sh blocks, one
// per line.
func readmeShellCommands(t *testing.T) []string {
	t.Helper()
	var cmds []string
	for _, b := range readmeBlocks(t) {
		if b.lang != "sh" {
			continue
		}
		for line := range strings.Lines(b.text) {
			if line = strings.TrimSpace(line); line != "" {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// TestREADMECommands checks that each README command is exercised: run
// here, or named with tests that exist, and that every command listed is
// still in the README.
func TestREADMECommands(t *testing.T) {
	cmds := readmeShellCommands(t)
	for _, c := range cmds {
		i := slices.IndexFunc(readmeCommands, func(rc readmeCommand) bool { return rc.cmd == c })
		if i < 0 {
			t.Errorf("README command %q: add it to readmeCommands with what exercises it", c)
			continue
		}
		switch rc := readmeCommands[i]; {
		case rc.run:
			runReadmeCommand(t, c)
		case rc.dir != "":
			for _, name := range rc.tests {
				if !hasTest(t, rc.dir, name) {
					t.Errorf("README command %q: no %s in %s", c, name, rc.dir)
				}
			}
		case rc.why == "":
			t.Errorf("README command %q: no test, and no reason why", c)
		}
	}
	for _, rc := range readmeCommands {
		if !slices.Contains(cmds, rc.cmd) {
			t.Errorf("readmeCommands lists %q, which README.md no longer has", rc.cmd)
		}
	}
}

// runReadmeCommand runs a command as a reader would, from the repository
// root, but with its --output file in a temporary directory: a reader's own
// copy of that file must survive the tests.
func runReadmeCommand(t *testing.T, c string) {
	t.Helper()
	output := regexp.MustCompile(`--output (\S+)`)
	m := output.FindStringSubmatch(c)
	if m == nil {
		t.Fatalf("%s: the test runs only commands that write an --output file", c)
	}
	path := filepath.Join(t.TempDir(), m[1])
	c = output.ReplaceAllLiteralString(c, "--output "+path)
	if b, err := exec.Command("sh", "-c", c).CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", c, err, b)
		return
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("%s wrote no %s: %v", c, m[1], err)
	}
}

// hasTest reports whether a test function is declared in dir.
func hasTest(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := []byte("\nfunc " + name + "(t *testing.T)")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, decl) {
			return true
		}
	}
	return false
}
