package ui

import (
	"strings"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/termsafe"
)

// safe escapes peer-supplied text for one line of the screen: machine
// IDs, state and handler names, args, errors and log entries all come
// from a client, and a control sequence in them must not reach the
// terminal.
func safe(s string) string { return termsafe.String(s) }

// safeJoin escapes names and joins them with spaces.
func safeJoin(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(safe(n))
	}
	return b.String()
}
