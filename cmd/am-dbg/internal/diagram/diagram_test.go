package diagram

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// shop is a small schema with every relation kind, both flags, a group
// and a state in two groups.
func shop() *dbg.DbgMsgStruct {
	return &dbg.DbgMsgStruct{
		MachineID:  "shop",
		StateNames: am.S{"Exception", "Start", "Cart", "Pay", "Paid", "Ship"},
		Schema: am.Schema{
			"Exception": {Multi: true},
			"Start":     {Add: am.S{"Cart"}},
			"Cart":      {Require: am.S{"Start"}},
			"Pay":       {Require: am.S{"Cart"}, Remove: am.S{"Paid"}, Tags: []string{"money"}},
			"Paid":      {Auto: true, Remove: am.S{"Pay"}, Tags: []string{"money", "done"}},
			"Ship":      {Require: am.S{"Paid"}, After: am.S{"Paid"}, Tags: []string{"done"}},
		},
		Groups: map[string]am.S{"money": {"Pay", "Paid"}, "done": {"Paid", "Ship"}},
		Clocks: am.Time{0, 1, 1, 0, 0, 0},
	}
}

func TestFromStruct(t *testing.T) {
	g := FromStruct(shop())
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"Exception", "Start", "Cart", "Pay", "Paid", "Ship"}; !slices.Equal(names, want) {
		t.Fatalf("nodes = %v, want the state index order %v", names, want)
	}
	paid := g.Nodes[4]
	if !paid.Auto || paid.Multi || !slices.Equal(paid.Groups, []string{"done", "money"}) {
		t.Errorf("Paid = %+v, want auto, not multi, groups [done money]", paid)
	}
	if !g.Nodes[0].Multi {
		t.Errorf("Exception is not marked Multi")
	}
	want := []Edge{
		{From: 1, To: 2, Kind: Add},
		{From: 2, To: 1, Kind: Require},
		{From: 3, To: 2, Kind: Require},
		{From: 3, To: 4, Kind: Remove},
		{From: 4, To: 3, Kind: Remove},
		{From: 5, To: 4, Kind: Require},
		{From: 5, To: 4, Kind: After},
	}
	if !slices.Equal(g.Edges, want) {
		t.Errorf("edges = %v\nwant    %v", g.Edges, want)
	}
}

func TestFromStructKeepsUnknownTargets(t *testing.T) {
	g := FromStruct(&dbg.DbgMsgStruct{
		MachineID:  "m",
		StateNames: am.S{"A"},
		Schema:     am.Schema{"A": {Require: am.S{"Zed", "Ghost"}}, "B": {}},
	})
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"A", "B", "Ghost", "Zed"}; !slices.Equal(names, want) {
		t.Fatalf("nodes = %v, want %v", names, want)
	}
	if len(g.Edges) != 2 || g.Edges[0].To != 3 || g.Edges[1].To != 2 {
		t.Errorf("edges = %v, want A->Zed and A->Ghost", g.Edges)
	}
}

func TestForTx(t *testing.T) {
	names := am.S{"Exception", "Start", "Cart", "Pay", "Paid", "Ship"}
	tx := &dbg.DbgMsgTx{
		MachineID: "shop",
		Called:    []int{3, 99},
		Clocks:    am.Time{0, 1, 1, 1, 0, 0},
		Steps: []am.Step{
			{Type: am.StepRequested, State: 3, Related: -1},
			{Type: am.StepRemoved, State: 4, Related: 3},
			{Type: am.StepHandler, State: -1, Related: -1, Handler: "AnyEnter"},
		},
	}
	h := ForTx(names, am.Time{0, 1, 1, 0, 0, 0}, tx)
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Active", h.Active, []string{"Start", "Cart", "Pay"})
	check("Called", h.Called, []string{"Pay"})
	check("Changed", h.Changed, []string{"Pay"})
	check("Touched", h.Touched, []string{"Pay", "Paid", "Pay"})
	if h := ForTx(names, nil, tx); h.Changed != nil {
		t.Errorf("without the clocks before, Changed = %v, want none", h.Changed)
	}
}

