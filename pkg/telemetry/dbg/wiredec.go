package dbg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

var (
	// ErrMalformed reports bytes that do not decode as dbg messages, or
	// that would decode to more memory than [MaxDecodeFactor] allows.
	ErrMalformed = errors.New("malformed dbg encoding")
	// ErrVersion reports a batch of a version outside
	// [MinProtocolVersion] to [ProtocolVersion].
	ErrVersion = errors.New("unsupported dbg protocol version")
)

// MaxDecodeFactor bounds what decoding costs: n bytes (a batch, or a
// message) decode to at most about MaxDecodeFactor*n bytes of memory, plus
// [DecodeAllowance]. Genuine messages stay below it; bytes that would
// exceed it are malformed. It makes a peer's cost to a server proportional
// to what the peer sends.
const MaxDecodeFactor = 32

// DecodeAllowance is the memory any decoding may use beyond
// [MaxDecodeFactor] times its size. It covers the schemas of struct
// messages, whose states decode to far more than their few bytes.
const DecodeAllowance = 64 << 10

// decoder reads the binary form, charging every allocation to a budget.
// After the first error it reads zeros.
type decoder struct {
	data   []byte
	budget int
	err    error
	// names interns machine, state and handler names, which repeat in
	// every message: one copy each per batch, instead of one per use.
	names map[string]string
}

func newDecoder(data []byte) *decoder {
	return &decoder{data: data, budget: DecodeAllowance + MaxDecodeFactor*len(data)}
}

// DecodeMsg decodes one message framed by [AppendMsg] from the start of
// data, and returns how many bytes it took.
func DecodeMsg(data []byte) (DbgMsg, int, error) {
	d := newDecoder(data)
	m := d.msg()
	if d.err != nil {
		return nil, 0, d.err
	}
	return m, len(data) - len(d.data), nil
}

// UnmarshalBinary decodes the binary form made by
// [DbgMsgStruct.AppendBinary] into m.
func (m *DbgMsgStruct) UnmarshalBinary(data []byte) error {
	d := newDecoder(data)
	d.structBody(m)
	return d.end()
}

// UnmarshalBinary decodes the binary form made by [DbgMsgTx.AppendBinary]
// into m.
func (m *DbgMsgTx) UnmarshalBinary(data []byte) error {
	d := newDecoder(data)
	d.txBody(m)
	return d.end()
}

// UnmarshalBinary decodes the binary form made by
// [DbgMsgDispose.AppendBinary] into m.
func (m *DbgMsgDispose) UnmarshalBinary(data []byte) error {
	d := newDecoder(data)
	d.disposeBody(m)
	return d.end()
}

// UnmarshalBinary decodes the binary form made by
// [DbgMsgHandlerTimeout.AppendBinary] into m.
func (m *DbgMsgHandlerTimeout) UnmarshalBinary(data []byte) error {
	d := newDecoder(data)
	d.handlerTimeoutBody(m)
	return d.end()
}

// GobDecode decodes a batch encoded by [Batch.GobEncode]. A batch of a
// version this package does not know fails with [ErrVersion].
func (b *Batch) GobDecode(data []byte) error {
	d := newDecoder(data)
	*b = Batch{}
	v := d.uvarint()
	if d.err == nil && (v < MinProtocolVersion || v > ProtocolVersion) {
		return fmt.Errorf("%w: %d, want %d to %d", ErrVersion, v, MinProtocolVersion, ProtocolVersion)
	}
	b.Version = int(v)
	b.ClientID = d.name()
	b.Dropped = d.uvarint()
	// Msgs is allocated once, at its final size: growing it by appending
	// would cost several times its size, more than the smallest messages
	// are charged for
	if n := frames(d.data); n > 0 && d.spend(uintptr(n)*unsafe.Sizeof(DbgMsg(nil))) {
		b.Msgs = make([]DbgMsg, 0, n)
	}
	for len(d.data) > 0 && d.err == nil {
		if m := d.msg(); m != nil {
			b.Msgs = append(b.Msgs, m)
		}
	}
	return d.err
}

