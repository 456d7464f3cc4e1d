package loki_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// newClient returns a client of opts, pushing to srv unless opts.URL is
// set, with failures logged to the test; it is closed when the test ends.
func newClient(t *testing.T, srv *fakeLoki, opts loki.Options) *loki.Client {
	t.Helper()
	if opts.URL == "" {
		opts.URL = srv.URL
	}
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(testWriter{t}, "", 0)
	}
	c, err := loki.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// testWriter logs to t, for the client's ErrorLog.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func flush(t *testing.T, c *loki.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// pushLines pushes an entry per line and fails the test if one is
// dropped.
func pushLines(t *testing.T, c *loki.Client, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !c.Push(loki.Entry{Line: l}) {
			t.Fatalf("Push(%q) dropped", l)
		}
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

func wantStats(t *testing.T, c *loki.Client, want loki.Stats) {
	t.Helper()
	if got := c.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// encodingEntries are entries that exercise the wire format: two streams
// by label override, a removed label, metadata, times before 1970 and on
// whole seconds, and lines that need escaping.
func encodingEntries() []loki.Entry {
	t0 := time.Date(2026, 12, 1, 9, 30, 0, 123456789, time.UTC)
	worker := map[string]string{"machine_id": "worker", "level": "changes"}
	return []loki.Entry{
		{Time: t0, Labels: worker, Line: "[state] +Ready", Metadata: []loki.Label{{Name: "tx_id", Value: "42"}}},
		{Time: t0.Add(time.Millisecond), Labels: map[string]string{"machine_id": "other", "service_name": "override"}, Line: `quote " backslash \ tab 	 newline
 end`},
		{Time: t0.Add(2 * time.Millisecond), Labels: worker, Line: "ünïcødé ✓", Metadata: []loki.Label{{Name: "tx_id", Value: "43"}, {Name: "trace_id", Value: "0af7651916cd43dd8448eb211c80319c"}}},
		{Time: time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC), Labels: map[string]string{"service_name": ""}, Line: "no service"},
		{Time: time.Unix(1700000000, 0), Labels: worker, Line: ""},
	}
}

// TestProtobufEncoding decodes what the client sends, field by field, and
// compares it with what was pushed: streams in order of their first
// entry, their labels in Loki's form, and every entry's time, line and
// metadata.
func TestProtobufEncoding(t *testing.T) {
	srv := newFakeLoki(t)
	c := newClient(t, srv, loki.Options{Labels: map[string]string{"service_name": "svc", "env": "test"}})
	for _, e := range encodingEntries() {
		if !c.Push(e) {
			t.Fatal("dropped")
		}
	}
	flush(t, c)

	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if ct, ce := r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"); ct != "application/x-protobuf" || ce != "" {
		t.Errorf("Content-Type %q, Content-Encoding %q", ct, ce)
	}
	in := encodingEntries()
	entry := func(i int) pushEntry { return pushEntry{Time: in[i].Time, Line: in[i].Line, Metadata: in[i].Metadata} }
	want := []pushStream{
		{Labels: `{env="test", level="changes", machine_id="worker", service_name="svc"}`, Entries: []pushEntry{entry(0), entry(2), entry(4)}},
		{Labels: `{env="test", machine_id="other", service_name="override"}`, Entries: []pushEntry{entry(1)}},
		{Labels: `{env="test"}`, Entries: []pushEntry{entry(3)}},
	}
	compareStreams(t, r.Streams, want)
}

// TestJSONEncoding does the same for the JSON form.
func TestJSONEncoding(t *testing.T) {
	srv := newFakeLoki(t)
	c := newClient(t, srv, loki.Options{Labels: map[string]string{"service_name": "svc"}, Encoding: loki.JSON})
	in := append(encodingEntries(), loki.Entry{
		Time: time.Unix(1, 0), Line: "bad utf-8 \xff, control \x01, html <&>",
	})
	for _, e := range in {
		if !c.Push(e) {
			t.Fatal("dropped")
		}
	}
	flush(t, c)

	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	entry := func(i int) pushEntry { return pushEntry{Time: in[i].Time, Line: in[i].Line, Metadata: in[i].Metadata} }
	last := entry(5)
	last.Line = "bad utf-8 \uFFFD, control \x01, html <&>"
	want := []pushStream{
		{Stream: map[string]string{"level": "changes", "machine_id": "worker", "service_name": "svc"}, Entries: []pushEntry{entry(0), entry(2), entry(4)}},
		{Stream: map[string]string{"machine_id": "other", "service_name": "override"}, Entries: []pushEntry{entry(1)}},
		{Stream: map[string]string{}, Entries: []pushEntry{entry(3)}},
		{Stream: map[string]string{"service_name": "svc"}, Entries: []pushEntry{last}},
	}
	compareStreams(t, reqs[0].Streams, want)
}

