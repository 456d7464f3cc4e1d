package web

import (
	"strconv"
	"unicode/utf8"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
)

// edgeStyle is how one relation kind is drawn: each differs from the
// others in color, dash and arrowhead, so the kinds stay apart on a gray
// screen and for a reader who does not see the colors.
type edgeStyle struct {
	color, dash string
	// verb reads "From verb To" in the edge's tooltip.
	verb string
	// marker is the arrowhead's shape, drawn in a 10×10 box whose tip
	// touches the To node at (10,5).
	marker string
}

var edgeStyles = [...]edgeStyle{
	diagram.Require: {color: "#3b78d8", dash: "", verb: "requires",
		marker: `<path d="M0,0 L10,5 L0,10 z" fill="#3b78d8"/>`},
	diagram.Add: {color: "#2f9e58", dash: "7 4", verb: "adds",
		marker: `<path d="M1,1 L10,5 L1,9" fill="none" stroke="#2f9e58" stroke-width="1.6"/>`},
	diagram.Remove: {color: "#d9453d", dash: "2 4", verb: "removes",
		marker: `<path d="M10,0 L10,10 M2,5 L10,5" fill="none" stroke="#d9453d" stroke-width="2"/>`},
	diagram.After: {color: "#8c62c9", dash: "12 4 3 4", verb: "runs after",
		marker: `<circle cx="6" cy="5" r="4" fill="#fff" stroke="#8c62c9" stroke-width="1.6"/>`},
}

// legendItemWidth is the room one relation kind takes in the legend.
const legendItemWidth = 120.0

// nodeMarks are what a drawing shows of each node beyond its name, in
// the order of the graph's nodes.
type nodeMarks struct {
	active, called, added, removed, touched []bool
}

// marksFor resolves a highlight against g. A changed state that is
// active after the transition was added, one that is not was removed.
func marksFor(g *diagram.Graph, h diagram.Highlight) nodeMarks {
	n := len(g.Nodes)
	m := nodeMarks{
		active: make([]bool, n), called: make([]bool, n),
		added: make([]bool, n), removed: make([]bool, n), touched: make([]bool, n),
	}
	set := func(names []string, to []bool) {
		for _, name := range names {
			if i, ok := g.Node(name); ok {
				to[i] = true
			}
		}
	}
	set(h.Active, m.active)
	set(h.Called, m.called)
	set(h.Touched, m.touched)
	changed := make([]bool, n)
	set(h.Changed, changed)
	for i, c := range changed {
		m.added[i] = c && m.active[i]
		m.removed[i] = c && !m.active[i]
	}
	return m
}

// svg draws l with the marks as a standalone SVG document. Every name
// comes from a peer and is escaped for XML; nodes carry their state's
// name in data-state for the page's scripts, which read it as text.
func (l *layout) svg(m nodeMarks) []byte {
	b := make([]byte, 0, 1024+len(l.g.Nodes)*320+len(l.g.Edges)*260)
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 `...)
	b = appendNum(b, l.width)
	b = append(b, ' ')
	b = appendNum(b, l.height)
	b = append(b, `" width="`...)
	b = appendNum(b, l.width)
	b = append(b, `" height="`...)
	b = appendNum(b, l.height)
	b = append(b, `" role="img" aria-label="states of `...)
	b = appendXML(b, l.g.MachineID)
	b = append(b, `"><defs>`...)
	for k := diagram.Require; k <= diagram.After; k++ {
		b = append(b, `<marker id="arrow-`...)
		b = append(b, k.String()...)
		b = append(b, `" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">`...)
		b = append(b, edgeStyles[k].marker...)
		b = append(b, `</marker>`...)
	}
	b = append(b, `</defs><g class="edges">`...)
	for i, e := range l.g.Edges {
		b = l.appendEdge(b, e, l.paths[i])
	}
	b = append(b, `</g><g class="nodes">`...)
	for i := range l.g.Nodes {
		b = l.appendNode(b, i, m)
	}
	b = append(b, `</g>`...)
	b = l.appendLegend(b)
	return append(b, `</svg>`...)
}

