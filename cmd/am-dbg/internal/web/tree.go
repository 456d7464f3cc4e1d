package web

import (
	"strconv"
	"strings"
	"sync"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// MaxTreeRows bounds the machines one view's tree lists, so that a view
// of 10,000 machines costs what one of 500 does. Past it the page says
// how many more machines match and asks for a narrower filter. The
// selected machine is listed whatever the bound and the filter.
const MaxTreeRows = 500

// treeView is the machine tree a view sends: the machines matching the
// page's filter (all of them without one), each after its ancestors, in
// tree order, up to [MaxTreeRows].
type treeView struct {
	Rows []treeRow `json:"rows"`
	// Matched counts the machines matching the filter; More, those of
	// them past the bound, not in Rows; Total, all machines.
	Matched int `json:"matched"`
	More    int `json:"more"`
	Total   int `json:"total"`
}

// treeRow is one machine in the machine tree. A view's transition counts
// ([view.Txs]) go apart, as they change with every transition.
type treeRow struct {
	ID    string `json:"id"`
	Depth int    `json:"depth"`
	// Life is "running", "disposed" or "gone": the client went away
	// without disposing it, so it may have crashed.
	Life string `json:"life"`
	// Stuck is set while a handler of the machine is stuck past its
	// timeout (see [store.Machine.Stuck]).
	Stuck bool `json:"stuck"`
	// Context marks an ancestor of a match that does not match itself,
	// listed so that the match sits in its branch.
	Context bool `json:"context,omitempty"`
	// Pinned marks the selected machine listed although it does not
	// match the filter or comes past the bound.
	Pinned bool `json:"pinned,omitempty"`
}

// treeKey is everything a tree as sent depends on, but the transition
// counts.
type treeKey struct {
	// tree and status are the store's revisions
	// ([store.Store.TreeRevision], [store.Store.StatusRevision]).
	tree, status uint64
	// filter is the page's filter, lowered.
	filter string
	// selected is the selected machine's ID.
	selected string
}

// sentTree is a tree as sent, kept while the store's revisions stand, so
// that a view of a page having it costs the transition counts only.
type sentTree struct {
	// version names it to the pages: unique in the server's life.
	version string
	view    treeView
	// machs are the rows' machines, for their transition counts.
	machs []*store.Machine
}

// maxSentTrees bounds the trees kept: one per filter and selection that
// pages showed since the store's revisions last moved.
const maxSentTrees = 64

// treeCache keeps the trees sent at the store's current revisions.
type treeCache struct {
	// epoch tells this server's versions from an earlier one's, which a
	// page reconnecting to a restarted am-dbg still holds.
	epoch string

	mu    sync.Mutex
	seq   uint64
	items map[treeKey]*sentTree
}

// get returns the tree of st, filtered by filter and with selected, which
// may be nil, listed. It needs the store's read lock.
func (c *treeCache) get(st *store.Store, filter string, selected *store.Machine) *sentTree {
	key := treeKey{tree: st.TreeRevision(), status: st.StatusRevision(), filter: strings.ToLower(filter)}
	if selected != nil {
		key.selected = selected.ID()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.items[key]; ok {
		return t
	}
	for k := range c.items {
		// the store moved on: no page will be sent these again
		if k.tree != key.tree || k.status != key.status {
			delete(c.items, k)
		}
	}
	if len(c.items) >= maxSentTrees {
		clear(c.items)
	}
	c.seq++
	t := &sentTree{version: c.epoch + "." + strconv.FormatUint(c.seq, 36)}
	t.view, t.machs = pickRows(st.Tree(), key.filter, selected, MaxTreeRows)
	c.items[key] = t
	return t
}

// pickRows lists, in tree order, the rows whose machine ID holds filter
// (lowered; "" matches all), each after its ancestors, up to max rows,
// and selected wherever it is. It walks the tree once.
func pickRows(tree []store.TreeRow, filter string, selected *store.Machine, max int) (treeView, []*store.Machine) {
	tv := treeView{Total: len(tree)}
	var machs []*store.Machine
	// listed counts the rows within the bound: all but a pinned one
	listed := 0
	add := func(r store.TreeRow, context, pinned bool) {
		m := r.Machine
		tv.Rows = append(tv.Rows, treeRow{
			ID: m.ID(), Depth: r.Depth, Life: lifeNames[m.Life()], Stuck: m.Stuck() != nil,
			Context: context, Pinned: pinned,
		})
		machs = append(machs, m)
		if !pinned {
			listed++
		}
	}
	// path holds the current row's ancestors, by depth. An ancestor
	// listed has its own ancestors listed, so the unlisted ones are the
	// end of path.
	type ancestor struct {
		i      int
		listed bool
	}
	var path []ancestor
	for i, r := range tree {
		path = path[:min(r.Depth, len(path))]
		sent := false
		if filter == "" || strings.Contains(strings.ToLower(r.Machine.ID()), filter) {
			tv.Matched++
			from := len(path)
			for from > 0 && !path[from-1].listed {
				from--
			}
			if listed+len(path)-from < max {
				for k := from; k < len(path); k++ {
					add(tree[path[k].i], true, false)
					path[k].listed = true
				}
				add(r, false, false)
				sent = true
			} else {
				tv.More++
			}
		}
		if !sent && r.Machine == selected {
			add(r, false, true)
			sent = true
		}
		path = append(path, ancestor{i: i, listed: sent})
	}
	return tv, machs
}
