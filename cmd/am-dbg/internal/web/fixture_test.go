package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// xssID is a machine ID that runs script if a page puts it in as HTML.
const xssID = `<img src=x onerror=alert(1)>`

// xssState is a state name and xssLog a log line that do the same.
// Machines refuse such state names; a peer crafting its messages does not.
const (
	xssState = `<svg onload=alert(2)><img src=x onerror=alert(3)>`
	xssLog   = `<script>alert(4)</script>`
)

// orderSchema is dbg-orders' order: each step requires the one before.
var orderSchema = am.Schema{
	"Created":   {},
	"Paid":      {Require: am.S{"Created"}},
	"Shipped":   {Require: am.S{"Paid"}},
	"Delivered": {Auto: true, Require: am.S{"Shipped"}},
}

// ingest passes what a dbg server receives to st, as a recording would.
func ingest(st *store.Store) server.Handler {
	return server.HandlerFunc(func(p server.Peer, b *dbg.Batch) {
		for _, m := range b.Msgs {
			st.AddRecord(&recording.Record{ClientID: b.ClientID, Conn: p.ID, Dropped: b.Dropped, Msg: m})
		}
	})
}

// serveDbg runs a dbg server filling st until the test ends, and
// returns its address.
func serveDbg(t testing.TB, st *store.Store) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.Serve(ln, ingest(st), nil)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// fixture runs machines reporting to a dbg server that fills a store, and
// returns the store once it holds everything: a shop with an order whose
// courier came before the payment (transition #2 of order-1 is canceled:
// Shipped requires Paid), and a machine whose ID is an XSS payload, with
// a state and a log line that are too.
func fixture(t testing.TB) *store.Store {
	t.Helper()
	st := store.New(nil)
	tracer := dbg.NewTracer(serveDbg(t, st), &dbg.Opts{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// the log goes to the debugger only
	quiet := am.LogSinkFunc(func(*am.LogEntry) {})
	shop, err := am.New(ctx, am.Schema{
		"Open":       {},
		"OrderTaken": {Multi: true, Require: am.S{"Open"}},
	}, &am.Opts{ID: "shop", Tracers: []am.Tracer{tracer}, LogLevel: am.LogLevelChanges, Logger: quiet, LoggableArgs: []string{"order"}})
	if err != nil {
		t.Fatal(err)
	}
	order, err := am.New(ctx, orderSchema, &am.Opts{ID: "order-1", Parent: shop, LogLevel: am.LogLevelChanges, Logger: quiet, LoggableArgs: []string{"amount"}})
	if err != nil {
		t.Fatal(err)
	}
	evil, err := am.New(ctx, am.Schema{
		"Bad":  {},
		"Safe": {Remove: am.S{"Bad"}},
	}, &am.Opts{ID: xssID, Parent: shop, LogLevel: am.LogLevelChanges, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	shop.Add1("Open", nil)
	shop.Add1("OrderTaken", am.A{"order": "order-1"})
	order.Add1("Created", nil)
	order.Add1("Shipped", nil) // canceled: Shipped requires Paid
	order.Add1("Paid", am.A{"amount": 10})
	order.Add1("Shipped", nil) // then Delivered, auto
	evil.Add1("Bad", nil)
	evil.Log("%s", xssID)
	evil.Add1("Safe", nil)
	flush, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := tracer.Flush(flush); err != nil {
		t.Fatal(err)
	}
	crafted(st)
	return st
}

// crafted adds what a hostile peer could send: a machine, child of the
// XSS one, whose state names, args and log lines are markup; its second
// transition has a handler that overran its timeout, timed, and a handler named
// in markup hangs in its third.
func crafted(st *store.Store) {
	add := func(m dbg.DbgMsg) { st.AddRecord(&recording.Record{ClientID: "crafted", Conn: 1, Msg: m}) }
	now := time.Now()
	add(&dbg.DbgMsgStruct{
		MachineID: "crafted", ParentID: xssID, StateNames: am.S{am.Exception, xssState, "Ok"},
		Schema: am.Schema{am.Exception: {}, xssState: {Add: am.S{"Ok"}}, "Ok": {Require: am.S{xssState}}},
		Clocks: am.Time{0, 0, 0},
	})
	add(&dbg.DbgMsgTx{
		MachineID: "crafted", ID: 1, Clocks: am.Time{0, 1, 1}, Type: am.MutationAdd, Called: []int{1},
		Args:     map[string]string{xssLog: xssLog},
		Steps:    []am.Step{{Type: am.StepRequested, State: 1, Related: -1}, {Type: am.StepImplied, State: 2, Related: 1}},
		Logs:     []am.LogEntry{{Time: now, Level: am.LogLevelChanges, Text: xssLog, MachineID: "crafted", TxID: 1}},
		Accepted: true, Start: now, End: now,
	})
	add(&dbg.DbgMsgTx{
		MachineID: "crafted", ID: 2, Clocks: am.Time{1, 1, 1}, Type: am.MutationAdd, Called: []int{2},
		Steps: []am.Step{
			{Type: am.StepRequested, State: 2, Related: -1},
			{Type: am.StepHandler, State: 2, Related: -1, Handler: "OkState"},
			{Type: am.StepHandlerTimeout, State: 2, Related: -1, Handler: "OkState"},
		},
		HandlerDurations: []time.Duration{999 * time.Millisecond},
		Accepted:         true, Start: now, End: now.Add(time.Second),
	})
	add(&dbg.DbgMsgHandlerTimeout{MachineID: "crafted", TxID: 3, Handler: xssLog, Elapsed: 5 * time.Second, Time: now})
}

// serve runs an inspector over st on an httptest server.
func serve(t testing.TB, st *store.Store, opts *Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(st, opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts
}

// get requests path from ts, with the headers given as name, value pairs.
func get(t testing.TB, ts *httptest.Server, path string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
