package store

import (
	"unsafe"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// The estimates below count what a message and the store's records of it
// hold on the heap: every string's bytes, every slice's backing array,
// map entries with the overhead of a Go map, and the fixed size of each
// struct. Allocations are rounded up to a size class by the runtime,
// which allocPad stands for on average. A test checks the estimates
// against the heap.
const (
	allocPad = 16
	strHdr   = int64(unsafe.Sizeof(""))
	ptrSize  = int64(unsafe.Sizeof(uintptr(0)))
)

// mapBytes estimates a map of n entries of entry bytes each: Go's maps
// keep at most 7 of 8 slots full, and a control byte per slot.
func mapBytes(n int, entry int64) int64 {
	if n == 0 {
		return 0
	}
	return 64 + int64(n)*((entry+1)*8/7+1)
}

func strBytes(s string) int64 {
	if s == "" {
		return 0
	}
	return int64(len(s)) + allocPad
}

func namesBytes(names []string) int64 {
	if cap(names) == 0 {
		return 0
	}
	n := int64(cap(names))*strHdr + allocPad
	for _, s := range names {
		n += strBytes(s)
	}
	return n
}

func sliceBytes[T any](s []T) int64 {
	if cap(s) == 0 {
		return 0
	}
	var zero T
	return int64(cap(s))*int64(unsafe.Sizeof(zero)) + allocPad
}

func logsBytes(logs []am.LogEntry) int64 {
	n := sliceBytes(logs)
	for i := range logs {
		e := &logs[i]
		n += strBytes(e.Text) + strBytes(e.MachineID) + namesBytes(e.States)
	}
	return n
}

// txBytes estimates a transition: its message, with steps, args and
// logs, the store's Tx, and its entry in the budget's arrival order.
func txBytes(m *dbg.DbgMsgTx) int64 {
	n := int64(unsafe.Sizeof(*m)+unsafe.Sizeof(Tx{})+unsafe.Sizeof(arrival{})) + 2*allocPad
	n += strBytes(m.MachineID) + sliceBytes(m.Clocks) + sliceBytes(m.Called) + strBytes(m.Err) + strBytes(m.Source.MachineID)
	n += mapBytes(len(m.Args), 2*strHdr)
	for k, v := range m.Args {
		n += strBytes(k) + strBytes(v)
	}
	n += sliceBytes(m.Steps) + sliceBytes(m.HandlerDurations)
	for i := range m.Steps {
		n += strBytes(m.Steps[i].Handler)
	}
	return n + logsBytes(m.LogsBefore) + logsBytes(m.Logs)
}

// schemaBytes estimates a schema version: its struct message and the
// indexes made of it.
func schemaBytes(s *Schema) int64 {
	m := s.Msg
	n := int64(unsafe.Sizeof(*s)+unsafe.Sizeof(*m)) + 2*allocPad
	n += strBytes(m.MachineID) + strBytes(m.ParentID) + namesBytes(m.Tags) + namesBytes(m.StateNames) + sliceBytes(m.Clocks)
	n += mapBytes(len(m.Schema), strHdr+int64(unsafe.Sizeof(am.State{})))
	for name, st := range m.Schema {
		n += strBytes(name) + namesBytes(st.Require) + namesBytes(st.Add) + namesBytes(st.Remove) +
			namesBytes(st.After) + namesBytes(st.Tags)
	}
	n += mapBytes(len(m.Groups), strHdr+int64(unsafe.Sizeof(am.S{})))
	for name, states := range m.Groups {
		n += strBytes(name) + namesBytes(states)
	}
	n += mapBytes(len(s.Index), strHdr+8)
	n += mapBytes(len(s.Inbound), strHdr+int64(unsafe.Sizeof(Relations{})))
	for _, r := range s.Inbound {
		// the names are the schema's own strings; only the lists are new
		n += sliceBytes(r.Require) + sliceBytes(r.Add) + sliceBytes(r.Remove) + sliceBytes(r.After)
	}
	return n
}

// machineBytes estimates a machine's own data: the Machine, its places
// in the store's map, order and tree, its tags and clocks, its stuck
// handler, its current schema and its history ring.
func machineBytes(m *Machine) int64 {
	n := int64(unsafe.Sizeof(*m)+unsafe.Sizeof(TreeRow{})) + allocPad
	n += mapBytes(1, strHdr+ptrSize) + ptrSize
	n += strBytes(m.id) + strBytes(m.parent) + namesBytes(m.tags) + sliceBytes(m.clocks)
	if m.stuck != nil {
		n += int64(unsafe.Sizeof(*m.stuck)) + allocPad + strBytes(m.stuck.Handler)
	}
	return n + m.sch.size + int64(len(m.hist.ring))*ptrSize
}
