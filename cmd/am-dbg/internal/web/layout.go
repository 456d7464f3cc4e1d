package web

import (
	"cmp"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
)

// Sizes of the drawing, in SVG user units (pixels at 100% zoom). Labels
// are set in a monospace font, so their width follows from their length.
const (
	charWidth  = 7.8
	nodeHeight = 30.0
	nodePadX   = 12.0
	minNodeW   = 56.0
	layerGap   = 96.0
	rowGap     = 32.0
	margin     = 24.0
	// maxLabel cuts long state names; the full name is in the node's
	// title, shown on hover.
	maxLabel = 32
	// legendHeight is the strip under the graph explaining the edges.
	legendHeight = 34.0
)

// layout is a graph placed on the plane. It depends only on the schema,
// so it is computed once per schema version and reused for every
// transition drawn with it.
type layout struct {
	g      *diagram.Graph
	width  float64
	height float64
	boxes  []box
	// paths are the edges' SVG path data, in the order of g.Edges.
	paths []string
	// layers is each node's column, from 0 at the left.
	layers []int
}

// box is one node's rectangle and label.
type box struct {
	x, y, w, h float64
	label      string
}

// newLayout places g in columns: a relation's states sit left to right in
// the order the machine resolves them (a requirement, and a state another
// runs after, left of the state needing it; a state left of what it adds
// or removes), each state as far right as its longest chain of relations
// asks. Within a column, states are ordered to sit near their neighbors,
// which keeps edges short and crossings few.
func newLayout(g *diagram.Graph) *layout {
	n := len(g.Nodes)
	l := &layout{g: g, boxes: make([]box, n), layers: assignLayers(g)}
	cols := 0
	for _, c := range l.layers {
		cols = max(cols, c+1)
	}
	columns := make([][]int, cols)
	linked := make([]bool, n)
	for _, e := range g.Edges {
		linked[e.From], linked[e.To] = true, true
	}
	// states without relations (Exception, often) go last, out of the way
	for _, alone := range [...]bool{false, true} {
		for i, c := range l.layers {
			if linked[i] != alone {
				columns[c] = append(columns[c], i)
			}
		}
	}
	orderColumns(g, l.layers, columns)

	for i, node := range g.Nodes {
		label := node.Name
		if utf8.RuneCountInString(label) > maxLabel {
			label = string([]rune(label)[:maxLabel-1]) + "…"
		}
		w := max(minNodeW, float64(utf8.RuneCountInString(label)+flagLen(node))*charWidth+2*nodePadX)
		l.boxes[i] = box{w: w, h: nodeHeight, label: label}
	}
	x, tallest := margin, 0.0
	for _, col := range columns {
		tallest = max(tallest, float64(len(col))*(nodeHeight+rowGap)-rowGap)
	}
	for _, col := range columns {
		colW := 0.0
		for _, i := range col {
			colW = max(colW, l.boxes[i].w)
		}
		colH := float64(len(col))*(nodeHeight+rowGap) - rowGap
		y := margin + (tallest-colH)/2
		for _, i := range col {
			b := &l.boxes[i]
			b.x, b.y = x+(colW-b.w)/2, y
			y += nodeHeight + rowGap
		}
		x += colW + layerGap
	}
	l.width = max(x-layerGap+margin, 4*legendItemWidth+2*margin)
	l.height = margin + tallest + margin + legendHeight
	l.paths = edgePaths(l)
	return l
}

// flagLen is the room the node's flags take after its name.
func flagLen(n diagram.Node) int {
	k := 0
	if n.Auto {
		k += len(" auto")
	}
	if n.Multi {
		k += len(" multi")
	}
	return k
}

// leftToRight returns the edge's endpoints in the order the layout puts
// them, left first.
func leftToRight(e diagram.Edge) (left, right int) {
	switch e.Kind {
	case diagram.Require, diagram.After:
		return e.To, e.From
	}
	return e.From, e.To
}

