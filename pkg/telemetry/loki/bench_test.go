package loki

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchEntries returns n entries like those of a machine logger: a few
// streams taking turns every four entries, lines of some 30 bytes, a
// transition ID as metadata.
func benchEntries(n int) []Entry {
	streams := []map[string]string{
		{"machine_id": "worker-1", "level": "changes"},
		{"machine_id": "worker-2", "level": "changes"},
		{"machine_id": "worker-1", "level": "ops"},
	}
	t0 := time.Now()
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{
			Time:     t0.Add(time.Duration(i) * time.Microsecond),
			Labels:   streams[i/4%len(streams)],
			Line:     fmt.Sprintf("[state] +Downloading -Idle %d", i),
			Metadata: []Label{{Name: "tx_id", Value: fmt.Sprint(1000 + i/3)}},
		}
	}
	return out
}

// BenchmarkBatch is what one batch costs the client's goroutine: grouping
// its entries by stream and encoding them, protobuf with snappy or JSON,
// with the buffers of earlier batches reused as in a running client.
func BenchmarkBatch(b *testing.B) {
	static := []Label{{Name: "service_name", Value: "bench"}}
	for _, enc := range []Encoding{Protobuf, JSON} {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%v/%d", enc, n), func(b *testing.B) {
				entries := benchEntries(n)
				bt, e := newBatch(), &encoder{}
				var size int
				b.ReportAllocs()
				for b.Loop() {
					for i := range entries {
						if err := bt.add(static, &entries[i]); err != nil {
							b.Fatal(err)
						}
					}
					body, _ := e.encode(enc, bt)
					size = len(body)
					bt.reset()
				}
				b.ReportMetric(float64(size), "body-bytes")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
			})
		}
	}
}

// BenchmarkClientPush pushes entries through a client to a local server
// that discards them, and flushes every 1000: ns/op is the client's whole
// cost per entry, delivery included.
func BenchmarkClientPush(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL, Labels: map[string]string{"service_name": "bench"}, ErrorLog: log.New(io.Discard, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	entries := benchEntries(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Push(entries[i])
		if i++; i == len(entries) {
			i = 0
			if err := c.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if st := c.Stats(); st.Dropped > 0 {
		b.ReportMetric(float64(st.Dropped), "dropped")
	}
}
