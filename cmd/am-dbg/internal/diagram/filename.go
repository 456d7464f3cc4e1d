package diagram

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// FileName turns a machine ID, which a peer chose, into a file name
// without path separators or dots to climb with: letters, digits, '-' and
// '_' are kept, anything else becomes '_', and an ID that had to change,
// or is long, gets a hash of the original, so two IDs never share a file.
// Add the extension: ".mmd" or ".dot".
func FileName(id string) string {
	var b strings.Builder
	changed := false
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
			changed = true
		}
	}
	name := b.String()
	if len(name) > 80 {
		name, changed = name[:80], true
	}
	if changed || name == "" {
		h := fnv.New64a()
		h.Write([]byte(id))
		name = fmt.Sprintf("%s-%016x", name, h.Sum64())
	}
	return name
}
