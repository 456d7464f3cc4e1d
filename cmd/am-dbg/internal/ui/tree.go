package ui

// treeRow is one machine in the machines pane, with the branch lines
// drawn before it.
type treeRow struct {
	m      *machine
	prefix string
}

// buildTree orders machines as a tree by parent: children follow their
// parent, each level in the order the machines were first heard of. A
// machine whose parent the debugger never heard of is a root.
func buildTree(machs []*machine, known map[string]*machine) []treeRow {
	children := map[string][]*machine{}
	var roots []*machine
	for _, m := range machs {
		if _, ok := known[m.parent]; ok && m.parent != m.id {
			children[m.parent] = append(children[m.parent], m)
		} else {
			roots = append(roots, m)
		}
	}
	rows := make([]treeRow, 0, len(machs))
	seen := make(map[*machine]bool, len(machs))
	var walk func(m *machine, indent, branch string)
	walk = func(m *machine, indent, branch string) {
		if seen[m] {
			// a parent cycle, which only a broken client reports
			return
		}
		seen[m] = true
		rows = append(rows, treeRow{m: m, prefix: indent + branch})
		kids := children[m.id]
		next := indent
		switch branch {
		case "├ ":
			next += "│ "
		case "└ ":
			next += "  "
		}
		for i, k := range kids {
			b := "├ "
			if i == len(kids)-1 {
				b = "└ "
			}
			walk(k, next, b)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	// machines in a parent cycle have no root; list them flat
	for _, m := range machs {
		if !seen[m] {
			walk(m, "", "")
		}
	}
	return rows
}
