package readme

import (
	"os"
	"path/filepath"
	"testing"
)

const doc = "# Title\n\n```sh\nrun it\n```\n\nprints\n\n```text\nhello\n  world\n```\n\n```sh\nother\n```\n\n```sh\nlast\n```\n"

func TestOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Output(path, "run it")
	if err != nil || got != "hello\n  world\n" {
		t.Errorf("Output(run it) = %q, %v", got, err)
	}
	for _, cmd := range []string{"other", "missing"} {
		if got, err := Output(path, cmd); err == nil {
			t.Errorf("Output(%s) = %q, want an error", cmd, got)
		}
	}
}

func TestNormalize(t *testing.T) {
	got := Normalize("up after 4.7s: http://127.0.0.1:1/x?q=1 in /tmp/amkit-stack-12/demo.log after 150ms; DIR=/tmp/amkit-stack-12/grafana")
	if want := "up after DURATION: URL in PATH after DURATION; DIR=PATH"; got != want {
		t.Errorf("Normalize = %q, want %q", got, want)
	}
}