func compareStreams(t *testing.T, got, want []pushStream) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d streams, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Labels != w.Labels || !reflect.DeepEqual(g.Stream, w.Stream) {
			t.Errorf("stream %d: labels %q %v, want %q %v", i, g.Labels, g.Stream, w.Labels, w.Stream)
		}
		if len(g.Entries) != len(w.Entries) {
			t.Errorf("stream %d: %d entries, want %d", i, len(g.Entries), len(w.Entries))
			continue
		}
		for j := range w.Entries {
			ge, we := g.Entries[j], w.Entries[j]
			if !ge.Time.Equal(we.Time) || ge.Line != we.Line || !slices.Equal(ge.Metadata, we.Metadata) {
				t.Errorf("stream %d entry %d:\n%v %q %v\nwant\n%v %q %v", i, j, ge.Time, ge.Line, ge.Metadata, we.Time, we.Line, we.Metadata)
			}
		}
	}
}

// TestBatchEntries checks that a batch goes out once it has
// BatchEntries, without waiting for BatchWait or a flush.
func TestBatchEntries(t *testing.T) {
	srv := newFakeLoki(t)
	srv.got = make(chan pushRequest, 10)
	c := newClient(t, srv, loki.Options{BatchEntries: 10, BatchWait: time.Hour})
	lines := numbered("line", 25)
	pushLines(t, c, lines...)
	for i := range 2 {
		r := <-srv.got
		if got, want := r.lines(), lines[i*10:(i+1)*10]; !slices.Equal(got, want) {
			t.Errorf("batch %d: %q, want %q", i, got, want)
		}
	}
	flush(t, c)
	if got := (<-srv.got).lines(); !slices.Equal(got, lines[20:]) {
		t.Errorf("flushed %q, want %q", got, lines[20:])
	}
	wantStats(t, c, loki.Stats{Sent: 25})
}

// TestBatchBytes checks that a batch goes out once its lines reach
// BatchBytes.
func TestBatchBytes(t *testing.T) {
	srv := newFakeLoki(t)
	srv.got = make(chan pushRequest, 10)
	c := newClient(t, srv, loki.Options{BatchBytes: 200, BatchWait: time.Hour})
	line := strings.Repeat("x", 100)
	pushLines(t, c, line, line, line, line, line)
	for i := range 2 {
		if n := len((<-srv.got).lines()); n != 2 {
			t.Errorf("batch %d: %d entries, want 2 (100 bytes each, 200 per batch)", i, n)
		}
	}
	flush(t, c)
	if n := len((<-srv.got).lines()); n != 1 {
		t.Errorf("flushed %d entries, want 1", n)
	}
}

// TestBatchWait checks that entries go out BatchWait after the first of
// them, in one request, without a flush.
func TestBatchWait(t *testing.T) {
	srv := newFakeLoki(t)
	srv.got = make(chan pushRequest, 10)
	c := newClient(t, srv, loki.Options{BatchWait: 20 * time.Millisecond})
	start := time.Now()
	pushLines(t, c, "a", "b", "c")
	r := <-srv.got
	if got := r.lines(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("sent %q", got)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("sent after %v, before BatchWait", d)
	}
	// a second round starts a new wait
	pushLines(t, c, "d")
	if got := (<-srv.got).lines(); !slices.Equal(got, []string{"d"}) {
		t.Errorf("sent %q", got)
	}
}

