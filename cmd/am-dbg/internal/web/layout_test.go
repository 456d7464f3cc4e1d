package web

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

func graphOf(names am.S, sch am.Schema) *diagram.Graph {
	return diagram.FromStruct(&dbg.DbgMsgStruct{MachineID: "m", StateNames: names, Schema: sch})
}

// A chain of requirements reads left to right, one column a step.
func TestLayoutColumns(t *testing.T) {
	g := graphOf(am.S{am.Exception, "Created", "Delivered", "Paid", "Shipped"}, orderSchema)
	l := newLayout(g)
	for name, col := range map[string]int{"Created": 0, "Paid": 1, "Shipped": 2, "Delivered": 3, am.Exception: 0} {
		i, _ := g.Node(name)
		if l.layers[i] != col {
			t.Errorf("%s in column %d, want %d", name, l.layers[i], col)
		}
	}
}

// Cycles, relations of a state to itself, every kind between the same two
// states: the layout ends, no two nodes overlap, and the SVG is well
// formed, with an edge per relation.
func TestLayoutHardCases(t *testing.T) {
	sch := am.Schema{
		"A": {Require: am.S{"B"}, Add: am.S{"B", "A"}, Remove: am.S{"C"}, After: am.S{"B"}},
		"B": {Require: am.S{"C"}, Remove: am.S{"A"}},
		"C": {Require: am.S{"A"}, Add: am.S{"Ghost"}},
		"D": {},
	}
	g := graphOf(am.S{"A", "B", "C", "D"}, sch)
	l := newLayout(g)
	for i, a := range l.boxes {
		for j, b := range l.boxes[i+1:] {
			if a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h {
				t.Errorf("%s and %s overlap: %+v %+v", g.Nodes[i].Name, g.Nodes[i+1+j].Name, a, b)
			}
		}
		if a.x < 0 || a.y < 0 || a.x+a.w > l.width || a.y+a.h > l.height {
			t.Errorf("%s outside the drawing: %+v in %.0fx%.0f", g.Nodes[i].Name, a, l.width, l.height)
		}
	}
	svg := l.svg(marksFor(g, diagram.Highlight{Active: []string{"A"}, Called: []string{"B"}, Changed: []string{"A", "C"}, Touched: []string{"D"}}))
	if err := wellFormed(svg); err != nil {
		t.Fatalf("%v:\n%s", err, svg)
	}
	if got, want := strings.Count(string(svg), `<path class="edge `), len(g.Edges); got != want || want != 9 {
		t.Errorf("%d edges drawn, %d relations, want 9", got, want)
	}
	for _, want := range []string{
		`<g class="node active added" data-state="A">`, `<g class="node called" data-state="B">`,
		`<g class="node removed" data-state="C">`, `<g class="node touched" data-state="D">`,
		`<g class="node" data-state="Ghost">`,
	} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("no %s in:\n%s", want, svg)
		}
	}
}

// wellFormed parses doc as XML.
func wellFormed(doc []byte) error {
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// A peer's names, however odd, make a well-formed document.
func TestSVGOfHostileNames(t *testing.T) {
	names := am.S{"<svg onload=alert(1)>", "a&b\"c'", "\x00\x1b[2J\xff", strings.Repeat("long", 40)}
	sch := am.Schema{names[0]: {Require: am.S{names[1]}}, names[2]: {Add: am.S{names[3]}}}
	g := graphOf(names, sch)
	svg := newLayout(g).svg(marksFor(g, diagram.Highlight{Active: names}))
	if err := wellFormed(svg); err != nil {
		t.Fatalf("%v:\n%s", err, svg)
	}
	if strings.Contains(string(svg), "<svg onload") {
		t.Errorf("unescaped markup in:\n%s", svg)
	}
	if !strings.Contains(string(svg), ">"+strings.Repeat("long", 7)+"lon…<") {
		t.Error("a long name is not cut")
	}
}

// BenchmarkSVG is the cost of drawing a laid-out machine of 12 states for
// one transition, what a view pays besides the JSON.
func BenchmarkSVG(b *testing.B) {
	names := am.S{am.Exception}
	sch := am.Schema{am.Exception: {Multi: true}}
	for i := range 11 {
		names = append(names, "State"+string(rune('A'+i)))
	}
	for i, n := range names[1:] {
		sch[n] = am.State{Require: am.S{names[1+(i+1)%11]}, Remove: am.S{names[1+(i+5)%11]}}
	}
	g := graphOf(names, sch)
	l := newLayout(g)
	m := marksFor(g, diagram.Highlight{Active: names[1:4], Called: names[2:3], Changed: names[3:5]})
	b.ReportAllocs()
	for b.Loop() {
		_ = l.svg(m)
	}
}
