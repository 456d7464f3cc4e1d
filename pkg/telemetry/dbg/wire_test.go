package dbg_test

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// randomMsgs returns messages with every field set to random values,
// extreme integers included, and nil for empty lists and maps, as decoding
// returns them.
func randomMsgs(seed uint64, n int) []dbg.DbgMsg {
	rng := rand.New(rand.NewPCG(seed, 1))
	str := func() string {
		if rng.IntN(8) == 0 {
			return strings.Repeat("é", rng.IntN(300))
		}
		return fmt.Sprint(rng.IntN(1000))
	}
	strs := func() []string {
		var out []string
		for range rng.IntN(4) {
			out = append(out, str())
		}
		return out
	}
	num := func() uint64 { return []uint64{0, 1, math.MaxUint64, rng.Uint64()}[rng.IntN(4)] }
	tm := func() time.Time {
		if rng.IntN(4) == 0 {
			return time.Time{}
		}
		return time.Unix(0, rng.Int64())
	}
	var out []dbg.DbgMsg
	for range n {
		tx := &dbg.DbgMsgTx{
			MachineID: str(), ID: num(), QueueTick: num(), QueueLen: rng.Int() - math.MaxInt/2,
			Type: am.MutationType(rng.IntN(4)), Auto: rng.IntN(2) == 0, CheckOnly: rng.IntN(2) == 0,
			Accepted: rng.IntN(2) == 0, Err: str(), Source: am.Source{MachineID: str(), TxID: num()},
			Start: tm(), End: tm(),
		}
		for range rng.IntN(6) {
			tx.Clocks = append(tx.Clocks, num())
			tx.Called = append(tx.Called, rng.IntN(50)-1)
			tx.Steps = append(tx.Steps, am.Step{Type: am.StepType(rng.IntN(11)), State: math.MaxInt, Related: -1, Handler: str()})
			tx.HandlerDurations = append(tx.HandlerDurations, time.Duration(rng.Int64()-math.MaxInt64/2))
		}
		for range rng.IntN(3) {
			e := am.LogEntry{Time: tm(), Level: am.LogLevel(rng.IntN(5)), Text: str(), MachineID: str(), TxID: num(), States: strs()}
			tx.Logs = append(tx.Logs, e)
			tx.LogsBefore = append(tx.LogsBefore, e)
			if tx.Args == nil {
				tx.Args = map[string]string{}
			}
			tx.Args[str()] = str()
		}
		st := &dbg.DbgMsgStruct{
			MachineID: str(), ParentID: str(), Tags: strs(), StateNames: strs(),
		}
		for range rng.IntN(4) {
			st.Clocks = append(st.Clocks, num())
			if st.Schema == nil {
				st.Schema, st.Groups = am.Schema{}, map[string]am.S{}
			}
			st.Schema[str()] = am.State{Auto: rng.IntN(2) == 0, Multi: rng.IntN(2) == 0,
				Require: strs(), Add: strs(), Remove: strs(), After: strs(), Tags: strs()}
			st.Groups[str()] = strs()
		}
		out = append(out, tx, st, &dbg.DbgMsgDispose{MachineID: str(), Time: tm()},
			&dbg.DbgMsgHandlerTimeout{MachineID: str(), TxID: num(), Handler: str(),
				Elapsed: time.Duration(rng.Int64() - math.MaxInt64/2), Time: tm()})
	}
	return out
}

func TestWireRoundTrip(t *testing.T) {
	msgs := randomMsgs(1, 300)
	for i, m := range msgs {
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got := reflect.New(reflect.TypeOf(m).Elem()).Interface().(dbg.DbgMsg)
		if err := got.UnmarshalBinary(data); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("message %d:\n got %+v\nwant %+v", i, got, m)
		}
	}

	// the same through a batch, the way net/rpc sends it
	var buf bytes.Buffer
	in := &dbg.Batch{Version: dbg.ProtocolVersion, ClientID: "c", Dropped: 7, Msgs: msgs}
	if err := gob.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	var out dbg.Batch
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&out, in) {
		t.Fatal("the batch changed on its way")
	}
}

