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
const diagramsBudget = 32 << 20

// diagrammer writes a Mermaid (.mmd) and a Graphviz (.dot) file per
// machine into a directory, with the states active at the machine's last
// message marked. It writes a machine's files when the machine is
// disposed, when the budget needs the room, and for every other machine
// on Close.
type diagrammer struct {
	dir string
	// budget is diagramsBudget, lowered by tests.
	budget int

	mu    sync.Mutex
	machs map[string]*diagramMach
	// order lists the struct messages held, least recent first; an entry
	// whose machine was written or described again since is stale.
	order   []diagramEntry
	seq     uint64
	size    int
	written int
	err     error
}

// diagramMach is a machine's latest schema and clocks.
type diagramMach struct {
	st     *dbg.DbgMsgStruct
	clocks am.Time
	size   int
	seq    uint64
}

// diagramEntry is one struct message in the order they arrived.
type diagramEntry struct {
	id  string
	seq uint64
}

// current reports whether e is the machine's latest struct message.
func (d *diagrammer) current(e diagramEntry) bool {
	dm := d.machs[e.id]
	return dm != nil && dm.seq == e.seq
}

func newDiagrammer(dir string) (*diagrammer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("diagrams directory: %w", err)
	}
	return &diagrammer{dir: dir, budget: diagramsBudget, machs: map[string]*diagramMach{}}, nil
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
		if old := d.machs[m.MachineID]; old != nil {
			d.size -= old.size
		}
		d.seq++
		dm := &diagramMach{st: m, clocks: m.Clocks, size: structSize(m), seq: d.seq}
		d.machs[m.MachineID] = dm
		d.order = append(d.order, diagramEntry{id: m.MachineID, seq: d.seq})
		d.size += dm.size
		for d.size > d.budget && len(d.machs) > 1 {
			e := d.order[0]
			d.order = d.order[1:]
			if d.current(e) {
				d.writeLocked(e.id)
			}
		}
		d.compactLocked()
	case *dbg.DbgMsgTx:
		if dm := d.machs[m.MachineID]; dm != nil && len(m.Clocks) == len(dm.st.StateNames) {
			dm.clocks = m.Clocks
		}
	case *dbg.DbgMsgDispose:
		d.writeLocked(m.MachineID)
	}
}

// compactLocked drops stale order entries once they outnumber the
// current ones, so order stays proportional to what is held.
func (d *diagrammer) compactLocked() {
	if len(d.order) < 2*len(d.machs)+64 {
		return
	}
	kept := make([]diagramEntry, 0, len(d.machs))
	for _, e := range d.order {
		if d.current(e) {
			kept = append(kept, e)
		}
	}
	d.order = kept
}

// writeLocked writes the machine's two files and forgets it.
func (d *diagrammer) writeLocked(id string) {
	dm := d.machs[id]
	if dm == nil {
		return
	}
	delete(d.machs, id)
	d.size -= dm.size
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
	for _, e := range d.order {
		if d.current(e) {
			d.writeLocked(e.id)
		}
	}
	d.order = nil
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

// structSize approximates the memory a struct message holds, for the
// diagram writer's budget.
func structSize(m *dbg.DbgMsgStruct) int {
	n := 256 + len(m.MachineID) + len(m.ParentID) + 8*len(m.Clocks)
	strs := func(ss []string) {
		for _, s := range ss {
			n += 16 + len(s)
		}
	}
	strs(m.Tags)
	strs(m.StateNames)
	for name, st := range m.Schema {
		n += 64 + len(name) + 5*24
		strs(st.Require)
		strs(st.Add)
		strs(st.Remove)
		strs(st.After)
		strs(st.Tags)
	}
	for name, ss := range m.Groups {
		n += 48 + len(name)
		strs(ss)
	}
	return n
}
