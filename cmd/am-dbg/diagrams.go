package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// diagramsBudget bounds the schemas the diagram writer holds. Past it, the
// least recently described machine's files are written early and the
// machine forgotten, so memory stays bounded however many machines a
// peer invents, and no diagram is lost.
const diagramsBudget = 16 << 20

// diagrammer writes a Mermaid (.mmd) and a Graphviz (.dot) file per
// machine into a directory, with the states active at the machine's last
// message marked. It writes a machine's files when the machine is
// disposed, when the budget needs the room, and for every other machine
// on Close.
type diagrammer struct {
	dir string

	mu      sync.Mutex
	machs   *budgetMap[*diagramMach]
	written int
	err     error
}

// diagramMach is a machine's latest schema and clocks.
type diagramMach struct {
	st     *dbg.DbgMsgStruct
	clocks am.Time
}

func newDiagrammer(dir string) (*diagrammer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("diagrams directory: %w", err)
	}
	d := &diagrammer{dir: dir}
	d.machs = newBudgetMap(diagramsBudget, d.write)
	return d, nil
}

// HandleBatch takes the batch's messages.
func (d *diagrammer) HandleBatch(_ server.Peer, b *dbg.Batch) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range b.Msgs {
		d.addLocked(m)
	}
}

// add takes one message, as read from a recording.
func (d *diagrammer) add(m dbg.DbgMsg) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addLocked(m)
}

func (d *diagrammer) addLocked(m dbg.DbgMsg) {
	switch m := m.(type) {
	case *dbg.DbgMsgStruct:
		d.machs.set(m.MachineID, &diagramMach{st: m, clocks: m.Clocks}, m.MemSize())
	case *dbg.DbgMsgTx:
		// a dry run moves no clock; clocks of another length are the
		// peer's mistake, and would mark the wrong states
		if dm, ok := d.machs.get(m.MachineID); ok && !m.CheckOnly && len(m.Clocks) == len(dm.st.StateNames) {
			dm.clocks = m.Clocks
		}
	case *dbg.DbgMsgDispose:
		if dm, ok := d.machs.delete(m.MachineID); ok {
			d.write(m.MachineID, dm)
		}
	}
}

// write writes the machine's two files.
func (d *diagrammer) write(id string, dm *diagramMach) {
	g := diagram.FromStruct(dm.st)
	h := diagram.Highlight{Active: diagram.Active(dm.st.StateNames, dm.clocks)}
	base := filepath.Join(d.dir, diagram.FileName(id))
	for ext, write := range map[string]func(io.Writer, diagram.Highlight) error{".mmd": g.Mermaid, ".dot": g.DOT} {
		if err := writeFile(base+ext, func(w io.Writer) error { return write(w, h) }); err != nil {
			d.err = errors.Join(d.err, err)
			return
		}
	}
	d.written++
}

// Close writes the files of every machine still held.
func (d *diagrammer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.machs.each(d.write)
	d.machs = newBudgetMap(diagramsBudget, d.write)
	return d.err
}

// count returns how many machines' diagrams were written.
func (d *diagrammer) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.written
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write diagram: %w", err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write diagram %s: %w", path, cerr)
	}
	return err
}
