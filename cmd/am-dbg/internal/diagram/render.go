package diagram

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Colours shared by both languages, so the two drawings read alike.
const (
	colorActive  = "#c8f0c0"
	colorCalled  = "#d62728"
	colorChanged = "#ff7f0e"
	colorTouched = "#1f77b4"
)

// edgeColor is the colour of each relation kind's edges.
var edgeColor = [...]string{
	Require: "#1f77b4",
	Add:     "#2ca02c",
	Remove:  "#d62728",
	After:   "#7f7f7f",
}

// clusters splits the nodes for drawing: nodes in exactly one group go in
// that group's box, in group name order; nodes in no group or in several
// (boxes cannot overlap) stay outside, the latter listing their groups in
// the label.
func (g *Graph) clusters() (names []string, members map[string][]int, loose []int) {
	members = make(map[string][]int)
	for i, n := range g.Nodes {
		if len(n.Groups) == 1 {
			if _, ok := members[n.Groups[0]]; !ok {
				names = append(names, n.Groups[0])
			}
			members[n.Groups[0]] = append(members[n.Groups[0]], i)
			continue
		}
		loose = append(loose, i)
	}
	slices.Sort(names)
	return names, members, loose
}

// labelLines are the lines of a node's label: the name, its flags, and the
// groups of a node in several.
func labelLines(n Node) []string {
	lines := []string{n.Name}
	var flags []string
	if n.Auto {
		flags = append(flags, "auto")
	}
	if n.Multi {
		flags = append(flags, "multi")
	}
	if len(flags) > 0 {
		lines = append(lines, strings.Join(flags, ", "))
	}
	if len(n.Groups) > 1 {
		lines = append(lines, "groups: "+strings.Join(n.Groups, ", "))
	}
	return lines
}

// Mermaid writes the graph as a Mermaid flowchart, marked by h.
func (g *Graph) Mermaid(w io.Writer, h Highlight) error {
	bw := bufio.NewWriter(w)
	active, border := g.marks(h)
	fmt.Fprintf(bw, "%%%% machine %s\nflowchart LR\n", mermaidText(g.MachineID))
	node := func(indent string, i int) {
		lines := labelLines(g.Nodes[i])
		for j := range lines {
			lines[j] = mermaidText(lines[j])
		}
		fmt.Fprintf(bw, "%ss%d[\"%s\"]\n", indent, i, strings.Join(lines, "<br/>"))
	}
	groups, members, loose := g.clusters()
	for gi, name := range groups {
		fmt.Fprintf(bw, "  subgraph g%d[\"%s\"]\n", gi, mermaidText(name))
		for _, i := range members[name] {
			node("    ", i)
		}
		bw.WriteString("  end\n")
	}
	for _, i := range loose {
		node("  ", i)
	}
	arrows := [...]string{Require: "-->", Add: "==>", Remove: "--x", After: "-.->"}
	for _, e := range g.Edges {
		fmt.Fprintf(bw, "  s%d %s|%s| s%d\n", e.From, arrows[e.Kind], e.Kind, e.To)
	}
	// One linkStyle line per kind colours its edges; Mermaid numbers edges
	// in the order they were declared.
	for kind := Require; kind <= After; kind++ {
		var idx []string
		for j, e := range g.Edges {
			if e.Kind == kind {
				idx = append(idx, strconv.Itoa(j))
			}
		}
		if len(idx) > 0 {
			fmt.Fprintf(bw, "  linkStyle %s stroke:%s,color:%s\n", strings.Join(idx, ","), edgeColor[kind], edgeColor[kind])
		}
	}
	for i := range g.Nodes {
		var style []string
		if active[i] {
			style = append(style, "fill:"+colorActive)
		}
		switch border[i] {
		case markCalled:
			style = append(style, "stroke:"+colorCalled, "stroke-width:4px")
		case markChanged:
			style = append(style, "stroke:"+colorChanged, "stroke-width:3px")
		case markTouched:
			style = append(style, "stroke:"+colorTouched, "stroke-width:2px", "stroke-dasharray:5 3")
		}
		if len(style) > 0 {
			fmt.Fprintf(bw, "  style s%d %s\n", i, strings.Join(style, ","))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the Mermaid diagram of %q: %w", g.MachineID, err)
	}
	return nil
}

// DOT writes the graph as a Graphviz digraph, marked by h.
func (g *Graph) DOT(w io.Writer, h Highlight) error {
	bw := bufio.NewWriter(w)
	active, border := g.marks(h)
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(g.MachineID))
	bw.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	node := func(indent string, i int) {
		attrs := []string{"label=" + dotQuote(strings.Join(labelLines(g.Nodes[i]), "\n"))}
		if g.Nodes[i].Auto {
			// A second outline tells auto states apart at a glance.
			attrs = append(attrs, "peripheries=2")
		}
		style := "rounded"
		if active[i] {
			style += ",filled"
			attrs = append(attrs, "fillcolor="+dotQuote(colorActive))
		}
		switch border[i] {
		case markCalled:
			style += ",bold"
			attrs = append(attrs, "color="+dotQuote(colorCalled), "penwidth=3")
		case markChanged:
			attrs = append(attrs, "color="+dotQuote(colorChanged), "penwidth=2")
		case markTouched:
			style += ",dashed"
			attrs = append(attrs, "color="+dotQuote(colorTouched))
		}
		attrs = append(attrs, "style="+dotQuote(style))
		fmt.Fprintf(bw, "%ss%d [%s];\n", indent, i, strings.Join(attrs, ", "))
	}
	groups, members, loose := g.clusters()
	for gi, name := range groups {
		fmt.Fprintf(bw, "  subgraph cluster_%d {\n    label=%s;\n    style=dashed;\n", gi, dotQuote(name))
		for _, i := range members[name] {
			node("    ", i)
		}
		bw.WriteString("  }\n")
	}
	for _, i := range loose {
		node("  ", i)
	}
	edgeStyle := [...]string{
		Require: "style=solid, arrowhead=normal",
		Add:     "style=bold, arrowhead=normal",
		Remove:  "style=dashed, arrowhead=tee",
		After:   "style=dotted, arrowhead=empty",
	}
	for _, e := range g.Edges {
		fmt.Fprintf(bw, "  s%d -> s%d [label=%q, color=%q, fontcolor=%q, %s];\n",
			e.From, e.To, e.Kind.String(), edgeColor[e.Kind], edgeColor[e.Kind], edgeStyle[e.Kind])
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the DOT diagram of %q: %w", g.MachineID, err)
	}
	return nil
}

// mermaidText escapes s for a quoted Mermaid label or a comment: the
// characters Mermaid gives meaning to (% starts a comment, # an entity),
// and every control character, which
// could end a line or reach a terminal, become #code; entities. Invalid
// UTF-8 becomes U+FFFD.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '#' || r == '%' || r == '<' || r == '>' || r == '&' || r == '`' ||
			r == '\\' || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteString("#")
			b.WriteString(strconv.Itoa(int(r)))
			b.WriteString(";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dotQuote quotes s as a DOT string whose label shows s as given: quotes
// and backslashes are escaped (Graphviz reads \N, \G and others in labels),
// newlines become centred line breaks, other control characters show as
// \xNN text, and invalid UTF-8 becomes U+FFFD.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