// TestQueueFull holds the first request: Push keeps returning at once,
// the queue takes QueueSize entries and the rest are dropped and counted;
// once the server answers, the queued entries arrive.
func TestQueueFull(t *testing.T) {
	srv := newFakeLoki(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			close(arrived)
			<-release
		}
		return false
	}
	const queue = 4
	dropsBefore := drops.Total(drops.Loki)
	c := newClient(t, srv, loki.Options{BatchEntries: 1, QueueSize: queue})
	pushLines(t, c, "first")
	<-arrived // the client's goroutine now waits for the answer
	accepted := 0
	for _, l := range numbered("line", 100) {
		if c.Push(loki.Entry{Line: l}) {
			accepted++
		}
	}
	if accepted != queue {
		t.Errorf("%d entries accepted, want %d", accepted, queue)
	}
	wantStats(t, c, loki.Stats{Dropped: 100 - queue})
	if got := drops.Total(drops.Loki) - dropsBefore; got != 100-queue {
		t.Errorf("package drops counts %d Loki drops, want %d", got, 100-queue)
	}
	close(release)
	flush(t, c)
	want := append([]string{"first"}, numbered("line", queue)...)
	if got := srv.lines(); !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	wantStats(t, c, loki.Stats{Sent: 1 + queue, Dropped: 100 - queue})
}

// TestRetry5xx answers 500 and 503 before accepting: the batch is sent
// three times, the same each time, and Flush succeeds.
func TestRetry5xx(t *testing.T) {
	srv := newFakeLoki(t)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch n {
		case 0:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			return false
		}
		return true
	}
	c := newClient(t, srv, loki.Options{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	pushLines(t, c, "a", "b")
	flush(t, c)
	if got := srv.lines(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sent %q", got)
	}
	bodies := srv.allBodies()
	if len(bodies) != 3 {
		t.Fatalf("%d requests, want 3", len(bodies))
	}
	for i, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Errorf("retry %d sent another body", i+1)
		}
	}
	wantStats(t, c, loki.Stats{Sent: 2, Retried: 4})
}

// TestRetryAfter answers 429 with Retry-After: 1: the retry waits a
// second although the backoff would be a millisecond.
func TestRetryAfter(t *testing.T) {
	srv := newFakeLoki(t)
	arrivals := make(chan time.Time, 2)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		arrivals <- time.Now()
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}
		return false
	}
	c := newClient(t, srv, loki.Options{MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Second})
	pushLines(t, c, "a")
	flush(t, c)
	if gap := (<-arrivals).Sub(<-arrivals); gap > -time.Second {
		t.Errorf("retried after %v, before Retry-After", -gap)
	}
	wantStats(t, c, loki.Stats{Sent: 1, Retried: 1})
}

