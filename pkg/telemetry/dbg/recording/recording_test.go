package recording_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// records makes n records of every message type, with every field of a
// transition set.
func records(n int) []*recording.Record {
	base := time.Date(2026, 1, 2, 3, 4, 5, 6, time.Local)
	out := make([]*recording.Record, n)
	for i := range out {
		var msg dbg.DbgMsg
		switch {
		case i%10 == 3:
			msg = &dbg.DbgMsgHandlerTimeout{MachineID: "m0", TxID: uint64(i), Handler: "AState",
				Elapsed: 5 * time.Second, Time: base.Add(time.Duration(i) * time.Second)}
		case i%5 == 4:
			msg = &dbg.DbgMsgDispose{MachineID: fmt.Sprintf("m%d", i-4), Time: base.Add(time.Duration(i) * time.Second)}
		case i%5 == 0:
			msg = &dbg.DbgMsgStruct{
				MachineID: fmt.Sprintf("m%d", i), ParentID: "root", Tags: []string{"t"},
				StateNames: am.S{am.Exception, "A", "B"},
				Schema: am.Schema{
					am.Exception: {Multi: true},
					"A":          {Auto: true, Add: am.S{"B"}, Tags: []string{"g"}},
					"B":          {Require: am.S{"A"}, Remove: am.S{am.Exception}, After: am.S{"A"}},
				},
				Groups: map[string]am.S{"g": {"A"}},
				Clocks: am.Time{0, 1, uint64(i)},
			}
		default:
			msg = &dbg.DbgMsgTx{
				MachineID: "m0", ID: uint64(i), Clocks: am.Time{0, 1, uint64(i)}, QueueTick: 3, QueueLen: 2,
				Type: am.MutationSet, Called: []int{1, 2}, Args: map[string]string{"n": "1"},
				Auto: true, Source: am.Source{MachineID: "p", TxID: 9},
				Steps:      []am.Step{{Type: am.StepImplied, State: 2, Related: 1}, {Type: am.StepHandler, State: 1, Related: -1, Handler: "AState"}},
				LogsBefore: []am.LogEntry{{Time: base, Level: am.LogLevelChanges, Text: "hello", MachineID: "m0"}},
				Logs: []am.LogEntry{{Time: base.Add(time.Second), Level: am.LogLevelOps, Text: "[set] A B",
					MachineID: "m0", TxID: uint64(i), States: am.S{"A", "B"}}},
				Accepted: true, Err: "", Start: base, End: base.Add(time.Microsecond),
			}
		}
		out[i] = &recording.Record{
			Received: base.Add(time.Duration(i) * time.Millisecond),
			ClientID: "client", Conn: uint64(1 + i/7), Dropped: uint64(i / 3), Msg: msg,
		}
	}
	return out
}

// readAll reads records until an error, which it returns.
func readAll(t *testing.T, data []byte) ([]*recording.Record, error) {
	t.Helper()
	r, err := recording.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []*recording.Record
	for {
		rec, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.amdbg")
	w, err := recording.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := records(50)
	for _, rec := range want {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, w := range want {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
}

// A file cut at any byte yields a prefix of what was written, at least
// the records flushed before the cut, and then ErrTruncated.
func TestTruncatedFile(t *testing.T) {
	var buf bytes.Buffer
	w, err := recording.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := records(30)
	type flushPoint struct{ size, records int }
	var flushes []flushPoint
	for i, rec := range want {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			flushes = append(flushes, flushPoint{buf.Len(), i + 1})
		}
	}
	full := bytes.Clone(buf.Bytes())

	for cut := len(recording.Magic) + 2; cut < len(full); cut++ {
		got, err := readAll(t, full[:cut])
		if !errors.Is(err, recording.ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: %v, want ErrTruncated", cut, err)
		}
		if len(got) > 0 && !reflect.DeepEqual(got, want[:len(got)]) {
			t.Fatalf("cut at %d: the records read differ from those written", cut)
		}
		for _, f := range flushes {
			if cut >= f.size && len(got) < f.records {
				t.Fatalf("cut at %d: %d records, but %d were flushed by byte %d", cut, len(got), f.records, f.size)
			}
		}
	}
}

func TestNotARecording(t *testing.T) {
	future := []byte(recording.Magic + "\x00\x04")
	for name, data := range map[string][]byte{
		"empty":          nil,
		"other file":     []byte("PK\x03\x04 some zip file"),
		"future version": future,
		"header only":    []byte(recording.Magic + "\x00\x01"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := recording.NewReader(bytes.NewReader(data)); !errors.Is(err, recording.ErrFormat) {
				t.Errorf("got %v, want ErrFormat", err)
			}
		})
	}
}

// Recordings of versions 1 and 2, which lack the messages later versions
// added (dispose messages in 2, handler timeouts in 3) but are otherwise
// the same, read as written.
func TestOlderVersions(t *testing.T) {
	for version, lacks := range map[uint16]func(dbg.DbgMsg) bool{
		1: func(m dbg.DbgMsg) bool {
			_, d := m.(*dbg.DbgMsgDispose)
			_, h := m.(*dbg.DbgMsgHandlerTimeout)
			return d || h
		},
		2: func(m dbg.DbgMsg) bool { _, h := m.(*dbg.DbgMsgHandlerTimeout); return h },
	} {
		var buf bytes.Buffer
		w, err := recording.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		var want []*recording.Record
		for _, rec := range records(20) {
			if !lacks(rec.Msg) {
				want = append(want, rec)
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		binary.BigEndian.PutUint16(data[len(recording.Magic):], version)

		r, err := recording.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if r.Version() != int(version) {
			t.Errorf("Version() = %d, want %d", r.Version(), version)
		}
		got, err := readAll(t, data)
		if err != io.EOF || !reflect.DeepEqual(got, want) {
			t.Errorf("version %d: read %d of %d records, then %v", version, len(got), len(want), err)
		}
	}
}
