package ui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// diagramsMsg reports what writing the diagrams did.
type diagramsMsg struct {
	paths []string
	err   error
	// tx is the transition highlighted, or nil.
	tx *store.Tx
}

// writeDiagrams returns a command writing the selected machine's schema,
// as of the transition under the cursor, as Mermaid and Graphviz DOT to
// the diagrams directory: active states filled, and the transition's
// called, changed and touched states marked. Schemas and transitions
// never change, so the command reads them without the store's lock.
func (m *Model) writeDiagrams() tea.Cmd {
	if m.mach == nil {
		m.notice = "no machine to draw yet"
		return nil
	}
	sch, clocks, t := m.statesAt()
	dir, id := m.dir, m.mach.ID()
	return func() tea.Msg {
		paths, err := writeDiagramFiles(dir, id, sch, clocks, t)
		return diagramsMsg{paths: paths, err: err, tx: t}
	}
}

// writeDiagramFiles writes the machine's .mmd and .dot files into dir,
// named as --diagrams names them ([diagram.FileName]), and returns their
// paths.
func writeDiagramFiles(dir, id string, sch *store.Schema, clocks am.Time, t *store.Tx) ([]string, error) {
	g := diagram.FromStruct(sch.Msg)
	h := diagram.Highlight{Active: diagram.Active(sch.Names(), clocks)}
	if t != nil {
		before := t.Before
		if t.BeforeSchema != t.Schema {
			// clocks of another version: no state counts as changed
			before = nil
		}
		h = diagram.ForTx(sch.Names(), before, t.Msg)
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("diagrams directory: %w", err)
		}
	}
	base := filepath.Join(dir, diagram.FileName(id))
	var paths []string
	for _, f := range []struct {
		ext  string
		draw func(*bytes.Buffer) error
	}{
		{".mmd", func(b *bytes.Buffer) error { return g.Mermaid(b, h) }},
		{".dot", func(b *bytes.Buffer) error { return g.DOT(b, h) }},
	} {
		var b bytes.Buffer
		if err := f.draw(&b); err != nil {
			return paths, fmt.Errorf("draw %s of %s: %w", f.ext, id, err)
		}
		path := base + f.ext
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return paths, fmt.Errorf("write diagram: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// diagramsNotice says what writing the diagrams did, for the status bar.
func (msg diagramsMsg) notice() string {
	if msg.err != nil {
		return "diagrams: " + safe(msg.err.Error())
	}
	names := make([]string, len(msg.paths))
	for i, p := range msg.paths {
		names[i] = safe(filepath.Base(p))
	}
	text := "wrote " + strings.Join(names, ", ")
	if msg.tx != nil {
		text += " at #" + strconv.FormatUint(msg.tx.Msg.ID, 10)
	}
	if len(msg.paths) > 0 {
		text += " to " + safe(filepath.Dir(msg.paths[0]))
	}
	return text
}