func (l *layout) appendEdge(b []byte, e diagram.Edge, d string) []byte {
	st := edgeStyles[e.Kind]
	b = append(b, `<path class="edge `...)
	b = append(b, e.Kind.String()...)
	b = append(b, `" d="`...)
	b = append(b, d...)
	b = append(b, '"')
	b = appendStroke(b, e.Kind)
	b = append(b, ` data-from="`...)
	b = appendXML(b, l.g.Nodes[e.From].Name)
	b = append(b, `" data-to="`...)
	b = appendXML(b, l.g.Nodes[e.To].Name)
	b = append(b, `"><title>`...)
	b = appendXML(b, l.g.Nodes[e.From].Name)
	b = append(b, ' ')
	b = append(b, st.verb...)
	b = append(b, ' ')
	b = appendXML(b, l.g.Nodes[e.To].Name)
	return append(b, `</title></path>`...)
}

func (l *layout) appendNode(b []byte, i int, m nodeMarks) []byte {
	n, bx := l.g.Nodes[i], l.boxes[i]
	b = append(b, `<g class="node`...)
	for _, c := range [...]struct {
		on   bool
		name string
	}{
		{m.active[i], " active"}, {m.called[i], " called"}, {m.added[i], " added"},
		{m.removed[i], " removed"},
		// touched is the weakest mark, drawn only alone
		{m.touched[i] && !m.called[i] && !m.added[i] && !m.removed[i], " touched"},
	} {
		if c.on {
			b = append(b, c.name...)
		}
	}
	b = append(b, `" data-state="`...)
	b = appendXML(b, n.Name)
	b = append(b, `"><title>`...)
	b = appendXML(b, n.Name)
	if m.active[i] {
		b = append(b, " (active)"...)
	}
	b = append(b, `</title><rect x="`...)
	b = appendNum(b, bx.x)
	b = append(b, `" y="`...)
	b = appendNum(b, bx.y)
	b = append(b, `" width="`...)
	b = appendNum(b, bx.w)
	b = append(b, `" height="`...)
	b = appendNum(b, bx.h)
	b = append(b, `" rx="6"/><text x="`...)
	b = appendNum(b, bx.x+nodePadX)
	b = append(b, `" y="`...)
	b = appendNum(b, bx.y+bx.h/2+4.5)
	b = append(b, `">`...)
	b = appendXML(b, bx.label)
	if n.Auto {
		b = append(b, `<tspan class="flag"> auto</tspan>`...)
	}
	if n.Multi {
		b = append(b, `<tspan class="flag"> multi</tspan>`...)
	}
	return append(b, `</text></g>`...)
}

// appendStroke appends the attributes drawing a line of the relation
// kind: its color, dash and arrowhead.
func appendStroke(b []byte, k diagram.EdgeKind) []byte {
	st := edgeStyles[k]
	b = append(b, ` fill="none" stroke="`...)
	b = append(b, st.color...)
	b = append(b, `" stroke-width="1.6"`...)
	if st.dash != "" {
		b = append(b, ` stroke-dasharray="`...)
		b = append(b, st.dash...)
		b = append(b, '"')
	}
	b = append(b, ` marker-end="url(#arrow-`...)
	b = append(b, k.String()...)
	return append(b, `)"`...)
}

// appendLegend draws a sample of each relation kind under the graph.
func (l *layout) appendLegend(b []byte) []byte {
	y := l.height - legendHeight/2
	b = append(b, `<g class="legend">`...)
	for k := diagram.Require; k <= diagram.After; k++ {
		x := margin + float64(k-1)*legendItemWidth
		b = append(b, `<path d="M`...)
		b = appendNum(b, x)
		b = append(b, ',')
		b = appendNum(b, y)
		b = append(b, ` h34"`...)
		b = appendStroke(b, k)
		b = append(b, `/><text x="`...)
		b = appendNum(b, x+42)
		b = append(b, `" y="`...)
		b = appendNum(b, l.height-legendHeight/2+4)
		b = append(b, `">`...)
		b = append(b, k.String()...)
		b = append(b, `</text>`...)
	}
	return append(b, `</g>`...)
}

func appendNum(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'f', 1, 64)
}

// appendXML appends s escaped for XML text and attribute values. What XML
// cannot hold at all (control characters, invalid UTF-8) becomes U+FFFD,
// so a peer's odd name cannot break the document.
func appendXML(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '"':
			b = append(b, "&quot;"...)
		case r == '\'':
			b = append(b, "&#39;"...)
		case r == utf8.RuneError && size == 1, r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r == 0xFFFE, r == 0xFFFF:
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