// frames counts the messages framed in data, up to the first bad frame.
func frames(data []byte) int {
	n := 0
	for len(data) > 1 {
		size, k := binary.Uvarint(data[1:])
		if k <= 0 || size > uint64(len(data)-1-k) {
			break
		}
		data = data[1+k+int(size):]
		n++
	}
	return n
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
		d.data = nil
	}
}

// end fails on bytes left over.
func (d *decoder) end() error {
	if d.err == nil && len(d.data) > 0 {
		d.fail("%d bytes after the message", len(d.data))
	}
	return d.err
}

// spend charges n bytes of memory to the budget.
func (d *decoder) spend(n uintptr) bool {
	d.budget -= int(n)
	if d.budget < 0 {
		d.fail("decodes to too much memory")
		return false
	}
	return true
}

// count reads a number of elements of the given size, and charges them.
// Each element takes at least a byte, which bounds the count before
// anything is allocated.
func (d *decoder) count(elemSize uintptr) int {
	n := d.uvarint()
	if n > uint64(len(d.data)) {
		d.fail("count %d beyond the data", n)
		return 0
	}
	if !d.spend(uintptr(n) * elemSize) {
		return 0
	}
	return int(n)
}

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		d.fail("truncated")
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) int() int { return int(d.varint()) }

func (d *decoder) string() string {
	n := d.count(1)
	s := string(d.data[:n])
	d.data = d.data[n:]
	return s
}

// maxName bounds the strings worth interning.
const maxName = 64

// name reads a string that is likely to repeat, interning it.
func (d *decoder) name() string {
	n := d.count(0)
	b := d.data[:n]
	d.data = d.data[n:]
	if n > maxName {
		d.spend(uintptr(n))
		return string(b)
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	if !d.spend(mapEntry(unsafe.Sizeof(""), unsafe.Sizeof("")) + uintptr(n)) {
		return ""
	}
	if d.names == nil {
		d.names = map[string]string{}
	}
	s := string(b)
	d.names[s] = s
	return s
}

// nameList reads a list of names.
func (d *decoder) nameList() []string {
	n := d.count(unsafe.Sizeof(""))
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.name()
	}
	return out
}

func (d *decoder) uvarints() []uint64 {
	n := d.count(8)
	if n == 0 {
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = d.uvarint()
	}
	return out
}

