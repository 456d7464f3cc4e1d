package dbg

import (
	"encoding/binary"
	"maps"
	"slices"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Message kinds, the first byte of an encoded message.
const (
	kindStruct  byte = 1
	kindTx      byte = 2
	kindDispose byte = 3
	// kindHandlerTimeout is protocol version 3's.
	kindHandlerTimeout byte = 4
)

// Flag bits of an encoded schema state and of an encoded transition.
const (
	stateAuto  = 1 << 0
	stateMulti = 1 << 1

	txAuto      = 1 << 0
	txCheckOnly = 1 << 1
	txAccepted  = 1 << 2
)

// AppendMsg appends m with its kind and length, as messages are framed in
// a batch and in a recording.
func AppendMsg(b []byte, m DbgMsg) []byte {
	b = append(b, m.kind())
	start := len(b)
	b, _ = m.AppendBinary(b)
	return prefixLen(b, start)
}

// appendTxMsg is [AppendMsg] of a transition, called on the concrete type
// so that m stays on its caller's stack.
func appendTxMsg(b []byte, m *DbgMsgTx) []byte {
	b = append(b, kindTx)
	start := len(b)
	b, _ = m.AppendBinary(b)
	return prefixLen(b, start)
}

// prefixLen puts the length of the body b[start:] in front of it. The
// length goes in front after the body is encoded, so that the body is
// encoded once and moved.
func prefixLen(b []byte, start int) []byte {
	body := len(b) - start
	var head [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(body))
	b = append(b, head[:n]...)
	copy(b[start+n:], b[start:start+body])
	copy(b[start:], head[:n])
	return b
}

// AppendBinary appends the binary form of m (see the package
// documentation). It never fails.
func (m *DbgMsgStruct) AppendBinary(b []byte) ([]byte, error) {
	b = appendString(b, m.MachineID)
	b = appendString(b, m.ParentID)
	b = appendStrings(b, m.Tags)
	b = appendStrings(b, m.StateNames)
	b = appendUvarints(b, m.Clocks)
	b = binary.AppendUvarint(b, uint64(len(m.Schema)))
	for _, name := range slices.Sorted(maps.Keys(m.Schema)) {
		s := m.Schema[name]
		b = appendString(b, name)
		b = append(b, flag(s.Auto, stateAuto)|flag(s.Multi, stateMulti))
		for _, rel := range [...]am.S{s.Require, s.Add, s.Remove, s.After, s.Tags} {
			b = appendStrings(b, rel)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(m.Groups)))
	for _, name := range slices.Sorted(maps.Keys(m.Groups)) {
		b = appendString(b, name)
		b = appendStrings(b, m.Groups[name])
	}
	return b, nil
}

// MarshalBinary returns the binary form of m.
func (m *DbgMsgStruct) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// AppendBinary appends the binary form of m (see the package
// documentation). It never fails.
func (m *DbgMsgTx) AppendBinary(b []byte) ([]byte, error) {
	b = appendString(b, m.MachineID)
	b = binary.AppendUvarint(b, m.ID)
	b = appendUvarints(b, m.Clocks)
	b = binary.AppendUvarint(b, m.QueueTick)
	b = binary.AppendVarint(b, int64(m.QueueLen))
	b = append(b, byte(m.Type))
	b = binary.AppendUvarint(b, uint64(len(m.Called)))
	for _, i := range m.Called {
		b = binary.AppendVarint(b, int64(i))
	}
	b = appendStringMap(b, m.Args)
	b = append(b, flag(m.Auto, txAuto)|flag(m.CheckOnly, txCheckOnly)|flag(m.Accepted, txAccepted))
	b = appendString(b, m.Source.MachineID)
	b = binary.AppendUvarint(b, m.Source.TxID)
	b = binary.AppendUvarint(b, uint64(len(m.Steps)))
	for _, s := range m.Steps {
		b = append(b, byte(s.Type))
		b = binary.AppendVarint(b, int64(s.State))
		b = binary.AppendVarint(b, int64(s.Related))
		b = appendString(b, s.Handler)
	}
	b = appendLogs(b, m.LogsBefore)
	b = appendLogs(b, m.Logs)
	b = appendString(b, m.Err)
	b = appendTime(b, m.Start)
	b = appendTime(b, m.End)
	b = binary.AppendUvarint(b, uint64(len(m.HandlerDurations)))
	for _, d := range m.HandlerDurations {
		b = binary.AppendVarint(b, int64(d))
	}
	return b, nil
}

// MarshalBinary returns the binary form of m.
func (m *DbgMsgTx) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// AppendBinary appends the binary form of m (see the package
// documentation). It never fails.
func (m *DbgMsgDispose) AppendBinary(b []byte) ([]byte, error) {
	b = appendString(b, m.MachineID)
	return appendTime(b, m.Time), nil
}

// MarshalBinary returns the binary form of m.
func (m *DbgMsgDispose) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// AppendBinary appends the binary form of m (see the package
// documentation). It never fails.
func (m *DbgMsgHandlerTimeout) AppendBinary(b []byte) ([]byte, error) {
	b = appendString(b, m.MachineID)
	b = binary.AppendUvarint(b, m.TxID)
	b = appendString(b, m.Handler)
	b = binary.AppendVarint(b, int64(m.Elapsed))
	return appendTime(b, m.Time), nil
}

// MarshalBinary returns the binary form of m.
func (m *DbgMsgHandlerTimeout) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// GobEncode encodes the batch for net/rpc: its version, client ID and drop
// count, then its messages as [AppendMsg] frames them.
func (b *Batch) GobEncode() ([]byte, error) {
	out := appendBatchHeader(nil, b.Version, b.ClientID, b.Dropped)
	for _, m := range b.Msgs {
		out = AppendMsg(out, m)
	}
	return out, nil
}

func appendBatchHeader(b []byte, version int, clientID string, dropped uint64) []byte {
	b = binary.AppendUvarint(b, uint64(version))
	b = appendString(b, clientID)
	return binary.AppendUvarint(b, dropped)
}

// encodedBatch is a batch the tracer encoded as it built it, so the bytes
// that were sized are the bytes sent. A server decodes it as a [Batch].
type encodedBatch []byte

// GobEncode returns the batch.
func (b encodedBatch) GobEncode() ([]byte, error) { return b, nil }

// appendStringMap appends m's pairs sorted by key. Sorting costs an
// allocation, which the common transition without loggable args skips.
func appendStringMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	if len(m) == 0 {
		return b
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

func appendLogs(b []byte, logs []am.LogEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(logs)))
	for i := range logs {
		e := &logs[i]
		b = appendTime(b, e.Time)
		b = binary.AppendVarint(b, int64(e.Level))
		b = appendString(b, e.Text)
		b = appendString(b, e.MachineID)
		b = binary.AppendUvarint(b, e.TxID)
		b = appendStrings(b, e.States)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendUvarints(b []byte, vs []uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// appendTime encodes t as Unix nanoseconds, and the zero time as 0.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func flag(set bool, bit byte) byte {
	if set {
		return bit
	}
	return 0
}
