package store

// TreeRow is one machine in the machine tree, with the branch lines
// drawn before it.
type TreeRow struct {
	Machine *Machine
	// Prefix draws the branches: "├ ", "│ └ " and the like.
	Prefix string
	// Depth is 0 for a root, 1 for its children, and so on.
	Depth int
}

// Tree returns the machines as a tree by parent: children follow their
// parent, each level in the order the machines were first heard of. A
// machine whose parent the store does not know is a root. The result is
// the store's own until [Store.TreeRevision] changes; do not modify it.
// It needs the read lock.
func (s *Store) Tree() []TreeRow {
	s.treeMu.Lock()
	defer s.treeMu.Unlock()
	if s.tree == nil || s.treeBuilt != s.treeRev {
		s.tree = s.buildTree()
		s.treeBuilt = s.treeRev
	}
	return s.tree
}

func (s *Store) buildTree() []TreeRow {
	children := map[string][]*Machine{}
	var roots []*Machine
	machs := s.order[s.front:]
	for _, m := range machs {
		if m == nil {
			continue
		}
		if _, ok := s.machs[m.parent]; ok && m.parent != m.id {
			children[m.parent] = append(children[m.parent], m)
		} else {
			roots = append(roots, m)
		}
	}
	rows := make([]TreeRow, 0, len(s.machs))
	seen := make(map[*Machine]bool, len(s.machs))
	var walk func(m *Machine, indent, branch string, depth int)
	walk = func(m *Machine, indent, branch string, depth int) {
		if seen[m] {
			// a parent cycle, which only a broken client reports
			return
		}
		seen[m] = true
		rows = append(rows, TreeRow{Machine: m, Prefix: indent + branch, Depth: depth})
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
			walk(k, next, b, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, "", "", 0)
	}
	// machines in a parent cycle have no root; list them flat
	for _, m := range machs {
		if m != nil && !seen[m] {
			walk(m, "", "", 0)
		}
	}
	return rows
}