func (d *decoder) time() time.Time {
	if ns := d.varint(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// msg decodes one framed message, or nil after an error.
func (d *decoder) msg() DbgMsg {
	kind := d.byte()
	n := d.count(0)
	body, rest := d.data[:n], d.data[n:]
	d.data = body
	var m DbgMsg
	switch kind {
	case kindStruct:
		if d.spend(unsafe.Sizeof(DbgMsgStruct{})) {
			st := &DbgMsgStruct{}
			d.structBody(st)
			m = st
		}
	case kindTx:
		if d.spend(unsafe.Sizeof(DbgMsgTx{})) {
			tx := &DbgMsgTx{}
			d.txBody(tx)
			m = tx
		}
	case kindDispose:
		if d.spend(unsafe.Sizeof(DbgMsgDispose{})) {
			dm := &DbgMsgDispose{}
			d.disposeBody(dm)
			m = dm
		}
	case kindHandlerTimeout:
		if d.spend(unsafe.Sizeof(DbgMsgHandlerTimeout{})) {
			ht := &DbgMsgHandlerTimeout{}
			d.handlerTimeoutBody(ht)
			m = ht
		}
	default:
		d.fail("unknown message kind %d", kind)
	}
	if d.end() != nil {
		return nil
	}
	d.data = rest
	return m
}

// mapEntry approximates the memory of one map entry: its slot, with the
// slack of a map's load factor, and its control byte.
func mapEntry(k, v uintptr) uintptr { return (k+v)*5/4 + 8 }

func (d *decoder) structBody(m *DbgMsgStruct) {
	*m = DbgMsgStruct{
		MachineID:  d.name(),
		ParentID:   d.name(),
		Tags:       d.nameList(),
		StateNames: d.nameList(),
		Clocks:     d.uvarints(),
	}
	if n := d.count(mapEntry(unsafe.Sizeof(""), unsafe.Sizeof(am.State{}))); n > 0 {
		m.Schema = make(am.Schema, n)
		for range n {
			name := d.name()
			flags := d.byte()
			m.Schema[name] = am.State{
				Auto:    flags&stateAuto != 0,
				Multi:   flags&stateMulti != 0,
				Require: d.nameList(),
				Add:     d.nameList(),
				Remove:  d.nameList(),
				After:   d.nameList(),
				Tags:    d.nameList(),
			}
		}
	}
	if n := d.count(mapEntry(unsafe.Sizeof(""), unsafe.Sizeof(am.S{}))); n > 0 {
		m.Groups = make(map[string]am.S, n)
		for range n {
			name := d.name()
			m.Groups[name] = d.nameList()
		}
	}
}

func (d *decoder) txBody(m *DbgMsgTx) {
	*m = DbgMsgTx{
		MachineID: d.name(),
		ID:        d.uvarint(),
		Clocks:    d.uvarints(),
		QueueTick: d.uvarint(),
		QueueLen:  d.int(),
		Type:      am.MutationType(d.byte()),
	}
	if n := d.count(unsafe.Sizeof(0)); n > 0 {
		m.Called = make([]int, n)
		for i := range m.Called {
			m.Called[i] = d.int()
		}
	}
	if n := d.count(mapEntry(unsafe.Sizeof(""), unsafe.Sizeof(""))); n > 0 {
		m.Args = make(map[string]string, n)
		for range n {
			k := d.string()
			m.Args[k] = d.string()
		}
	}
	flags := d.byte()
	m.Auto = flags&txAuto != 0
	m.CheckOnly = flags&txCheckOnly != 0
	m.Accepted = flags&txAccepted != 0
	m.Source = am.Source{MachineID: d.name(), TxID: d.uvarint()}
	if n := d.count(unsafe.Sizeof(am.Step{})); n > 0 {
		m.Steps = make([]am.Step, n)
		for i := range m.Steps {
			m.Steps[i] = am.Step{
				Type:    am.StepType(d.byte()),
				State:   d.int(),
				Related: d.int(),
				Handler: d.name(),
			}
		}
	}
	m.LogsBefore = d.logs()
	m.Logs = d.logs()
	m.Err = d.string()
	m.Start = d.time()
	m.End = d.time()
	// versions 1 and 2 end the body here
	if len(d.data) == 0 {
		return
	}
	if n := d.count(unsafe.Sizeof(time.Duration(0))); n > 0 {
		m.HandlerDurations = make([]time.Duration, n)
		for i := range m.HandlerDurations {
			m.HandlerDurations[i] = time.Duration(d.varint())
		}
	}
}

func (d *decoder) disposeBody(m *DbgMsgDispose) {
	*m = DbgMsgDispose{MachineID: d.name(), Time: d.time()}
}

func (d *decoder) handlerTimeoutBody(m *DbgMsgHandlerTimeout) {
	*m = DbgMsgHandlerTimeout{
		MachineID: d.name(),
		TxID:      d.uvarint(),
		Handler:   d.name(),
		Elapsed:   time.Duration(d.varint()),
		Time:      d.time(),
	}
}

func (d *decoder) logs() []am.LogEntry {
	n := d.count(unsafe.Sizeof(am.LogEntry{}))
	if n == 0 {
		return nil
	}
	out := make([]am.LogEntry, n)
	for i := range out {
		out[i] = am.LogEntry{
			Time:      d.time(),
			Level:     am.LogLevel(d.varint()),
			Text:      d.string(),
			MachineID: d.name(),
			TxID:      d.uvarint(),
			States:    d.nameList(),
		}
	}
	return out
}