// assignLayers gives each node its column: the length of the longest
// chain of relations leading to it, ignoring the relations that close a
// cycle (found depth first, in state order, so the result is stable).
func assignLayers(g *diagram.Graph) []int {
	n := len(g.Nodes)
	out := make([][]int, n)
	for _, e := range g.Edges {
		if e.From == e.To {
			continue
		}
		a, b := leftToRight(e)
		out[a] = append(out[a], b)
	}
	const (
		unseen = iota
		onStack
		finished
	)
	seen := make([]uint8, n)
	// order collects nodes as they finish; reversed, a topological order
	// of the edges kept
	order := make([]int, 0, n)
	kept := make([][]int, n)
	var visit func(int)
	visit = func(v int) {
		seen[v] = onStack
		for _, w := range out[v] {
			switch seen[w] {
			case unseen:
				kept[v] = append(kept[v], w)
				visit(w)
			case finished:
				kept[v] = append(kept[v], w)
			}
			// onStack: a back edge, closing a cycle; left out
		}
		seen[v] = finished
		order = append(order, v)
	}
	for v := range n {
		if seen[v] == unseen {
			visit(v)
		}
	}
	layers := make([]int, n)
	for _, v := range slices.Backward(order) {
		for _, w := range kept[v] {
			layers[w] = max(layers[w], layers[v]+1)
		}
	}
	return layers
}

