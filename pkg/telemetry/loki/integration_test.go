package loki_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// pollTimeout bounds each wait for entries to become searchable.
const pollTimeout = 30 * time.Second

// failWriter fails the test with each line the client logs: in these tests,
// no push may fail.
type failWriter struct{ t *testing.T }

func (w failWriter) Write(p []byte) (int, error) {
	w.t.Errorf("loki client: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// vlClient returns a client of opts pushing to VictoriaLogs' Loki push API,
// closed when the test ends.
func vlClient(t *testing.T, vl *e2e.VictoriaLogsBackend, opts loki.Options) *loki.Client {
	t.Helper()
	opts.URL = vl.LokiPushURL
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(failWriter{t}, "", 0)
	}
	c, err := loki.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

// TestIntegrationClientVictoriaLogs pushes entries in each encoding to a
// real VictoriaLogs through its Loki push API and reads them back with
// LogsQL, compared exactly: line, nanosecond timestamp, stream labels (the
// client's, added to, overridden and removed by an entry's) and structured
// metadata, which VictoriaLogs stores as fields, in the order pushed.
func TestIntegrationClientVictoriaLogs(t *testing.T) {
	e2e.Require(t, e2e.VictoriaLogs)
	vl := e2e.StartVictoriaLogs(t)
	for _, enc := range []loki.Encoding{loki.Protobuf, loki.JSON} {
		t.Run(enc.String(), func(t *testing.T) {
			run := e2e.Unique(enc.String())
			client := vlClient(t, vl, loki.Options{
				Labels:    map[string]string{"service_name": "loki-it", "run": run, "env": "test"},
				Encoding:  enc,
				BatchWait: 50 * time.Millisecond,
			})
			base := time.Now()
			m1 := map[string]string{"machine_id": "m1", "level": "changes"}
			m2 := map[string]string{"machine_id": "m2", "level": "ops", "env": "", "service_name": "other"}
			entries := []loki.Entry{
				{Time: base, Labels: m1, Line: "[add] Foo", Metadata: []loki.Label{
					{Name: "tx_id", Value: "1"},
					{Name: "trace_id", Value: "0af7651916cd43dd8448eb211c80319c"},
					{Name: "span_id", Value: "b7ad6b7169203331"},
				}},
				{Time: base.Add(time.Millisecond), Labels: m2, Line: `quotes " and \ backslash, tab	and ✓`},
				{Time: base.Add(2 * time.Millisecond), Labels: m1, Line: "[state] +Foo", Metadata: []loki.Label{{Name: "tx_id", Value: "1"}}},
				{Time: base.Add(3 * time.Millisecond), Labels: m1, Line: "outside a transition"},
			}
			for _, e := range entries {
				if !client.Push(e) {
					t.Fatalf("push %q refused", e.Line)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
			defer cancel()
			if err := client.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if s := client.Stats(); s != (loki.Stats{Sent: uint64(len(entries))}) {
				t.Errorf("stats %+v, want %d sent and nothing else", s, len(entries))
			}

			stream1 := map[string]string{"service_name": "loki-it", "run": run, "env": "test", "machine_id": "m1", "level": "changes"}
			stream2 := map[string]string{"service_name": "other", "run": run, "machine_id": "m2", "level": "ops"}
			with := func(stream map[string]string, kv ...string) map[string]string {
				out := maps.Clone(stream)
				for i := 0; i < len(kv); i += 2 {
					out[kv[i]] = kv[i+1]
				}
				return out
			}
			want := []e2e.LogRecord{
				{Time: base, Msg: "[add] Foo", Stream: stream1, Fields: with(stream1,
					"tx_id", "1", "trace_id", "0af7651916cd43dd8448eb211c80319c", "span_id", "b7ad6b7169203331")},
				{Time: base.Add(time.Millisecond), Msg: entries[1].Line, Stream: stream2, Fields: stream2},
				{Time: base.Add(2 * time.Millisecond), Msg: "[state] +Foo", Stream: stream1, Fields: with(stream1, "tx_id", "1")},
				{Time: base.Add(3 * time.Millisecond), Msg: "outside a transition", Stream: stream1, Fields: stream1},
			}
			got := vl.WaitRecords(t, pollTimeout, fmt.Sprintf(`{run=%q}`, run), len(want))
			for i, w := range want {
				g := got[i]
				if g.Msg != w.Msg || !g.Time.Equal(w.Time) || !maps.Equal(g.Stream, w.Stream) || !maps.Equal(g.Fields, w.Fields) {
					t.Errorf("entry %d:\n got %v %q stream %v fields %v\nwant %v %q stream %v fields %v",
						i, g.Time, g.Msg, g.Stream, g.Fields, w.Time, w.Msg, w.Stream, w.Fields)
				}
			}
		})
	}
}

// TestIntegrationClientVictoriaLogsRestart stops VictoriaLogs while the
// client pushes, so that its requests are refused, and starts it again on
// the same port: the client retries, and once VictoriaLogs is back every
// entry is stored exactly once, in order, with none counted as failed.
func TestIntegrationClientVictoriaLogsRestart(t *testing.T) {
	e2e.RequireOwn(t, e2e.VictoriaLogs)
	vl := e2e.StartVictoriaLogs(t)
	service := e2e.Unique("loki-restart")
	client := vlClient(t, vl, loki.Options{
		Labels:     map[string]string{"service_name": service},
		BatchWait:  20 * time.Millisecond,
		MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
		MaxRetries: 1000,
		// refused connections are expected here
		ErrorLog: log.New(testWriter{t}, "", 0),
	})
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	var want []string
	push := func(phase string) {
		for i := range 10 {
			line := fmt.Sprintf("%s %d", phase, i)
			if !client.Push(loki.Entry{Line: line}) {
				t.Fatalf("push %q refused", line)
			}
			want = append(want, line)
		}
	}

	push("before")
	if err := client.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := vl.Stop(); err != nil {
		t.Fatal(err)
	}
	push("during")
	e2e.Eventually(t, pollTimeout, "retries against the stopped VictoriaLogs", func(context.Context) error {
		if s := client.Stats(); s.Retried == 0 {
			return fmt.Errorf("stats %+v", s)
		}
		return nil
	})
	if err := vl.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	push("after")
	if err := client.Flush(ctx); err != nil {
		t.Fatalf("flush after the restart: %v", err)
	}
	s := client.Stats()
	if s.Sent != uint64(len(want)) || s.Failed != 0 || s.Dropped != 0 || s.Retried == 0 {
		t.Errorf("stats %+v, want %d sent, some retried, none failed or dropped", s, len(want))
	}
	got := vl.WaitRecords(t, pollTimeout, fmt.Sprintf(`{service_name=%q}`, service), len(want))
	for i, w := range want {
		if got[i].Msg != w {
			t.Errorf("entry %d = %q, want %q", i, got[i].Msg, w)
		}
	}
}
