package ui

import (
	"strconv"
	"strings"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// matrixCache keeps the relations matrix of the schema version last
// drawn: versions never change, so it is built once per version.
type matrixCache struct {
	sch *store.Schema
	// cells[i][j] holds the kinds of relation state i declares to state
	// j: R requires, A adds, X removes, > after.
	cells [][]string
	// cellW is the width of a column, the widest cell or index and a
	// space.
	cellW int
	// nameW is the width of the longest state name.
	nameW int
}

// get returns the matrix of sch.
func (c *matrixCache) get(sch *store.Schema) *matrixCache {
	if c.sch == sch {
		return c
	}
	names := sch.Names()
	*c = matrixCache{sch: sch, cells: make([][]string, len(names)), cellW: len(strconv.Itoa(len(names)-1)) + 1}
	for i, from := range names {
		c.nameW = max(c.nameW, len([]rune(from)))
		out := sch.Outbound(from)
		row := make([]string, len(names))
		mark := func(targets []string, kind byte) {
			for _, to := range targets {
				if j, ok := sch.Index[to]; ok && !strings.Contains(row[j], string(kind)) {
					row[j] += string(kind)
				}
			}
		}
		mark(out.Require, 'R')
		mark(out.Add, 'A')
		mark(out.Remove, 'X')
		mark(out.After, '>')
		for _, cell := range row {
			c.cellW = max(c.cellW, len(cell)+1)
		}
		c.cells[i] = row
	}
	return c
}

// matrixLayout is where the matrix's parts go on screen.
type matrixLayout struct {
	// rows is how many state rows fit; cols how many state columns.
	rows, cols int
	// labelW is the width of a row's label: marker, index and name.
	labelW int
}

func (m *Model) matrixLayout(c *matrixCache, relLines int) matrixLayout {
	w, h := m.width-2, m.height-3
	idxW := len(strconv.Itoa(max(len(c.cells)-1, 0)))
	labelW := 3 + idxW + 1 + min(c.nameW, 24) + 1
	// the header row, a blank line, the legend and the relations take the
	// rest
	rows := max(h-3-relLines, h/2)
	return matrixLayout{rows: rows, cols: max((w-labelW)/c.cellW, 1), labelW: labelW}
}

// matrixView draws the selected machine's relations as a matrix, states
// × states, as of the transition under the cursor: a row says what its
// state declares of each column's state. The selected state's row and
// column are marked; its relations both ways follow below.
func (m *Model) matrixView() []string {
	w, h := m.width-2, m.height-3
	sch, clocks, t := m.statesAt()
	c := m.matrix.get(sch)
	rel := m.relationLines(sch, w)
	l := m.matrixLayout(c, len(rel))
	names := sch.Names()
	sel := m.stateRow()
	colTop := m.matrixColTop(l, len(names))
	idxW := len(strconv.Itoa(max(len(names)-1, 0)))

	var b strings.Builder
	b.WriteString(strings.Repeat(" ", l.labelW))
	for j := colTop; j < len(names) && j < colTop+l.cols; j++ {
		head := padLeft(strconv.Itoa(j), c.cellW-1) + " "
		if j == sel {
			head = m.st.selected.Render(head)
		}
		b.WriteString(head)
	}
	lines := []string{m.st.dim.Render(b.String())}
	for i := m.stateTop; i < len(names) && len(lines) <= l.rows; i++ {
		b.Reset()
		marker := "○"
		if sch.Tick(clocks, names[i])%2 == 1 {
			marker = "●"
		}
		text := padLeft(strconv.Itoa(i), idxW) + " " + fit(safe(names[i]), l.labelW-idxW-5) + " "
		var label string
		switch {
		case i == sel:
			label = m.st.selected.Render("▸" + marker + " " + text)
		case marker == "●":
			label = " " + m.st.active.Render(marker) + " " + text
		default:
			label = " " + marker + " " + text
		}
		b.WriteString(label)
		for j := colTop; j < len(names) && j < colTop+l.cols; j++ {
			cell := c.cells[i][j]
			switch {
			case cell != "":
				cell = m.st.changed.Render(fit(cell, c.cellW-1))
			case i == j:
				cell = m.st.dim.Render(fit("╲", c.cellW-1))
			default:
				cell = m.st.dim.Render(fit("·", c.cellW-1))
			}
			if j == sel || i == sel {
				cell = m.st.called.Render(cell)
			}
			b.WriteString(cell + " ")
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, "", m.st.dim.Render("R requires · A adds · X removes · > after: what the row's state says of the column's"))
	lines = append(lines, rel...)

	title := "relations"
	if m.mach != nil {
		title += " · " + safe(m.mach.ID()) + " · " + strconv.Itoa(len(names)) + " states"
		if t != nil {
			title += " · active after #" + strconv.FormatUint(t.Msg.ID, 10)
		}
	}
	return m.st.frame(title, lines, m.width, h+2, true)
}

// matrixColTop returns the first column shown, so that the selected
// state's column is in view.
func (m *Model) matrixColTop(l matrixLayout, n int) int {
	sel := m.stateRow()
	if sel < l.cols {
		return 0
	}
	return min(sel-l.cols/2, max(n-l.cols, 0))
}
