package dbg

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// The estimates must bound the real encoding, or a batch cut by them could
// exceed the server's limit and get the client disconnected.
func TestEstimatesBoundEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// long strings, now and then, make every string term count
	str := func() string {
		if rng.IntN(8) == 0 {
			return strings.Repeat("x", 500+rng.IntN(3000))
		}
		return strings.Repeat("x", rng.IntN(40))
	}
	strs := func() []string {
		out := make([]string, rng.IntN(5))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	// extreme values take gob's longest integer encodings
	num := func() uint64 { return []uint64{0, 1, math.MaxUint64, rng.Uint64()}[rng.IntN(4)] }
	for i := range 500 {
		tx := &DbgMsgTx{
			MachineID: str(), ID: num(), QueueTick: num(), QueueLen: int(num() >> 1),
			Type: am.MutationType(rng.IntN(4)), Auto: rng.IntN(2) == 0, Accepted: rng.IntN(2) == 0,
			Err: str(), Source: am.Source{MachineID: str(), TxID: num()},
			StartUnixNano: int64(num()), EndUnixNano: math.MinInt64,
		}
		for range rng.IntN(20) {
			tx.Clocks = append(tx.Clocks, num())
			tx.Called = append(tx.Called, int(num()>>1))
			tx.Steps = append(tx.Steps, am.Step{Type: am.StepHandler, State: math.MaxInt, Related: math.MinInt, Handler: str()})
		}
		for range rng.IntN(4) {
			e := am.LogEntry{Time: time.Unix(int64(num()>>40), 1), Level: am.LogLevelEverything, Text: str(),
				MachineID: str(), TxID: num(), States: strs()}
			tx.Logs = append(tx.Logs, e)
			tx.LogsBefore = append(tx.LogsBefore, e)
			if tx.Args == nil {
				tx.Args = map[string]string{}
			}
			tx.Args[str()+fmt.Sprint(len(tx.Args))] = str()
		}
		st := &DbgMsgStruct{
			MachineID: str(), ParentID: str(), Tags: strs(), StateNames: strs(), Clocks: am.Time{num(), num()},
			Schema: am.Schema{}, Groups: map[string]am.S{str(): strs()},
		}
		for range rng.IntN(6) {
			st.Schema[str()+fmt.Sprint(len(st.Schema))] = am.State{Auto: true, Multi: true,
				Require: strs(), Add: strs(), Remove: strs(), After: strs(), Tags: strs()}
		}
		for _, m := range []DbgMsg{tx, st} {
			got, est := encodedSize(t, m), 0
			switch m := m.(type) {
			case *DbgMsgTx:
				est = estimateTx(m)
			case *DbgMsgStruct:
				est = estimateStruct(m)
			}
			if got > est {
				t.Fatalf("case %d: %T encodes to %d bytes, estimated %d", i, m, got, est)
			}
		}
	}
}

// encodedSize is how much one message adds to an encoded batch, once the
// connection has sent the types.
func encodedSize(t *testing.T, m DbgMsg) int {
	t.Helper()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(&Batch{Msgs: []DbgMsg{m}}); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := enc.Encode(&Batch{}); err != nil {
		t.Fatal(err)
	}
	empty := buf.Len()
	buf.Reset()
	if err := enc.Encode(&Batch{Msgs: []DbgMsg{m}}); err != nil {
		t.Fatal(err)
	}
	return buf.Len() - empty
}
