package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/internal/e2e/browser"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// loadSchema is a machine of the load: a worker's few states.
var loadSchema = am.Schema{
	am.Exception: {Multi: true},
	"Idle":       {Remove: am.S{"Working"}},
	"Working":    {Remove: am.S{"Idle"}},
	"Done":       {Multi: true, Require: am.S{"Working"}},
	"Failed":     {Multi: true, After: am.S{"Working"}},
}

var loadNames = am.S{am.Exception, "Idle", "Working", "Done", "Failed"}

// feeder adds transitions to a store, ending now, so the time a page
// shows them is their lag. With an inbox it hands them to it as the dbg
// server does, and something must pump the inbox into the store; without
// one it adds them to the store directly.
type feeder struct {
	st    *store.Store
	inbox *store.Inbox
	machs int
	seq   []uint64
}

func newFeeder(st *store.Store, inbox *store.Inbox, machs int) *feeder {
	f := &feeder{st: st, inbox: inbox, machs: machs, seq: make([]uint64, machs)}
	for i := range machs {
		f.add(&dbg.DbgMsgStruct{
			MachineID: "worker-" + strconv.Itoa(i), StateNames: loadNames, Schema: loadSchema,
			Clocks: am.Time{0, 1, 0, 0, 0},
		})
	}
	return f
}

func (f *feeder) add(m dbg.DbgMsg) {
	if f.inbox != nil {
		f.inbox.HandleBatch(server.Peer{ID: 1, Addr: "load"}, &dbg.Batch{Version: dbg.ProtocolVersion, ClientID: "load", Msgs: []dbg.DbgMsg{m}})
		return
	}
	f.st.AddRecord(&recording.Record{ClientID: "load", Conn: 1, Msg: m})
}

