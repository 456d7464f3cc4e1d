package buildinfo

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// commands are amkit's main packages, by the name their --version line
// starts with.
var commands = map[string]string{
	"am-dbg":     "cmd/am-dbg",
	"am-gen":     "cmd/am-gen",
	"demo":       "examples/demo",
	"dbg-orders": "examples/dbg-orders",
	"otel-demo":  "examples/otel-demo",
	"stack":      "examples/demo/stack",
}

// subcommands are the commands above that dispatch to commands of their
// own (am-gen grafana), each of which must answer --version as well. Only
// these are asked for their help, since the others take "help" as
// something else, or start work on it.
var subcommands = map[string]bool{"am-gen": true}

// TestCommandsPrintVersion builds every command as a user would and runs
// it with --version: one line on stdout, exit 0, nothing else done. Whether
// the build records a commit depends on the checkout and GOFLAGS (a git
// worktree or -buildvcs=false records none); when it does, it must be the
// checkout's HEAD.
func TestCommandsPrintVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, dir := range commands {
		args = append(args, "./"+dir)
	}
	build := exec.Command("go", args...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	head := ""
	if out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		head = strings.TrimSpace(string(out))
	}
	revision := regexp.MustCompile(`, revision ([0-9a-f]+)`)

	for name, dir := range commands {
		exe := filepath.Join(bin, filepath.Base(dir))
		invocations := [][]string{{"--version"}}
		if subcommands[name] {
			for _, sub := range listSubcommands(t, exe) {
				invocations = append(invocations, []string{sub, "--version"})
			}
		}
		for _, args := range invocations {
			what := strings.Join(append([]string{name}, args...), " ")
			cmd := exec.Command(exe, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%s: %v\n%s", what, err, stderr.String())
				continue
			}
			line := strings.TrimSuffix(stdout.String(), "\n")
			wantPrefix := name + " github.com/amkit-dev/amkit "
			wantSuffix := ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
			if strings.Contains(line, "\n") || !strings.HasPrefix(line, wantPrefix) || !strings.HasSuffix(line, wantSuffix) {
				t.Errorf("%s printed %q, want one line %q...%q", what, stdout.String(), wantPrefix, wantSuffix)
			}
			if stderr.Len() > 0 {
				t.Errorf("%s wrote to stderr: %q", what, stderr.String())
			}
			if m := revision.FindStringSubmatch(line); m != nil && !strings.HasPrefix(head, m[1]) {
				t.Errorf("%s names revision %s, the checkout is at %q", what, m[1], head)
			} else if m == nil && !strings.Contains(line, ", revision unknown (") {
				t.Errorf("%s names no revision and does not say why: %q", what, line)
			}
		}
	}
}

// listSubcommands reads the commands of a command that has them from what
// its help prints under "The commands are:", one a line, tab-indented, as
// go help does. Reading the list from the binary, rather than keeping a
// copy here, means a command added later is asked for --version too.
func listSubcommands(t *testing.T, exe string) []string {
	t.Helper()
	out, err := exec.Command(exe, "help").Output()
	if err != nil {
		t.Fatalf("%s help: %v", exe, err)
	}
	_, list, ok := strings.Cut(string(out), "The commands are:\n\n")
	if !ok {
		t.Fatalf("%s help has no command list:\n%s", exe, out)
	}
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if !strings.HasPrefix(line, "\t") {
			break
		}
		if fields := strings.Fields(line); len(fields) > 0 {
			names = append(names, fields[0])
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s help lists no commands:\n%s", exe, out)
	}
	return names
}
