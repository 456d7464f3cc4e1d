package e2e

import (
	"encoding/json"
	"maps"
	"testing"
	"time"
)

// TestLokiQueryResponseEntries decodes a categorized query_range body with
// two streams whose entries interleave in time, as Loki sends them.
func TestLokiQueryResponseEntries(t *testing.T) {
	body := `{"status":"success","data":{"resultType":"streams","result":[
		{"stream":{"app":"a"},"values":[
			["1000","a1",{}],
			["3000","a3",{"structuredMetadata":{"trace_id":"t3"}}]]},
		{"stream":{"app":"b"},"values":[
			["2000","b2",{"structuredMetadata":{"detected_level":"info"},"parsed":{"msg":"hi"}}]]}]}}`
	var res lokiQueryResponse
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatalf("decoding body: %v", err)
	}
	got, err := res.entries()
	if err != nil {
		t.Fatalf("entries: %v", err)
	}
	want := []LogEntry{
		{Time: time.Unix(0, 1000), Line: "a1", Labels: map[string]string{"app": "a"}},
		{
			Time: time.Unix(0, 2000), Line: "b2", Labels: map[string]string{"app": "b"},
			Metadata: map[string]string{"detected_level": "info"},
			Parsed:   map[string]string{"msg": "hi"},
		},
		{
			Time: time.Unix(0, 3000), Line: "a3", Labels: map[string]string{"app": "a"},
			Metadata: map[string]string{"trace_id": "t3"},
		},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if !g.Time.Equal(w.Time) || g.Line != w.Line || !maps.Equal(g.Labels, w.Labels) ||
			!maps.Equal(g.Metadata, w.Metadata) || !maps.Equal(g.Parsed, w.Parsed) {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
}

// TestLokiQueryResponseBadEntry rejects values that are not
// [timestamp, line, ...] with a numeric timestamp.
func TestLokiQueryResponseBadEntry(t *testing.T) {
	for _, values := range []string{
		`[["1000"]]`,
		`[["soon","line"]]`,
		`[[1000,"line"]]`,
		`[["1000",7]]`,
		`[["1000","line","labels"]]`,
	} {
		body := `{"data":{"resultType":"streams","result":[{"stream":{},"values":` + values + `}]}}`
		var res lokiQueryResponse
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("decoding body %s: %v", body, err)
		}
		if got, err := res.entries(); err == nil {
			t.Errorf("values %s: got %+v, want an error", values, got)
		}
	}
}
