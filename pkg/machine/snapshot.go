package machine

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Snapshot is what a machine needs to survive a process restart: its ID,
// the fingerprint of its schema, and its clocks, from which the active
// states follow. [Machine.Export] makes one, [Import] creates a machine from
// it. It encodes to JSON with [encoding/json] and to a compact binary form
// with [Snapshot.MarshalBinary].
type Snapshot struct {
	// ID is the machine's ID.
	ID string `json:"id"`
	// Schema fingerprints the schema: its states and their relations and
	// flags (not their tags), whatever the index order.
	Schema string `json:"schema"`
	// States are the machine's states in index order.
	States []SnapshotState `json:"states"`
	// Active lists the active states in index order. It repeats what the
	// clocks say, for readers; [Import] checks that both agree.
	Active S `json:"active"`
}

// SnapshotState is one state of a [Snapshot].
type SnapshotState struct {
	// Name is the state's name.
	Name string `json:"name"`
	// Clock is the state's clock; odd means active.
	Clock uint64 `json:"clock"`
	// Def fingerprints the state's definition, so that [Import] can name
	// the states whose relations changed.
	Def string `json:"def"`
}

// Export returns a snapshot of the machine's ID, schema and clocks. The
// clocks are read between two commits, so they are consistent.
func (m *Machine) Export() *Snapshot {
	m.mu.Lock()
	c := m.schema
	clocks := slices.Clone(m.clocks)
	m.mu.Unlock()
	snap := &Snapshot{ID: m.id, States: make([]SnapshotState, len(c.names))}
	defs := c.fingerprints()
	for i, name := range c.names {
		snap.States[i] = SnapshotState{Name: name, Clock: clocks[i], Def: hex64(defs[i])}
		if clocks[i]%2 == 1 {
			snap.Active = append(snap.Active, name)
		}
	}
	snap.Schema = hex64(schemaFingerprint(c.names, defs))
	return snap
}

// Import creates a machine for schema with the clocks of snap: the states
// active at export are active again, without running handlers or auto
// states. The machine takes snap's ID unless opts gives one. A schema that
// differs from the exported one is an error wrapping [ErrSnapshot] that
// names the states that are missing, new, or defined differently.
func Import(ctx context.Context, schema Schema, snap *Snapshot, opts *Opts) (*Machine, error) {
	if snap == nil {
		return nil, fmt.Errorf("import: %w: nil snapshot", ErrSnapshot)
	}
	o := Opts{}
	if opts != nil {
		o = *opts
	}
	if o.ID == "" {
		o.ID = snap.ID
	}
	c, err := compileShared(schema, o.Order)
	if err != nil {
		return nil, fmt.Errorf("import machine %q: %w", o.ID, err)
	}
	clocks, err := snap.clocks(c)
	if err != nil {
		return nil, fmt.Errorf("import machine %q: %w", o.ID, err)
	}
	return newMachine(ctx, c, &o, clocks)
}

// clocks checks snap against c and returns its clocks in c's index order.
func (snap *Snapshot) clocks(c *compiled) (Time, error) {
	byName := make(map[string]SnapshotState, len(snap.States))
	var active S
	for _, st := range snap.States {
		if _, dup := byName[st.Name]; dup {
			return nil, fmt.Errorf("%w: state %q is listed twice", ErrSnapshot, st.Name)
		}
		byName[st.Name] = st
		if st.Clock%2 == 1 {
			active = append(active, st.Name)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(active)), slices.Sorted(slices.Values(snap.Active))) {
		return nil, fmt.Errorf("%w: active states %v disagree with the clocks, which say %v", ErrSnapshot, snap.Active, active)
	}
	defs := c.fingerprints()
	var missing, added, changed S
	for i, name := range c.names {
		st, ok := byName[name]
		switch {
		case !ok:
			added = append(added, name)
		case st.Def != hex64(defs[i]):
			changed = append(changed, name)
		}
	}
	for name := range byName {
		if _, ok := c.index[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing)+len(added)+len(changed) > 0 {
		var parts []string
		for _, d := range []struct {
			what   string
			states S
		}{{"not in the schema", missing}, {"not in the snapshot", added}, {"defined differently", changed}} {
			if len(d.states) > 0 {
				slices.Sort(d.states)
				parts = append(parts, d.what+": "+strings.Join(d.states, ", "))
			}
		}
		return nil, fmt.Errorf("%w: the schema differs from the exported one; %s", ErrSnapshot, strings.Join(parts, "; "))
	}
	if fp := hex64(schemaFingerprint(c.names, defs)); snap.Schema != fp {
		return nil, fmt.Errorf("%w: schema fingerprint %s, the states make %s", ErrSnapshot, snap.Schema, fp)
	}
	clocks := make(Time, len(c.names))
	for i, name := range c.names {
		clocks[i] = byName[name].Clock
	}
	return clocks, nil
}

// fingerprints hashes each state's definition: flags and relations, with
// relation lists sorted, as their order means nothing. Tags are labels and
// are left out.
func (c *compiled) fingerprints() []uint64 {
	out := make([]uint64, len(c.names))
	for i, name := range c.names {
		st := c.schema[name]
		h := fnv.New64a()
		fmt.Fprintf(h, "%s auto=%v multi=%v", name, st.Auto, st.Multi)
		for _, rel := range []struct {
			name  string
			names S
		}{{"require", st.Require}, {"add", st.Add}, {"remove", st.Remove}, {"after", st.After}} {
			fmt.Fprintf(h, " %s=%s", rel.name, strings.Join(slices.Sorted(slices.Values(rel.names)), ","))
		}
		out[i] = h.Sum64()
	}
	return out
}

// schemaFingerprint combines the state fingerprints in name order, so the
// index order does not change it.
func schemaFingerprint(names S, defs []uint64) uint64 {
	byName := make(map[string]uint64, len(names))
	for i, name := range names {
		byName[name] = defs[i]
	}
	h := fnv.New64a()
	var buf [8]byte
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		h.Write([]byte(name))
		binary.BigEndian.PutUint64(buf[:], byName[name])
		h.Write(buf[:])
	}
	return h.Sum64()
}