// tx adds the next transition of machine i: Working and Idle alternate.
func (f *feeder) tx(i int) {
	f.seq[i]++
	n := f.seq[i]
	clocks := am.Time{0, 2*n + 1, 2 * n, 0, 0}
	called := 1
	if n%2 == 1 {
		clocks[1], clocks[2], called = 2*n, 2*n-1, 2
	}
	now := time.Now()
	f.add(&dbg.DbgMsgTx{
		MachineID: "worker-" + strconv.Itoa(i), ID: n, Clocks: clocks, Type: am.MutationAdd, Called: []int{called},
		Steps: []am.Step{
			{Type: am.StepRequested, State: called, Related: -1},
			{Type: am.StepRemoved, State: 3 - called, Related: called},
			{Type: am.StepHandler, State: called, Related: -1, Handler: loadNames[called] + "State"},
		},
		Logs:     []am.LogEntry{{Time: now, Level: am.LogLevelChanges, Text: "[state] +" + loadNames[called], TxID: n}},
		Accepted: true, Start: now.Add(-20 * time.Microsecond), End: now,
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIntegrationBrowserLive sends 1,000 transitions a second from
// 50 machines to a page in headless chromium that follows them, for 4
// seconds per run, and reports how long a transition took from arriving
// at the debugger (its inbox, pumped into the store every 10 ms as
// am-dbg --headless --web does) to being on screen (the page measures it: see app.js; the
// newest transition of each update, and a bound for its oldest one),
// how many views the page fetched a second, and the CPU this process
// spent a second (store, server, and the test's side of chromedp). Run
// it with -benchtime 1x.
func BenchmarkIntegrationBrowserLive(b *testing.B) {
	const (
		machs = 50
		rate  = 1000
		run   = 4 * time.Second
	)
	st := store.New(nil)
	inbox := store.NewInbox(nil)
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		st.Pump(inbox, 10*time.Millisecond)
	}()
	b.Cleanup(func() {
		inbox.Close()
		<-pumped
	})
	f := newFeeder(st, inbox, machs)
	s := New(st, nil)
	var views atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/view" {
			views.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	b.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	tb := browser.Open(b, ts.URL+"/?m=worker-0", nil)
	tb.WaitText("#tree", "worker-49")
	for b.Loop() {
		browser.Eval[bool](tb, `(window.amdbg.lags = [], window.amdbg.waits = [], true)`)
		views.Store(0)
		cpu0, start := cpuTime(), time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		sent, k := 0, 0
		for time.Since(start) < run {
			<-tick.C
			// catch up to the rate, whatever the ticker's jitter
			for want := int(time.Since(start) * rate / time.Second); sent < want; sent++ {
				f.tx(k % machs)
				k++
			}
		}
		tick.Stop()
		elapsed := time.Since(start)
		cpu := cpuTime() - cpu0
		// the last update is on screen within a gap and a frame
		time.Sleep(300 * time.Millisecond)
		lags := browser.Eval[[]float64](tb, `window.amdbg.lags`)
		if len(lags) == 0 {
			b.Fatal("the page measured no update")
		}
		waits := browser.Eval[[]float64](tb, `window.amdbg.waits`)
		slices.Sort(lags)
		slices.Sort(waits)
		b.ReportMetric(lags[len(lags)/2], "newest-p50-ms")
		b.ReportMetric(lags[len(lags)*95/100], "newest-p95-ms")
		b.ReportMetric(waits[len(waits)/2], "oldest-p50-ms")
		b.ReportMetric(waits[len(waits)*95/100], "oldest-p95-ms")
		b.ReportMetric(waits[len(waits)-1], "oldest-max-ms")
		b.ReportMetric(float64(sent)/elapsed.Seconds(), "tx/s")
		b.ReportMetric(float64(views.Load())/elapsed.Seconds(), "views/s")
		b.ReportMetric(100*cpu.Seconds()/elapsed.Seconds(), "cpu-%")
	}
}

// BenchmarkView is the server's cost of one view: the busiest of 100
// machines holding 100,000 transitions between them, drawn after its
// newest transition, as JSON.
func BenchmarkView(b *testing.B) {
	st := store.New(nil)
	f := newFeeder(st, nil, 100)
	for i := range 100_000 {
		f.tx(i % 100)
	}
	s := New(st, nil)
	defer s.Close()
	req := httptest.NewRequest(http.MethodGet, "/api/view?m=worker-7", nil)
	req.Host = "127.0.0.1"
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkViewTree is the server's cost of one live update of a page
// following worker-7 among many machines, sending back the tree version
// of the view before (page=new: a page that has no tree yet sends none).
// Before each update one machine makes a transition, which leaves the
// tree as it is; with page=changed, a machine's handler gets stuck or
// its transition ends instead, which changes the tree every update.
// worker-7 has enough transitions to fill its timeline and log pane, so
// that only the tree's part grows with the machines. It reports the
// response's size too.
func BenchmarkViewTree(b *testing.B) {
	for _, machs := range []int{100, 1000, 10_000} {
		st := store.New(nil)
		f := newFeeder(st, nil, machs)
		for i := range 2 * machs {
			f.tx(i % machs)
		}
		for range 200 {
			f.tx(7)
		}
		s := New(st, nil)
		b.Cleanup(func() { s.Close() })
		for _, page := range []string{"new", "current", "changed"} {
			b.Run("machines="+strconv.Itoa(machs)+"/page="+page, func(b *testing.B) {
				version := ""
				k := 0
				var size int
				b.ReportAllocs()
				for b.Loop() {
					if page == "changed" && k%2 == 0 {
						f.add(&dbg.DbgMsgHandlerTimeout{MachineID: "worker-" + strconv.Itoa(k/2%machs), TxID: 1, Handler: "WorkingState", Elapsed: time.Second})
					} else {
						f.tx(k / 2 % machs)
					}
					k++
					path := "/api/view?m=worker-7"
					if page != "new" && version != "" {
						path += "&tree=" + version
					}
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.Host = "127.0.0.1"
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatal(rec.Code)
					}
					size = rec.Body.Len()
					if page != "new" {
						version = treeVersionOf(rec.Body.Bytes())
					}
				}
				b.ReportMetric(float64(size), "resp-bytes")
			})
		}
	}
}

// treeVersionOf returns the tree version of a view's JSON, "" when it has
// none. It scans for the field rather than decoding, so that a benchmark
// measures the server, not the reading of a large tree.
func treeVersionOf(body []byte) string {
	const field = `"treeVersion":"`
	i := bytes.Index(body, []byte(field))
	if i < 0 {
		return ""
	}
	rest := body[i+len(field):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