// cases are the drawings checked against golden files and Graphviz.
func cases() map[string]struct {
	msg *dbg.DbgMsgStruct
	h   Highlight
} {
	s := shop()
	hostile := &dbg.DbgMsgStruct{
		MachineID:  "evil\"] --> x\n\x1b[2J",
		StateNames: am.S{"A\"]; s9 --> s0 %%", "B\\N\x1b]0;title\x07", "C<br/>#quot;`x`", "D\u009b31m\u2028"},
		Schema: am.Schema{
			"A\"]; s9 --> s0 %%":   {Require: am.S{"B\\N\x1b]0;title\x07"}},
			"B\\N\x1b]0;title\x07": {Add: am.S{"C<br/>#quot;`x`"}, Tags: []string{"g\"}\n"}},
			"C<br/>#quot;`x`":      {Remove: am.S{"D\u009b31m\u2028"}},
			"D\u009b31m\u2028":     {After: am.S{"A\"]; s9 --> s0 %%"}},
		},
		Groups: map[string]am.S{"g\"}\n": {"B\\N\x1b]0;title\x07"}},
	}
	return map[string]struct {
		msg *dbg.DbgMsgStruct
		h   Highlight
	}{
		"plain":  {msg: s},
		"active": {msg: s, h: Highlight{Active: Active(s.StateNames, s.Clocks)}},
		"tx": {msg: s, h: ForTx(s.StateNames, s.Clocks, &dbg.DbgMsgTx{
			Called: []int{3},
			Clocks: am.Time{0, 1, 1, 1, 0, 0},
			Steps:  []am.Step{{Type: am.StepRemoved, State: 4, Related: 3}},
		})},
		// Pay removes Paid, which it does not call: Paid changes without
		// being called, the one case that draws the "changed" border
		"removed": {msg: s, h: ForTx(s.StateNames, am.Time{0, 1, 1, 0, 1, 0}, &dbg.DbgMsgTx{
			Called: []int{3},
			Clocks: am.Time{0, 1, 1, 1, 2, 0},
			Steps: []am.Step{
				{Type: am.StepRequested, State: 3, Related: -1},
				{Type: am.StepRemoved, State: 4, Related: 3},
			},
		})},
		"hostile": {msg: hostile, h: Highlight{Active: []string{"B\\N\x1b]0;title\x07"}, Called: []string{"D\u009b31m\u2028"}}},
	}
}

func TestMermaidGolden(t *testing.T) {
	for name, c := range cases() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FromStruct(c.msg).Mermaid(&buf, c.h); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".mmd")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("Mermaid differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
			}
			// A peer's names must not add lines, nodes or edges of their
			// own, nor carry control characters to whoever views the file.
			for i, r := range buf.String() {
				if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f {
					t.Fatalf("control character %U at byte %d", r, i)
				}
			}
		})
	}
}