// Every prefix of a valid message, and every byte flipped, is an error
// or another valid message; never a panic.
func TestDecodeDamaged(t *testing.T) {
	for _, m := range randomMsgs(2, 10) {
		data := dbg.AppendMsg(nil, m)
		for cut := range len(data) {
			if _, _, err := dbg.DecodeMsg(data[:cut]); !errors.Is(err, dbg.ErrMalformed) {
				t.Fatalf("cut at %d of %d: %v, want ErrMalformed", cut, len(data), err)
			}
		}
		for i := range data {
			damaged := bytes.Clone(data)
			damaged[i] ^= 0xA5
			if _, _, err := dbg.DecodeMsg(damaged); err != nil && !errors.Is(err, dbg.ErrMalformed) {
				t.Fatalf("byte %d flipped: %v", i, err)
			}
		}
	}
	var b dbg.Batch
	for _, v := range []uint64{dbg.MinProtocolVersion - 1, dbg.ProtocolVersion + 1} {
		if err := b.GobDecode(binary.AppendUvarint(nil, v)); !errors.Is(err, dbg.ErrVersion) {
			t.Errorf("version %d: %v, want ErrVersion", v, err)
		}
	}
	tx, _ := (&dbg.DbgMsgTx{MachineID: "m"}).MarshalBinary()
	if err := new(dbg.DbgMsgTx).UnmarshalBinary(append(tx, 0)); !errors.Is(err, dbg.ErrMalformed) {
		t.Errorf("a trailing byte: %v, want ErrMalformed", err)
	}
}

// A transition of versions 1 and 2, whose body ends before the handler
// durations, reads with none; one of version 3 with them.
func TestDecodeHandlerDurations(t *testing.T) {
	tx := &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Steps: []am.Step{
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AEnter"},
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AState"},
	}, HandlerDurations: []time.Duration{3 * time.Microsecond, 2 * time.Second}}
	data, _ := tx.MarshalBinary()
	var got dbg.DbgMsgTx
	if err := got.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(&got, tx) {
		t.Fatalf("version 3: %+v, %v", &got, err)
	}
	old := *tx
	old.HandlerDurations = nil
	v2, _ := old.MarshalBinary()
	// the empty list's count is the last byte: versions 1 and 2 end before it
	v2 = v2[:len(v2)-1]
	if err := got.UnmarshalBinary(v2); err != nil || !reflect.DeepEqual(&got, &old) {
		t.Errorf("version 2: %+v, %v", &got, err)
	}
}

// A client of the oldest accepted version, which has no dispose message,
// is read as it sent: a current server keeps older clients.
func TestDecodeOldVersion(t *testing.T) {
	in := &dbg.Batch{Version: dbg.MinProtocolVersion, ClientID: "old", Msgs: []dbg.DbgMsg{
		&dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{am.Exception}},
		&dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0}},
	}}
	data, _ := in.GobEncode()
	var out dbg.Batch
	if err := out.GobDecode(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&out, in) {
		t.Errorf("got %+v, want %+v", &out, in)
	}
}

