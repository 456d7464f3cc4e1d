package e2e

import (
	"maps"
	"testing"
	"time"
)

// TestDecodeLogRecords decodes a /select/logsql/query body whose entries
// arrive out of time order, as VictoriaLogs sends them.
func TestDecodeLogRecords(t *testing.T) {
	body := `{"_msg":"b2","_stream":"{app=\"b\"}","_stream_id":"01","_time":"2026-01-01T00:00:02Z","app":"b","tx_id":"7"}
{"_msg":"a1","_stream":"{app=\"a\",machine_id=\"m \\\"1\\\", x=y\"}","_time":"2026-01-01T00:00:01.5Z","app":"a","machine_id":"m \"1\", x=y"}

{"_msg":"empty stream","_stream":"{}","_time":"2026-01-01T00:00:03Z"}
`
	got, err := decodeLogRecords([]byte(body))
	if err != nil {
		t.Fatalf("decodeLogRecords: %v", err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []LogRecord{
		{
			Time: base.Add(1500 * time.Millisecond), Msg: "a1",
			Stream: map[string]string{"app": "a", "machine_id": `m "1", x=y`},
			Fields: map[string]string{"app": "a", "machine_id": `m "1", x=y`},
		},
		{
			Time: base.Add(2 * time.Second), Msg: "b2",
			Stream: map[string]string{"app": "b"},
			Fields: map[string]string{"app": "b", "tx_id": "7"},
		},
		{Time: base.Add(3 * time.Second), Msg: "empty stream", Stream: map[string]string{}, Fields: map[string]string{}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if !g.Time.Equal(w.Time) || g.Msg != w.Msg || !maps.Equal(g.Stream, w.Stream) || !maps.Equal(g.Fields, w.Fields) {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestDecodeLogRecordsBad rejects lines that are not JSON objects of
// strings with a parsable _time and _stream.
func TestDecodeLogRecordsBad(t *testing.T) {
	for _, line := range []string{
		`not json`,
		`{"_msg":"no time","_stream":"{}"}`,
		`{"_msg":"x","_time":"yesterday","_stream":"{}"}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"{}","n":7}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"app=\"a\""}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"{app=a}"}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"{app=\"a\" b=\"c\"}"}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"{=\"a\"}"}`,
		`{"_msg":"x","_time":"2026-01-01T00:00:00Z","_stream":"{app=\"a\""}`,
	} {
		if got, err := decodeLogRecords([]byte(line)); err == nil {
			t.Errorf("%s: got %+v, want an error", line, got)
		}
	}
}
