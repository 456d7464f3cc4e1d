package web

import "bytes"

// treeVersionOf returns the tree version of a view's JSON, "" when it has
// none. It scans for the field rather than decoding, so that a benchmark
// measures the server, not the reading of a large tree.
func treeVersionOf(body []byte) string {
	const field = `"treeVersion":"`
	i := bytes.Index(body, []byte(field))
	if i < 0 {
		return ""
	}
	rest := body[i+len(field):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