// Bytes crafted to decode to as much memory as possible stay within
// MaxDecodeFactor times their size.
func TestDecodeMemoryBound(t *testing.T) {
	const n = 50_000
	empties := func(prefix []byte, elem []byte) []byte {
		b := binary.AppendUvarint(prefix, n)
		return append(b, bytes.Repeat(elem, n)...)
	}
	// a struct message of n nameless, empty states: 7 bytes each
	schema := append([]byte{0, 0, 0, 0, 0}, empties(nil, []byte{0, 0, 0, 0, 0, 0, 0})...)
	schema = append(schema, 0)
	// a transition of n empty log entries: 6 bytes each, after 12 empty
	// fields
	logs := make([]byte, 12)
	logs = append(empties(logs, []byte{0, 0, 0, 0, 0, 0}), 0, 0, 0, 0)
	msg := func(kind byte, body []byte) []byte {
		return append(binary.AppendUvarint([]byte{kind}, uint64(len(body))), body...)
	}
	// a batch of n nameless dispose messages at the zero time: the
	// smallest messages, 4 bytes each
	disposals := binary.AppendUvarint(nil, dbg.ProtocolVersion)
	disposals = append(disposals, 0, 0)
	for range n {
		disposals = append(disposals, msg(3, []byte{0, 0})...)
	}
	// a transition of n zero handler durations: a byte each, after an
	// empty transition's body without its own empty list
	durations, _ := (&dbg.DbgMsgTx{}).MarshalBinary()
	durations = empties(durations[:len(durations)-1], []byte{0})
	decodeMsg := func(data []byte) error { _, _, err := dbg.DecodeMsg(data); return err }
	for name, tc := range map[string]struct {
		data   []byte
		decode func([]byte) error
	}{
		"schema of empty states":    {msg(1, schema), decodeMsg},
		"empty log entries":         {msg(2, logs), decodeMsg},
		"zero handler durations":    {msg(2, durations), decodeMsg},
		"batch of dispose messages": {disposals, new(dbg.Batch).GobDecode},
	} {
		t.Run(name, func(t *testing.T) {
			data := tc.data
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := tc.decode(data)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			// the budget charges map slots generously, so the real cost
			// stays under it even counting the runtime's own rounding
			if limit := uint64(dbg.DecodeAllowance + dbg.MaxDecodeFactor*len(data)); allocated > limit {
				t.Errorf("%d bytes decoded to %d bytes of memory (err %v), limit %d", len(data), allocated, err, limit)
			}
		})
	}
}

// Genuine messages with compact encodings decode: a schema of many
// states with one-letter names, and transitions with many small steps.
func TestDecodeLargeGenuine(t *testing.T) {
	st := &dbg.DbgMsgStruct{MachineID: "m", Schema: am.Schema{}}
	for i := range 2000 {
		name := string(rune('A'+i%26)) + fmt.Sprint(i/26)
		st.StateNames = append(st.StateNames, name)
		st.Clocks = append(st.Clocks, 0)
		st.Schema[name] = am.State{}
	}
	tx := &dbg.DbgMsgTx{MachineID: "m", ID: 1}
	for range 5000 {
		tx.Steps = append(tx.Steps, am.Step{Type: am.StepHandler, Handler: "AState"})
	}
	for _, m := range []dbg.DbgMsg{st, tx} {
		if _, _, err := dbg.DecodeMsg(dbg.AppendMsg(nil, m)); err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
}

// FuzzDecode decodes arbitrary bytes as a batch and as a message: no
// panic, and what decodes encodes back to something that decodes equal.
func FuzzDecode(f *testing.F) {
	for _, m := range randomMsgs(3, 2) {
		f.Add(dbg.AppendMsg(nil, m))
	}
	batch, _ := (&dbg.Batch{Version: dbg.ProtocolVersion, Msgs: randomMsgs(4, 1)}).GobEncode()
	f.Add(batch)
	f.Fuzz(func(t *testing.T, data []byte) {
		var b dbg.Batch
		if err := b.GobDecode(data); err == nil {
			again, _ := b.GobEncode()
			var b2 dbg.Batch
			if err := b2.GobDecode(again); err != nil || !reflect.DeepEqual(&b, &b2) {
				t.Fatalf("re-encoded batch: %v", err)
			}
		}
		if m, _, err := dbg.DecodeMsg(data); err == nil {
			m2, _, err := dbg.DecodeMsg(dbg.AppendMsg(nil, m))
			if err != nil || !reflect.DeepEqual(m, m2) {
				t.Fatalf("re-encoded message: %v", err)
			}
		}
	})
}