// orderColumns sorts each column by the mean position of each node's
// neighbors in the columns next to it, sweeping right then left a few
// times: the usual barycenter heuristic.
func orderColumns(g *diagram.Graph, layers []int, columns [][]int) {
	pos := make([]float64, len(g.Nodes))
	index := func() {
		for _, col := range columns {
			for p, v := range col {
				pos[v] = float64(p)
			}
		}
	}
	index()
	neighbors := make([][]int, len(g.Nodes))
	for _, e := range g.Edges {
		if e.From != e.To {
			neighbors[e.From] = append(neighbors[e.From], e.To)
			neighbors[e.To] = append(neighbors[e.To], e.From)
		}
	}
	key := make([]float64, len(g.Nodes))
	sweep := func(c, side int) {
		for _, v := range columns[c] {
			sum, k := 0.0, 0
			for _, w := range neighbors[v] {
				if layers[w] == c+side {
					sum += pos[w]
					k++
				}
			}
			key[v] = pos[v]
			if k > 0 {
				key[v] = sum / float64(k)
			}
		}
		slices.SortStableFunc(columns[c], func(a, b int) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		index()
	}
	for range 4 {
		for c := 1; c < len(columns); c++ {
			sweep(c, -1)
		}
		for c := len(columns) - 2; c >= 0; c-- {
			sweep(c, +1)
		}
	}
}

// edgePaths draws each edge as a cubic curve from its From node's border
// to its To node's, where the arrowhead goes. Edges between the same two
// nodes are fanned apart, so a Require and an Add between them are both
// seen; edges within a column bow out to its right; an edge of a state to
// itself loops over its top.
func edgePaths(l *layout) []string {
	type pair struct{ a, b int }
	fan := map[pair]int{}
	count := map[pair]int{}
	key := func(e diagram.Edge) pair {
		return pair{min(e.From, e.To), max(e.From, e.To)}
	}
	for _, e := range l.g.Edges {
		count[key(e)]++
	}
	cols := l.columns()
	paths := make([]string, len(l.g.Edges))
	for i, e := range l.g.Edges {
		k := key(e)
		nth := fan[k]
		fan[k]++
		// spread the edges of a pair around the straight line
		off := (float64(nth) - float64(count[k]-1)/2) * 9
		from, to := l.boxes[e.From], l.boxes[e.To]
		var p []byte
		switch {
		case e.From == e.To:
			cx, top := from.x+from.w/2+off, from.y
			p = pathCurve(p, cx-7, top, cx-16, top-28, cx+16, top-28, cx+7, top)
		case l.layers[e.From] == l.layers[e.To]:
			sx, sy := from.x+from.w, from.y+from.h/2+off/2
			ex, ey := to.x+to.w, to.y+to.h/2+off/2
			bow := 36 + abs(ey-sy)*0.25 + off*2
			right := max(sx, ex) + bow
			p = pathCurve(p, sx, sy, right, sy, right, ey, ex, ey)
		default:
			sx, ex := from.x+from.w, to.x
			if from.x > to.x {
				sx, ex = from.x, to.x+to.w
			}
			sy, ey := from.y+from.h/2+off, to.y+to.h/2+off
			p = appendPoint(append(p, 'M'), sx, sy)
			x0, y0 := sx, sy
			// an edge across columns passes each column between two of
			// its states, not through one
			for _, c := range between(l.layers[e.From], l.layers[e.To]) {
				x := cols[c].center
				y := cols[c].gapNear(sy+(ey-sy)*(x-sx)/(ex-sx)) + off
				p = appendSegment(p, x0, y0, x, y)
				x0, y0 = x, y
			}
			p = appendSegment(p, x0, y0, ex, ey)
		}
		paths[i] = string(p)
	}
	return paths
}

// column is where one column of the layout is: its middle, and the
// vertical extent of each of its states, top to bottom.
type column struct {
	center float64
	spans  [][2]float64
}

// columns returns the layout's columns, left to right.
func (l *layout) columns() []column {
	n := 0
	for _, c := range l.layers {
		n = max(n, c+1)
	}
	cols := make([]column, n)
	for i, c := range l.layers {
		b := l.boxes[i]
		cols[c].center = b.x + b.w/2
		cols[c].spans = append(cols[c].spans, [2]float64{b.y, b.y + b.h})
	}
	for i := range cols {
		slices.SortFunc(cols[i].spans, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	}
	return cols
}

// gapNear returns the middle of the free space, above, between or below
// the column's states, nearest to y.
func (c column) gapNear(y float64) float64 {
	if len(c.spans) == 0 {
		return y
	}
	best := c.spans[0][0] - rowGap/2
	try := func(g float64) {
		if abs(g-y) < abs(best-y) {
			best = g
		}
	}
	for i, sp := range c.spans {
		if i+1 < len(c.spans) {
			try((sp[1] + c.spans[i+1][0]) / 2)
		} else {
			try(sp[1] + rowGap/2)
		}
	}
	return best
}

// between returns the columns strictly between a and b, in the order
// from a to b.
func between(a, b int) []int {
	var out []int
	step := 1
	if b < a {
		step = -1
	}
	for c := a + step; c != b; c += step {
		out = append(out, c)
	}
	return out
}

// appendSegment appends a curve from (x0,y0) to (x1,y1) leaving and
// arriving level, so segments through waypoints join smoothly.
func appendSegment(p []byte, x0, y0, x1, y1 float64) []byte {
	mid := (x1 - x0) / 2
	p = append(p, " C"...)
	p = appendPoint(p, x0+mid, y0)
	p = append(p, ' ')
	p = appendPoint(p, x1-mid, y1)
	p = append(p, ' ')
	return appendPoint(p, x1, y1)
}

// pathCurve appends the path data of one cubic Bézier curve.
func pathCurve(p []byte, x0, y0, c1x, c1y, c2x, c2y, x1, y1 float64) []byte {
	p = append(p, 'M')
	p = appendPoint(p, x0, y0)
	p = append(p, " C"...)
	p = appendPoint(p, c1x, c1y)
	p = append(p, ' ')
	p = appendPoint(p, c2x, c2y)
	p = append(p, ' ')
	return appendPoint(p, x1, y1)
}

func appendPoint(p []byte, x, y float64) []byte {
	p = strconv.AppendFloat(p, x, 'f', 1, 64)
	p = append(p, ',')
	return strconv.AppendFloat(p, y, 'f', 1, 64)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
