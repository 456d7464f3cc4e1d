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
		cmd := exec.Command(filepath.Join(bin, filepath.Base(dir)), "--version")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%s --version: %v\n%s", name, err, stderr.String())
			continue
		}
		line := strings.TrimSuffix(stdout.String(), "\n")
		wantPrefix := name + " github.com/amkit-dev/amkit "
		wantSuffix := ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
		if strings.Contains(line, "\n") || !strings.HasPrefix(line, wantPrefix) || !strings.HasSuffix(line, wantSuffix) {
			t.Errorf("%s --version printed %q, want one line %q...%q", name, stdout.String(), wantPrefix, wantSuffix)
		}
		if stderr.Len() > 0 {
			t.Errorf("%s --version wrote to stderr: %q", name, stderr.String())
		}
		if m := revision.FindStringSubmatch(line); m != nil && !strings.HasPrefix(head, m[1]) {
			t.Errorf("%s --version names revision %s, the checkout is at %q", name, m[1], head)
		} else if m == nil && !strings.Contains(line, ", revision unknown (") {
			t.Errorf("%s --version names no revision and does not say why: %q", name, line)
		}
	}
}
