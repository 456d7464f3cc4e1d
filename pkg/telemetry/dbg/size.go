package dbg

import am "github.com/amkit-dev/amkit/pkg/machine"

// The estimates below are upper bounds of a message's gob encoding, so that
// a batch cut by them stays within the server's message limit. Gob writes
// an unsigned integer in at most 9 bytes, a string as its length plus its
// bytes, a field as a one-byte delta and its value, and an interface value
// as its type name, type ID and length before the value.
const (
	maxUint    = 9
	ifaceBytes = 3*maxUint + 32
	timeBytes  = maxUint + 16
	entryBytes = 8*maxUint + 2*timeBytes
)

func strBytes(s string) int { return maxUint + len(s) }

func strsBytes(ss []string) int {
	n := 2 * maxUint
	for _, s := range ss {
		n += strBytes(s)
	}
	return n
}

// estimateTx bounds the encoded size of m inside a [Batch].
func estimateTx(m *DbgMsgTx) int {
	n := ifaceBytes + 16*(maxUint+1) + strBytes(m.MachineID) + strBytes(m.Err) +
		strBytes(m.Source.MachineID) +
		(len(m.Clocks)+len(m.Called)+4)*(maxUint+1)
	for _, s := range m.Steps {
		n += entryBytes + strBytes(s.Handler)
	}
	for k, v := range m.Args {
		n += strBytes(k) + strBytes(v)
	}
	for _, logs := range [2][]am.LogEntry{m.LogsBefore, m.Logs} {
		for i := range logs {
			e := &logs[i]
			n += entryBytes + strBytes(e.Text) + strBytes(e.MachineID) + strsBytes(e.States)
		}
	}
	return n
}

// estimateStruct bounds the encoded size of m inside a [Batch].
func estimateStruct(m *DbgMsgStruct) int {
	n := ifaceBytes + 8*(maxUint+1) + strBytes(m.MachineID) + strBytes(m.ParentID) +
		strsBytes(m.Tags) + strsBytes(m.StateNames) + (len(m.Clocks)+2)*(maxUint+1)
	for name, s := range m.Schema {
		n += entryBytes + strBytes(name) + strsBytes(s.Require) + strsBytes(s.Add) +
			strsBytes(s.Remove) + strsBytes(s.After) + strsBytes(s.Tags)
	}
	for name, states := range m.Groups {
		n += strBytes(name) + strsBytes(states)
	}
	return n
}
