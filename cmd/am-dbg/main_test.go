package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// batchLog is an extra consumer keeping what the server accepted.
type batchLog struct {
	mu      sync.Mutex
	records []recording.Record
	closed  bool
}

func (l *batchLog) HandleBatch(p server.Peer, b *dbg.Batch) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range b.Msgs {
		l.records = append(l.records, recording.Record{ClientID: b.ClientID, Conn: p.ID, Dropped: b.Dropped, Msg: m})
	}
}

func (l *batchLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

// clocks is an inheritable tracer keeping each machine's clocks right
// after each transition.
type clocks struct {
	am.NoOpTracer
	mu    sync.Mutex
	after map[string][]am.Time
}

func (c *clocks) Inheritable() bool { return true }

func (c *clocks) TransitionEnd(tx *am.Transition) {
	t := tx.Machine.Time(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.after[tx.MachineID] = append(c.after[tx.MachineID], t)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// session runs a parent and a child machine reporting to addr, and waits
// until the server has everything.
func session(t *testing.T, addr string, tracers ...am.Tracer) {
	t.Helper()
	tracer := dbg.NewTracer(addr, &dbg.Opts{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parent, err := am.New(ctx, am.Schema{
		"Start": {},
		"Ready": {Require: am.S{"Start"}},
	}, &am.Opts{ID: "parent", Tracers: append([]am.Tracer{tracer}, tracers...), LoggableArgs: []string{"n"}})
	if err != nil {
		t.Fatal(err)
	}
	child, err := am.New(ctx, am.Schema{
		"Work": {},
		"Idle": {Auto: true, Remove: am.S{"Work"}},
	}, &am.Opts{ID: "child", Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		parent.Add1("Start", am.A{"n": i})
		parent.Add1("Ready", nil)
		parent.Remove1("Start", nil)
		parent.Add1("Ready", nil) // canceled
		child.Add1("Work", nil)
		child.Remove1("Work", nil) // then Idle, auto
	}
	// the child ends before its parent, as a finished submachine does
	child.Dispose()
	<-child.WhenDisposed()
	flushCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := tracer.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}
}

// Recording a session: the file read back holds exactly what the server
// received, the transitions as the machines ran them; --import summarizes
// it.
func TestRecordAndImport(t *testing.T) {
	addr := freeAddr(t)
	path := filepath.Join(t.TempDir(), "session.amdbg")
	got := &batchLog{}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- run(ctx, config{listen: addr, record: path, headless: true, print: true}, &stdout, &stderr, got)
	}()

	truth := &clocks{after: map[string][]am.Time{}}
	session(t, addr, truth)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !got.closed {
		t.Error("the extra consumer was not closed")
	}

	r, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var read []recording.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", len(read), err)
		}
		if rec.Received.IsZero() {
			t.Error("record without a receive time")
		}
		rec.Received = time.Time{}
		read = append(read, *rec)
	}
	if !reflect.DeepEqual(read, got.records) {
		t.Fatalf("recording differs from what the server received: %d records, %d received", len(read), len(got.records))
	}

	for id, want := range truth.after {
		var ids []uint64
		for _, rec := range read {
			if tx, ok := rec.Msg.(*dbg.DbgMsgTx); ok && tx.MachineID == id {
				ids = append(ids, tx.ID)
				if !slices.Equal(tx.Clocks, want[tx.ID-1]) {
					t.Errorf("%s tx %d: clocks %v, want %v", id, tx.ID, tx.Clocks, want[tx.ID-1])
				}
			}
		}
		if len(ids) != len(want) || ids[0] != 1 || !slices.IsSorted(ids) {
			t.Errorf("%s: recorded %d transitions, want %d in order", id, len(ids), len(want))
		}
	}
	// the parent may be disposed before the server stops, or not
	var childMsgs []dbg.DbgMsg
	for _, rec := range read {
		if rec.Msg.MachID() == "child" {
			childMsgs = append(childMsgs, rec.Msg)
		}
	}
	if _, ok := childMsgs[len(childMsgs)-1].(*dbg.DbgMsgDispose); !ok {
		t.Errorf("the child's last record holds %T, want its disposal", childMsgs[len(childMsgs)-1])
	}
	if !strings.Contains(stderr.String(), "recorded "+strconv.Itoa(len(read))+" messages to "+path) {
		t.Errorf("stderr lacks the recording line:\n%s", stderr.String())
	}

	var out bytes.Buffer
	if err := run(context.Background(), config{importFile: path, headless: true}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	summary := oneSpace(out.String())
	total := len(truth.after["parent"]) + len(truth.after["child"])
	for _, want := range []string{
		"(format " + strconv.Itoa(recording.Version) + ", complete)",
		"records: " + strconv.Itoa(len(read)),
		"clients: 1 (1 connection), 0 messages dropped",
		"machines: 2",
		"parent " + strconv.Itoa(len(truth.after["parent"])) + " transitions 3 states",
		"child " + strconv.Itoa(len(truth.after["child"])) + " transitions 3 states, parent parent, disposed\n",
		"transitions: " + strconv.Itoa(total) + " (" + strconv.Itoa(total-20) + " accepted, 20 canceled)",
		"time span: ",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// oneSpace collapses the alignment of tabwriter's columns.
func oneSpace(s string) string {
	return regexp.MustCompile(` +`).ReplaceAllString(s, " ")
}

var timePrefix = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{6} `)

// --print writes a line per machine, per transition and per disposal.
func TestPrint(t *testing.T) {
	addr := freeAddr(t)
	var stdout bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- run(ctx, config{listen: addr, headless: true, print: true}, &stdout, io.Discard) }()
	session(t, addr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := timePrefix.ReplaceAllString(stdout.String(), "")
	for _, want := range []string{
		"machine parent: 3 states\n",
		"machine child (parent parent): 3 states\n",
		"parent #1 [add] Start n=0 -> +Start\n",
		"parent #2 [add] Ready -> +Ready\n",
		"parent #3 [remove] Start -> -Ready -Start\n",
		"parent #4 [add] Ready canceled: requirement not met: Ready requires Start\n",
		"child #1 [add] Work -> +Work\n",
		"child #3 [auto][add] Idle -> +Idle\n",
		"child #4 [add] Work -> -Idle +Work\n",
		"child disposed\n",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("output lacks %q:\n%s", want, lines[:min(len(lines), 800)])
		}
	}
}

// With a token, from --token or AM_DBG_TOKEN, am-dbg takes what clients
// with that token send, and closes a connection with another before it
// delivers anything.
func TestToken(t *testing.T) {
	t.Setenv(dbg.EnvToken, "s3cret")
	cfg, err := parseFlags([]string{"--listen", freeAddr(t)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.token != "s3cret" {
		t.Fatalf("token %q, want %s's", cfg.token, dbg.EnvToken)
	}
	var stdout bytes.Buffer
	got := &batchLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	cfg.headless, cfg.print = true, true
	go func() { done <- run(ctx, cfg, &stdout, io.Discard, got) }()

	// the session's tracer sends AM_DBG_TOKEN
	session(t, cfg.listen)
	intruder := dialRPC(t, cfg.listen)
	err = intruder.Call(dbg.AuthMethod, &dbg.Auth{Token: "guess"}, &dbg.Ack{})
	if err == nil || !strings.Contains(err.Error(), server.ErrAuth.Error()) {
		t.Errorf("a wrong token: %v, want %v", err, server.ErrAuth)
	}
	batch := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: "intruder"}}}
	if err := intruder.Call(dbg.ServiceMethod, batch, &dbg.Ack{}); err == nil {
		t.Error("the connection with a wrong token was still served")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "parent #1 [add] Start n=0 -> +Start") {
		t.Errorf("output lacks the session's first transition:\n%s", stdout.String()[:min(stdout.Len(), 800)])
	}
	if strings.Contains(stdout.String(), "intruder") {
		t.Errorf("output shows the intruder:\n%s", stdout.String())
	}
}

// --max-clients and --shed-quiet reach the server. With one slot, a second
// client is refused while the first has sent machine messages; with
// --shed-quiet 1ns, it takes the slot of a first that sent only a
// heartbeat, and that one is no longer served.
func TestServerLimitFlags(t *testing.T) {
	for _, tc := range []struct {
		shedQuiet string
		// firstBatch is what the first client sends.
		firstBatch *dbg.Batch
		shed       bool
	}{
		{"30s", &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: "first"}}}, false},
		{"1ns", &dbg.Batch{Version: dbg.ProtocolVersion}, true},
	} {
		t.Run("shed-quiet="+tc.shedQuiet, func(t *testing.T) {
			cfg, err := parseFlags([]string{"--headless", "--listen", freeAddr(t), "--max-clients", "1", "--shed-quiet", tc.shedQuiet}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			stderr := &lineWatch{want: "am-dbg: listening", seen: make(chan struct{})}
			go func() { done <- run(ctx, cfg, io.Discard, stderr) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			select {
			case <-stderr.seen:
			case err := <-done:
				t.Fatalf("am-dbg ended before listening: %v", err)
			}
			first := dialRPC(t, cfg.listen)
			if err := first.Call(dbg.ServiceMethod, tc.firstBatch, &dbg.Ack{}); err != nil {
				t.Fatal(err)
			}
			second := dialRPC(t, cfg.listen)
			batch := &dbg.Batch{Version: dbg.ProtocolVersion, Msgs: []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: "second"}}}
			err = second.Call(dbg.ServiceMethod, batch, &dbg.Ack{})
			if tc.shed {
				if err != nil {
					t.Fatalf("the second client, with the first only heartbeating: %v", err)
				}
				if err := first.Call(dbg.ServiceMethod, &dbg.Batch{Version: dbg.ProtocolVersion}, &dbg.Ack{}); err == nil {
					t.Error("the quiet first client is still served after the second took its slot")
				}
				if log := stderr.String(); !strings.Contains(log, "shed quiet connection") {
					t.Errorf("am-dbg's log says nothing of shedding the first client:\n%s", log)
				}
				return
			}
			// refused as it connects, or with ErrFull after its batch
			if err == nil {
				t.Fatal("a second client was served by am-dbg --max-clients 1")
			}
			if log := stderr.String(); !strings.Contains(log, "dbg server: refused connection") {
				t.Errorf("am-dbg's log says nothing of refusing the second client (%v):\n%s", err, log)
			}
		})
	}
}

// lineWatch is an [e2e.SyncBuffer] that closes seen once a write contains
// want.
type lineWatch struct {
	e2e.SyncBuffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *lineWatch) Write(p []byte) (int, error) {
	n, err := w.SyncBuffer.Write(p)
	if bytes.Contains(p, []byte(w.want)) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// dialRPC connects an RPC client to the debugger at addr, closed at the
// test's end.
func dialRPC(t *testing.T, addr string) *rpc.Client {
	t.Helper()
	c, err := rpc.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recordSession runs a headless debugger recording to a file while a
// session of machines reports to it, and returns the recording's path.
func recordSession(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	path := filepath.Join(t.TempDir(), "session.amdbg")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- run(ctx, config{listen: addr, record: path, headless: true}, io.Discard, io.Discard) }()
	session(t, addr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return path
}

// A recording cut short is imported up to its last complete record.
func TestImportTruncated(t *testing.T) {
	path := recordSession(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), config{importFile: path, headless: true, print: true}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "truncated, read up to the last complete record") ||
		!strings.Contains(out.String(), "machine parent: 3 states") {
		t.Errorf("summary of a truncated recording:\n%s", out.String())
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    config
		wantErr bool
	}{
		{nil, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--record", "f", "--history", "10", "--max-mem", "64MiB"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, record: "f", history: 10, maxMem: 64 << 20, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--import", "f"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, importFile: "f", history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--headless"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, headless: true, print: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--headless", "--fwd", ":9", "--fwd", "h:10"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, headless: true, print: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter, fwd: []string{"127.0.0.1:9", "h:10"}}, false},
		{[]string{"--fwd", ":7464"}, config{}, true},
		{[]string{"--fwd", "nohost"}, config{}, true},
		{[]string{"--import", "f", "--fwd", ":9"}, config{}, true},
		{[]string{"--headless", "--record", "f"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, record: "f", headless: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--record", "f", "--print", "--listen", ":1"}, config{listen: ":1", dir: defaultDiagramsDir, record: "f", headless: true, print: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--headless", "--import", "f"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, importFile: "f", headless: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--version"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, history: store.DefaultHistoryLimit, version: true}, false},
		{[]string{"--version", "--import", "f", "--record", "g"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, history: store.DefaultHistoryLimit, version: true}, false},
		{[]string{"--headless", "--import", "f", "--diagrams", "--dir", "d"}, config{listen: dbg.DefaultAddr, dir: "d", importFile: "f", headless: true, diagrams: true, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--headless", "--web", "1"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, headless: true, web: "127.0.0.1:7465", history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--web", ":9000", "--web-token", "t"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, web: "127.0.0.1:9000", webToken: "t", history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--web-token", "t"}, config{}, true},
		{[]string{"--token", "t"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, token: "t", history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: server.DefaultMaxClients, shedQuiet: server.DefaultShedQuietAfter}, false},
		{[]string{"--max-clients", "200", "--shed-quiet", "5m"}, config{listen: dbg.DefaultAddr, dir: defaultDiagramsDir, history: store.DefaultHistoryLimit, maxMem: store.DefaultMaxBytes, maxClients: 200, shedQuiet: 5 * time.Minute}, false},
		{[]string{"--max-clients", "0"}, config{}, true},
		{[]string{"--shed-quiet", "0s"}, config{}, true},
		{[]string{"--web", "7465"}, config{}, true},
		{[]string{"--diagrams", "--dir", ""}, config{}, true},
		{[]string{"--history", "0"}, config{}, true},
		{[]string{"--max-mem", "0"}, config{}, true},
		{[]string{"--max-mem", "lots"}, config{}, true},
		{[]string{"--import", "f", "--record", "g"}, config{}, true},
		{[]string{"--import", "f", "--listen", ":1"}, config{}, true},
		{[]string{"extra"}, config{}, true},
		{[]string{"--nope"}, config{}, true},
	} {
		got, err := parseFlags(tc.args, io.Discard)
		if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseFlags(%q) = %+v, %v", tc.args, got, err)
		}
	}
}

// The real binary, stopped with SIGINT, closes a complete recording.
func TestInterruptClosesRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "am-dbg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	path := filepath.Join(dir, "session.amdbg")
	cmd := exec.Command(bin, "--headless", "--listen", addr, "--record", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	session(t, addr)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("am-dbg: %v\n%s", err, stderr.String())
	}
	var summary bytes.Buffer
	if err := run(context.Background(), config{importFile: path, headless: true}, &summary, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s := oneSpace(summary.String()); !strings.Contains(s, "complete)") || !strings.Contains(s, "machines: 2") {
		t.Errorf("summary after SIGINT:\n%s", summary.String())
	}
}

// Each flag's placeholder in -h names what it takes: a backquoted word of
// a usage string becomes the placeholder (flag.UnquoteUsage).
func TestUsagePlaceholders(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &out); err == nil {
		t.Fatal("-h: no flag.ErrHelp")
	}
	for _, want := range []string{"-history N\n", "-listen address\n", "-record file\n", "-import file\n", "-version\n", "-max-clients N\n", "-shed-quiet duration\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
}
