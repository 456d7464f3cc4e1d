// Package readme finds the sample output that README.md shows for a
// command, so that the demo's tests can hold the README to what the
// programs print.
package readme

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Output returns the first text block that follows the sh block holding
// command in the Markdown file at path: the output the file shows for it.
func Output(path, command string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the sample output of %q: %w", command, err)
	}
	s := string(b)
	i := strings.Index(s, "```sh\n"+command+"\n```")
	if i < 0 {
		return "", fmt.Errorf("%s shows no sh block of %q", path, command)
	}
	rest := s[i+len("```sh\n"+command+"\n```"):]
	start := strings.Index(rest, "```text\n")
	if start < 0 || strings.Contains(rest[:start], "```sh") {
		return "", fmt.Errorf("%s shows no output after %q", path, command)
	}
	rest = rest[start+len("```text\n"):]
	end := strings.Index(rest, "```")
	if end < 0 {
		return "", fmt.Errorf("%s: unclosed text block after %q", path, command)
	}
	return rest[:end], nil
}

var (
	urls      = regexp.MustCompile(`http://\S+`)
	paths     = regexp.MustCompile(`(^|[\s=])/\S+`)
	durations = regexp.MustCompile(`\d+(\.\d+)?m?s\b`)
)

// Normalize replaces what differs from run to run, URLs, absolute paths
// (also as the value of VAR=/path) and durations, with placeholders, so
// that a sample output compares with a real one.
func Normalize(s string) string {
	s = urls.ReplaceAllString(s, "URL")
	s = paths.ReplaceAllString(s, "${1}PATH")
	return durations.ReplaceAllString(s, "DURATION")
}