// TestNoRetry4xx answers 400: the batch is given up after one request,
// counted failed, and Flush says how many entries were lost and why.
func TestNoRetry4xx(t *testing.T) {
	srv := newFakeLoki(t)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "entry too far behind", http.StatusBadRequest)
		return true
	}
	c := newClient(t, srv, loki.Options{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	pushLines(t, c, "a", "b", "c")
	err := c.Flush(context.Background())
	var lost *loki.LostError
	var status *loki.StatusError
	if !errors.As(err, &lost) || lost.Entries != 3 || !errors.As(err, &status) {
		t.Fatalf("Flush = %v, want 3 entries lost to a status error", err)
	}
	if status.StatusCode != http.StatusBadRequest || status.Body != "entry too far behind" || status.Temporary() {
		t.Errorf("status error %+v", status)
	}
	if srv.calls() != 1 {
		t.Errorf("%d requests, want 1", srv.calls())
	}
	wantStats(t, c, loki.Stats{Failed: 3})

	// the next batch is independent of the failed one
	srv.mu.Lock()
	srv.respond = nil
	srv.mu.Unlock()
	pushLines(t, c, "d")
	flush(t, c)
	wantStats(t, c, loki.Stats{Sent: 1, Failed: 3})
}

// TestRetriesRunOut answers 503 always: the batch is sent 1+MaxRetries
// times and then given up.
func TestRetriesRunOut(t *testing.T) {
	srv := newFakeLoki(t)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	c := newClient(t, srv, loki.Options{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	pushLines(t, c, "a", "b")
	var lost *loki.LostError
	if err := c.Flush(context.Background()); !errors.As(err, &lost) || lost.Entries != 2 {
		t.Fatalf("Flush = %v, want 2 entries lost", err)
	}
	if srv.calls() != 3 {
		t.Errorf("%d requests, want 3", srv.calls())
	}
	wantStats(t, c, loki.Stats{Failed: 2, Retried: 4})
}

// TestTimeout answers nothing: each request ends after Timeout, and is
// retried like a 5xx.
func TestTimeout(t *testing.T) {
	srv := newFakeLoki(t)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return true
	}
	c := newClient(t, srv, loki.Options{Timeout: 20 * time.Millisecond, MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	pushLines(t, c, "a")
	err := c.Flush(context.Background())
	var lost *loki.LostError
	if !errors.As(err, &lost) || lost.Entries != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush = %v, want 1 entry lost to the timeout", err)
	}
	if srv.calls() != 2 {
		t.Errorf("%d requests, want 2", srv.calls())
	}
	wantStats(t, c, loki.Stats{Failed: 1, Retried: 1})
}

// TestHeaders checks the tenant, authentication and custom headers.
func TestHeaders(t *testing.T) {
	for _, c := range []struct {
		name string
		opts loki.Options
		want map[string]string
	}{
		{"none", loki.Options{}, map[string]string{"Authorization": "", "X-Scope-Orgid": "", "User-Agent": "amkit-loki"}},
		{"tenant", loki.Options{TenantID: "team-a"}, map[string]string{"X-Scope-Orgid": "team-a"}},
		{"basic", loki.Options{Username: "user", Password: "pa:ss"}, map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("user:pa:ss")),
		}},
		{"bearer", loki.Options{BearerToken: "tok"}, map[string]string{"Authorization": "Bearer tok"}},
		{"custom", loki.Options{Headers: http.Header{"X-Custom": {"1", "2"}, "user-agent": {"mine"}}}, map[string]string{
			"X-Custom": "1,2", "User-Agent": "mine",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFakeLoki(t)
			client := newClient(t, srv, c.opts)
			pushLines(t, client, "a")
			flush(t, client)
			h := srv.requests()[0].Header
			for name, want := range c.want {
				if got := strings.Join(h.Values(name), ","); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestFlushContext checks that Flush gives up waiting with its context
// while the server hangs, and that delivery then goes on.
func TestFlushContext(t *testing.T) {
	srv := newFakeLoki(t)
	release := make(chan struct{})
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			<-release
		}
		return false
	}
	c := newClient(t, srv, loki.Options{})
	pushLines(t, c, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush = %v, want DeadlineExceeded", err)
	}
	close(release)
	pushLines(t, c, "b")
	flush(t, c)
	if got := srv.lines(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sent %q", got)
	}
}

// TestClose checks that Close delivers what is queued, and that a closed
// client drops and counts what it is given.
func TestClose(t *testing.T) {
	srv := newFakeLoki(t)
	c := newClient(t, srv, loki.Options{BatchWait: time.Hour, BatchEntries: 7})
	lines := numbered("line", 30)
	pushLines(t, c, lines...)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.lines(); !slices.Equal(got, lines) {
		t.Errorf("sent %q, want %q", got, lines)
	}
	if c.Push(loki.Entry{Line: "late"}) {
		t.Error("a closed client took an entry")
	}
	wantStats(t, c, loki.Stats{Sent: 30, Dropped: 1})
	if err := c.Close(context.Background()); !errors.Is(err, loki.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := c.Flush(context.Background()); !errors.Is(err, loki.ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
}

// TestCloseExpired closes with an expired context while the server
// hangs: Close returns at once, counting every queued entry as lost.
func TestCloseExpired(t *testing.T) {
	srv := newFakeLoki(t)
	arrived := make(chan struct{}, 1)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		arrived <- struct{}{}
		<-r.Context().Done()
		return true
	}
	c := newClient(t, srv, loki.Options{BatchEntries: 5})
	pushLines(t, c, numbered("line", 12)...)
	<-arrived // the first batch is being sent
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Close(ctx)
	var lost *loki.LostError
	if !errors.As(err, &lost) || lost.Entries != 12 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want 12 entries lost to the canceled context", err)
	}
	wantStats(t, c, loki.Stats{Failed: 12})
}

// TestErrorLog checks that failures are logged once per interval, with
// counts, and that a huge error body is not.
func TestErrorLog(t *testing.T) {
	srv := newFakeLoki(t)
	huge := strings.Repeat("x", 64<<10)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, huge, http.StatusBadRequest)
		return true
	}
	var buf e2e.SyncBuffer
	c := newClient(t, srv, loki.Options{ErrorLog: log.New(&buf, "", 0), ErrorLogInterval: time.Hour})
	for i := range 5 {
		pushLines(t, c, fmt.Sprint(i))
		if err := c.Flush(context.Background()); err == nil {
			t.Fatal("Flush did not fail")
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines logged, want 1:\n%s", len(lines), buf.String())
	}
	if len(lines[0]) > 2<<10 {
		t.Errorf("a line of %d bytes: the error body was not cut", len(lines[0]))
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "4 failed requests, 4 entries given up") {
		t.Errorf("after Close, want a summary of the 4 unreported failures:\n%s", buf.String())
	}
}

// TestInvalidLabel checks that an entry with a label Loki rejects fails
// alone instead of failing its batch.
func TestInvalidLabel(t *testing.T) {
	srv := newFakeLoki(t)
	c := newClient(t, srv, loki.Options{ErrorLog: log.New(io.Discard, "", 0)})
	c.Push(loki.Entry{Line: "a"})
	c.Push(loki.Entry{Line: "bad", Labels: map[string]string{"machine-id": "x"}})
	c.Push(loki.Entry{Line: "b"})
	var lost *loki.LostError
	if err := c.Flush(context.Background()); !errors.As(err, &lost) || lost.Entries != 1 {
		t.Errorf("Flush = %v, want 1 entry lost", err)
	}
	if got := srv.lines(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sent %q", got)
	}
}

// TestOptions checks what New refuses, and where it pushes.
func TestOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts loki.Options
	}{
		{"no URL", loki.Options{}},
		{"no scheme", loki.Options{URL: "127.0.0.1:3100"}},
		{"ftp", loki.Options{URL: "ftp://127.0.0.1"}},
		{"encoding", loki.Options{URL: "http://h", Encoding: 7}},
		{"negative", loki.Options{URL: "http://h", QueueSize: -1}},
		{"backoff", loki.Options{URL: "http://h", MinBackoff: time.Minute, MaxBackoff: time.Second}},
		{"label", loki.Options{URL: "http://h", Labels: map[string]string{"service.name": "x"}}},
		{"two auths", loki.Options{URL: "http://h", Username: "u", BearerToken: "t"}},
		{"header", loki.Options{URL: "http://h", Headers: http.Header{"X-Scope-OrgID": {"t"}}}},
	} {
		if _, err := loki.New(c.opts); err == nil {
			t.Errorf("%s: New did not fail", c.name)
		}
	}

	paths := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for base, want := range map[string]string{
		"":                           loki.PushPath,
		"/":                          loki.PushPath,
		"/insert/loki/api/v1/push":   "/insert/loki/api/v1/push",
		"/custom/path?tenant=ignore": "/custom/path",
	} {
		c := newClient(t, nil, loki.Options{URL: srv.URL + base})
		pushLines(t, c, "a")
		flush(t, c)
		if got := <-paths; got != want {
			t.Errorf("URL %q: pushed to %s, want %s", base, got, want)
		}
	}
}

// TestNoRedirect checks that a redirect is a failure of its own, not a
// GET to the new place without the batch and with the credentials.
func TestNoRedirect(t *testing.T) {
	other := newFakeLoki(t)
	srv := newFakeLoki(t)
	srv.respond = func(n int, w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, other.URL+loki.PushPath, http.StatusFound)
		return true
	}
	c := newClient(t, srv, loki.Options{BearerToken: "secret"})
	pushLines(t, c, "a")
	var status *loki.StatusError
	if err := c.Flush(context.Background()); !errors.As(err, &status) || status.StatusCode != http.StatusFound {
		t.Errorf("Flush = %v, want a 302 status error", err)
	}
	if n := other.calls(); n != 0 {
		t.Errorf("the redirect was followed: %d requests to its target", n)
	}
	wantStats(t, c, loki.Stats{Failed: 1})
}

// TestPushDuringClose pushes from several goroutines while the client
// closes: no push blocks or panics, and every entry is counted once, as
// sent or dropped.
func TestPushDuringClose(t *testing.T) {
	srv := newFakeLoki(t)
	c := newClient(t, srv, loki.Options{BatchEntries: 50, QueueSize: 64})
	const pushers, each = 4, 2000
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				c.Push(loki.Entry{Line: fmt.Sprintf("p%d %d", p, i)})
			}
		}()
	}
	close(start)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	st := c.Stats()
	if st.Sent+st.Dropped != pushers*each || st.Failed != 0 {
		t.Errorf("%+v: want %d entries sent or dropped", st, pushers*each)
	}
	if n := uint64(len(srv.lines())); n != st.Sent {
		t.Errorf("the server got %d lines, Stats say %d sent", n, st.Sent)
	}
}
