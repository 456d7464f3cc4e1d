package server

import (
	"bytes"
	"encoding/gob"
	"io"
	"net/rpc"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// pipe is a connection whose peer sent data and then closed; responses
// are discarded.
type pipe struct {
	io.Reader
	io.Writer
}

func (pipe) Close() error { return nil }

// validStream is what a client sends: a request header and a batch with
// every message type, as many times as given.
func validStream(t testing.TB, calls int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	batch := &dbg.Batch{
		Version:  dbg.ProtocolVersion,
		ClientID: "c1",
		Msgs: []dbg.DbgMsg{
			&dbg.DbgMsgStruct{
				MachineID: "m", StateNames: am.S{am.Exception, "A"},
				Schema: am.Schema{am.Exception: {Multi: true}, "A": {Tags: []string{"t"}}},
				Groups: map[string]am.S{"t": {"A"}}, Clocks: am.Time{0, 1},
			},
			&dbg.DbgMsgTx{
				MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Type: am.MutationAdd, Called: []int{1},
				Steps: []am.Step{{Type: am.StepRequested, State: 1, Related: -1}},
				Logs:  []am.LogEntry{{Time: time.Unix(1, 0), Level: am.LogLevelOps, Text: "[add] A", MachineID: "m", TxID: 1}},
				Args:  map[string]string{"n": "1"}, Accepted: true, Start: time.Unix(1, 0), End: time.Unix(2, 0),
			},
			&dbg.DbgMsgDispose{MachineID: "m", Time: time.Unix(3, 0)},
		},
	}
	for i := range calls {
		if err := enc.Encode(&rpc.Request{ServiceMethod: dbg.ServiceMethod, Seq: uint64(i)}); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(batch); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// FuzzServeConn feeds arbitrary bytes to one connection's decoding path:
// the frame checks, gob, net/rpc and the batch checks. Serving must end
// without a panic, and only valid batches may reach the handler.
func FuzzServeConn(f *testing.F) {
	valid := validStream(f, 2)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{0xFC, 0x7F, 0xFF, 0xFF, 0xFF})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := HandlerFunc(func(_ Peer, b *dbg.Batch) {
			if err := check(b); err != nil {
				t.Errorf("handler got a bad batch: %v", err)
			}
		})
		c := newCodec(pipe{bytes.NewReader(data), io.Discard}, 64<<10, time.Second, time.Second)
		serveCodec(&service{peer: Peer{ID: 1}, h: h, codec: c}, discardLogger)
	})
}

// The seed stream is served in full, so the fuzz target starts from a
// path that reaches the handler.
func TestServeValidStream(t *testing.T) {
	var got int
	h := HandlerFunc(func(_ Peer, b *dbg.Batch) { got += len(b.Msgs) })
	var out bytes.Buffer
	c := newCodec(pipe{bytes.NewReader(validStream(t, 3)), &out}, 64<<10, time.Second, time.Second)
	serveCodec(&service{peer: Peer{ID: 1}, h: h, codec: c}, discardLogger)
	if got != 9 {
		t.Errorf("handler got %d messages, want 9", got)
	}
	if err := c.failure(); err != nil {
		t.Errorf("connection failed: %v", err)
	}
	dec := gob.NewDecoder(&out)
	for i := range 3 {
		var resp rpc.Response
		var ack dbg.Ack
		if err := dec.Decode(&resp); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&ack); err != nil {
			t.Fatal(err)
		}
		if resp.Seq != uint64(i) || resp.Error != "" || ack.Msgs != 3 {
			t.Errorf("response %d: %+v %+v", i, resp, ack)
		}
	}
}