func hex64(v uint64) string {
	s := strconv.FormatUint(v, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// snapshotMagic starts the binary form; its last byte is the version.
const snapshotMagic = "amS\x01"

// MarshalBinary encodes the snapshot compactly: a 4-byte header, the ID,
// the schema fingerprint in 8 bytes, then each state's name, clock (as a
// varint) and definition fingerprint. Active is left out: the clocks
// carry it.
func (snap *Snapshot) MarshalBinary() ([]byte, error) {
	schema, err := strconv.ParseUint(snap.Schema, 16, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: schema fingerprint %q: %w", ErrSnapshot, snap.Schema, err)
	}
	b := make([]byte, 0, 16+len(snap.ID)+len(snap.States)*24)
	b = append(b, snapshotMagic...)
	b = appendString(b, snap.ID)
	b = binary.BigEndian.AppendUint64(b, schema)
	b = binary.AppendUvarint(b, uint64(len(snap.States)))
	for _, st := range snap.States {
		def, err := strconv.ParseUint(st.Def, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: state %q: fingerprint %q: %w", ErrSnapshot, st.Name, st.Def, err)
		}
		b = appendString(b, st.Name)
		b = binary.AppendUvarint(b, st.Clock)
		b = binary.BigEndian.AppendUint64(b, def)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary decodes the form of [Snapshot.MarshalBinary] into snap.
func (snap *Snapshot) UnmarshalBinary(data []byte) error {
	d := snapshotDecoder{b: data}
	if !strings.HasPrefix(string(data), snapshotMagic[:3]) {
		return fmt.Errorf("%w: not a machine snapshot", ErrSnapshot)
	}
	if len(data) < len(snapshotMagic) || data[3] != snapshotMagic[3] {
		return fmt.Errorf("%w: unsupported snapshot version", ErrSnapshot)
	}
	d.b = d.b[len(snapshotMagic):]
	out := Snapshot{ID: d.string(), Schema: hex64(d.uint64())}
	n := d.uvarint()
	// each state takes at least 10 bytes, which bounds what a corrupt
	// count can allocate
	if n > uint64(len(d.b))/10 {
		return fmt.Errorf("%w: %d states in %d bytes", ErrSnapshot, n, len(d.b))
	}
	out.States = make([]SnapshotState, n)
	for k := range out.States {
		st := SnapshotState{Name: d.string(), Clock: d.uvarint(), Def: hex64(d.uint64())}
		out.States[k] = st
		if st.Clock%2 == 1 {
			out.Active = append(out.Active, st.Name)
		}
	}
	if d.err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, d.err)
	}
	if len(d.b) > 0 {
		return fmt.Errorf("%w: %d bytes after the last state", ErrSnapshot, len(d.b))
	}
	*snap = out
	return nil
}

// snapshotDecoder reads the binary form; the first error sticks and makes
// every later read return zero.
type snapshotDecoder struct {
	b   []byte
	err error
}

func (d *snapshotDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapshotDecoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.err = fmt.Errorf("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *snapshotDecoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("truncated")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
