package diagram

import (
	"strings"
	"testing"
)

// A peer's machine ID names a file in the diagrams directory, and no
// other.
func TestFileName(t *testing.T) {
	for id, want := range map[string]string{
		"worker-1_a": "worker-1_a",
		"":           "-cbf29ce484222325",
	} {
		if got := FileName(id); got != want {
			t.Errorf("FileName(%q) = %q, want %q", id, got, want)
		}
	}
	seen := map[string]string{}
	for _, id := range []string{"../../etc/passwd", "..", ".", "a/b", "a_b", "a b", "a\x00b", "x\x1b[2J", strings.Repeat("y", 300)} {
		name := FileName(id)
		if strings.ContainsAny(name, "/\\.\x00\x1b ") || len(name) > 100 || name == "" {
			t.Errorf("FileName(%q) = %q", id, name)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%q and %q share the file name %q", id, other, name)
		}
		seen[name] = id
	}
}