// TestMermaidGoldensShowEveryMark reads the golden files together: each
// way of marking a state must be in one of them, or a change to its style
// would pass unseen.
func TestMermaidGoldensShowEveryMark(t *testing.T) {
	var all []byte
	for name := range cases() {
		b, err := os.ReadFile(filepath.Join("testdata", name+".mmd"))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for mark, style := range map[string]string{
		"active":  "fill:#c8f0c0",
		"called":  "stroke:#d62728,stroke-width:4px",
		"changed": "stroke:#ff7f0e,stroke-width:3px",
		"touched": "stroke:#1f77b4,stroke-width:2px,stroke-dasharray:5 3",
	} {
		if !bytes.Contains(all, []byte(style)) {
			t.Errorf("no golden file draws a %s state (%s)", mark, style)
		}
	}
}

// TestDOTMarks checks the attributes each class of state gets in DOT, and
// that a state in several classes gets the strongest border (called, then
// changed, then touched) over its fill; Graphviz draws whatever the
// attributes say, so the attributes are what to check.
func TestDOTMarks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     Highlight
		state string
		want  string
	}{{
		name:  "unmarked",
		state: "Ship",
		want:  `label="Ship", style="rounded"`,
	}, {
		name:  "active",
		h:     Highlight{Active: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", fillcolor="#c8f0c0", style="rounded,filled"`,
	}, {
		name:  "called",
		h:     Highlight{Called: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", color="#d62728", penwidth=3, style="rounded,bold"`,
	}, {
		name:  "changed",
		h:     Highlight{Changed: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", color="#ff7f0e", penwidth=2, style="rounded"`,
	}, {
		name:  "touched",
		h:     Highlight{Touched: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", color="#1f77b4", style="rounded,dashed"`,
	}, {
		name:  "active and called",
		h:     Highlight{Active: []string{"Ship"}, Called: []string{"Ship"}, Changed: []string{"Ship"}, Touched: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", fillcolor="#c8f0c0", color="#d62728", penwidth=3, style="rounded,filled,bold"`,
	}, {
		name:  "changed over touched",
		h:     Highlight{Changed: []string{"Ship"}, Touched: []string{"Ship"}},
		state: "Ship",
		want:  `label="Ship", color="#ff7f0e", penwidth=2, style="rounded"`,
	}, {
		name:  "auto and changed",
		h:     Highlight{Changed: []string{"Paid"}},
		state: "Paid",
		want:  `label="Paid\nauto\ngroups: done, money", peripheries=2, color="#ff7f0e", penwidth=2, style="rounded"`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := FromStruct(shop())
			var buf bytes.Buffer
			if err := g.DOT(&buf, tc.h); err != nil {
				t.Fatal(err)
			}
			i, ok := g.Node(tc.state)
			if !ok {
				t.Fatalf("no node %s", tc.state)
			}
			want := "s" + strconv.Itoa(i) + " [" + tc.want + "];"
			var got []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if line = strings.TrimSpace(line); strings.HasPrefix(line, "s"+strconv.Itoa(i)+" [") {
					got = append(got, line)
				}
			}
			if len(got) != 1 || got[0] != want {
				t.Errorf("node lines of %s:\n got %q\nwant [%q]", tc.state, got, want)
			}
		})
	}
}

func TestMermaidHostileNamesStayInLabels(t *testing.T) {
	c := cases()["hostile"]
	var buf bytes.Buffer
	if err := FromStruct(c.msg).Mermaid(&buf, c.h); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// 1 comment, 1 header, 1 subgraph + 1 member + 1 end, 3 loose nodes,
	// 4 edges, 4 linkStyle, 2 style lines.
	if n := strings.Count(out, "\n"); n != 18 {
		t.Errorf("%d lines, want 18:\n%s", n, out)
	}
	if strings.Count(out, "|") != 8 {
		t.Errorf("edge label bars other than the 4 edges' own:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Count(line, "\"")%2 != 0 {
			t.Errorf("unbalanced quotes in %q", line)
		}
	}
}

// TestIntegrationDOTGraphviz renders every case with Graphviz's dot, so
// the DOT is valid, each state is exactly one node, each relation one
// edge, and hostile names come out as text.
func TestIntegrationDOTGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		if e2e.InCI() {
			t.Fatalf("Graphviz dot not found (CI=true: run \"make e2e-deps\"): %v", err)
		}
		t.Skipf("Graphviz dot not found; run \"make e2e-deps\" or apt-get install graphviz")
	}
	for name, c := range cases() {
		t.Run(name, func(t *testing.T) {
			g := FromStruct(c.msg)
			var src bytes.Buffer
			if err := g.DOT(&src, c.h); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, dot, "-Tsvg")
			cmd.Stdin = &src
			var svg, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &svg, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("dot -Tsvg: %v\n%s\nDOT:\n%s", err, stderr.String(), src.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("dot warned: %s\nDOT:\n%s", stderr.String(), src.String())
			}
			out := svg.String()
			if n := strings.Count(out, `class="node"`); n != len(g.Nodes) {
				t.Errorf("%d SVG nodes, want %d", n, len(g.Nodes))
			}
			if n := strings.Count(out, `class="edge"`); n != len(g.Edges) {
				t.Errorf("%d SVG edges, want %d", n, len(g.Edges))
			}
			if strings.ContainsRune(out, 0x1b) {
				t.Errorf("SVG carries an ESC character")
			}
			for kind := Require; kind <= After; kind++ {
				if n := countKind(g, kind); n > 0 && !strings.Contains(out, ">"+kind.String()+"</text>") {
					t.Errorf("no %s edge label in the SVG", kind)
				}
			}
			if name == "hostile" {
				// The backslash shows as typed, not as Graphviz's \N.
				if !strings.Contains(out, `B\N\x1b]0;title\x07`) {
					t.Errorf("hostile label not shown as text:\n%s", out)
				}
			}
		})
	}
}

func countKind(g *Graph, k EdgeKind) int {
	n := 0
	for _, e := range g.Edges {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func TestEdgeKindString(t *testing.T) {
	for k, want := range map[EdgeKind]string{Require: "require", Add: "add", Remove: "remove", After: "after", 0: "relation", 9: "relation"} {
		if got := k.String(); got != want {
			t.Errorf("EdgeKind(%d) = %q, want %q", k, got, want)
		}
	}
}
