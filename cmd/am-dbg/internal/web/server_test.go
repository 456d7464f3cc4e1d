package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
)

func decodeView(t *testing.T, res *http.Response) *view {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("status %s: %s", res.Status, b)
	}
	var v view
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// The view of a machine after each of its transitions: the tree, the
// diagram's nodes and edges, the states lit, and the steps of a canceled
// transition.
func TestView(t *testing.T) {
	_, ts := serve(t, fixture(t), nil)
	v := decodeView(t, get(t, ts, "/api/view?m=order-1"))
	var ids []string
	for _, r := range v.Tree.Rows {
		ids = append(ids, strings.Repeat(" ", r.Depth)+r.ID)
	}
	// siblings come in the order they were heard of, which the client's
	// goroutines decide
	slices.Sort(ids)
	if got, want := strings.Join(ids, "|"), "  crafted| "+xssID+"| order-1|shop"; got != want {
		t.Errorf("tree %q, want %q", got, want)
	}
	m := v.Mach
	if m.ID != "order-1" || m.Next != 5 || m.At != 4 {
		t.Fatalf("machine %s at %d of %d, want order-1 at its newest, 4 of 5", m.ID, m.At, m.Next)
	}
	if m.Nodes != 5 || m.Edges != 3 {
		t.Errorf("diagram of %d nodes and %d edges, want 5 and 3", m.Nodes, m.Edges)
	}
	if n := strings.Count(m.SVG, ` data-state=`); n != 5 {
		t.Errorf("the SVG draws %d nodes", n)
	}
	if n := strings.Count(m.SVG, `<path class="edge require"`); n != 3 {
		t.Errorf("the SVG draws %d require edges", n)
	}

	v = decodeView(t, get(t, ts, "/api/view?m=order-1&at=1"))
	tx := v.Mach.Tx
	if tx == nil || tx.ID != 2 || tx.Accepted {
		t.Fatalf("at=1 shows %+v, want the canceled #2", tx)
	}
	var steps []string
	for _, s := range tx.Steps {
		steps = append(steps, s.Text)
	}
	if got := strings.Join(steps, "; "); !strings.Contains(got, "canceled: Shipped requires Paid, which cannot be active") {
		t.Errorf("steps of #2: %s", got)
	}
	var lit []string
	for _, s := range v.Mach.States {
		if s.Active {
			lit = append(lit, s.Name)
		}
	}
	if got := strings.Join(lit, ","); got != "Created" {
		t.Errorf("active after #2: %s, want Created", got)
	}
	if !strings.Contains(v.Mach.SVG, `<g class="node called" data-state="Shipped">`) {
		t.Errorf("Shipped is not marked called in:\n%s", v.Mach.SVG)
	}

	// a page that has the diagram does not get it again, until it changes
	sum := v.Mach.SVGSum
	if again := decodeView(t, get(t, ts, "/api/view?m=order-1&at=1&svg="+sum)).Mach; again.SVG != "" || again.SVGSum != sum {
		t.Errorf("the same diagram was sent again (sum %s, was %s)", again.SVGSum, sum)
	}
	if other := decodeView(t, get(t, ts, "/api/view?m=order-1&at=2&svg="+sum)).Mach; other.SVG == "" || other.SVGSum == sum {
		t.Error("the diagram after #3 was not sent")
	}

	if res := get(t, ts, "/api/view?at=x"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("at=x: %s", res.Status)
	}
}

// A view counts the connections the debugger turned away when it has a
// count to give, and says nothing of them otherwise, as for a recording.
func TestViewTurnedAway(t *testing.T) {
	st := fixture(t)
	_, recording := serve(t, st, nil)
	res := get(t, recording, "/api/view")
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "turnedAway") {
		t.Errorf("a view without a count has one: %s", b)
	}
	_, live := serve(t, st, &Options{TurnedAway: func() uint64 { return 7 }})
	if v := decodeView(t, get(t, live, "/api/view")); v.TurnedAway != 7 {
		t.Errorf("turnedAway = %d, want 7", v.TurnedAway)
	}
}

// A transition's details carry the machine's queue as the client saw it:
// how many mutations waited when it started, and the queue tick at its
// end. The page prints both, so both are in the JSON under the names it
// reads, a zero too: an absent field would print as "undefined".
func TestViewTxQueue(t *testing.T) {
	st := store.New(nil)
	syn := storetest.New()
	syn.Machine(st, "worker", "")
	first, second := syn.Tx("worker"), syn.Tx("worker")
	first.QueueLen, first.QueueTick = 0, 0
	second.QueueLen, second.QueueTick = 3, 17
	syn.Send(st, first, second)
	_, ts := serve(t, st, nil)

	for _, tc := range []struct {
		path                string
		queueLen, queueTick string
	}{
		{"/api/view?m=worker", "3", "17"},
		{"/api/view?m=worker&at=0", "0", "0"},
	} {
		res := get(t, ts, tc.path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", tc.path, res.Status)
		}
		// the raw fields, not the Go struct, since the page reads the names
		var v struct {
			Mach struct {
				Tx map[string]json.RawMessage `json:"tx"`
			} `json:"mach"`
		}
		err := json.NewDecoder(res.Body).Decode(&v)
		res.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		tx := v.Mach.Tx
		if got, ok := tx["queueLen"]; !ok || string(got) != tc.queueLen {
			t.Errorf("%s: queueLen %s (present %v), want %s", tc.path, got, ok, tc.queueLen)
		}
		if got, ok := tx["queueTick"]; !ok || string(got) != tc.queueTick {
			t.Errorf("%s: queueTick %s (present %v), want %s", tc.path, got, ok, tc.queueTick)
		}
	}
	// and the page reads them by those names
	js, err := io.ReadAll(get(t, ts, "/static/app.js").Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"tx.queueLen", "tx.queueTick"} {
		if !bytes.Contains(js, []byte(field)) {
			t.Errorf("app.js does not read %s", field)
		}
	}
}

// Peers' strings are escaped in the SVG; the JSON carries them as they
// are, for the page to set as text.
func TestViewEscapes(t *testing.T) {
	_, ts := serve(t, fixture(t), nil)
	v := decodeView(t, get(t, ts, "/api/view?m=crafted"))
	svg := v.Mach.SVG
	for _, raw := range []string{"<img", "<svg onload"} {
		if strings.Contains(svg, raw) {
			t.Errorf("the SVG holds %q unescaped:\n%s", raw, svg)
		}
	}
	if !strings.Contains(svg, `data-state="&lt;svg onload=alert(2)&gt;&lt;img src=x onerror=alert(3)&gt;"`) {
		t.Errorf("the crafted state is not escaped in:\n%s", svg)
	}
	if v.Mach.Log[0].Text != xssLog {
		t.Errorf("log line %q", v.Mach.Log[0].Text)
	}
	// the stuck handler is on its transition, and marks it failed
	if tx := v.Mach.Tx; tx.ID != 2 || !tx.Failed || !slices.Equal(tx.Stuck, []string{"OkState"}) {
		t.Errorf("#%d: failed %v, stuck %q; want #2 failed, OkState stuck", tx.ID, tx.Failed, tx.Stuck)
	}
	if s := v.Mach.Stuck; s == nil || s.Handler != xssLog || s.Tx != 3 || s.Elapsed != "5s" {
		t.Errorf("stuck now %+v; want %s of #3, 5s", s, xssLog)
	}
}

func TestAppendXML(t *testing.T) {
	got := string(appendXML(nil, "a<b>&\"c'\x00\x1b[31m\xff\tok"))
	want := "a&lt;b&gt;&amp;&quot;c&#39;\uFFFD\uFFFD[31m\uFFFD\tok"
	if got != want {
		t.Errorf("appendXML = %q, want %q", got, want)
	}
}

// Every response carries a strict content security policy and no CORS
// header; the page's script is a file, not inline.
func TestHeaders(t *testing.T) {
	_, ts := serve(t, store.New(nil), nil)
	for _, path := range []string{"/", "/static/app.js", "/static/app.css", "/api/view"} {
		res := get(t, ts, path, "Origin", "http://evil.example")
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", path, res.Status)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: CORS header %s", path, k)
			}
		}
	}
	body, _ := io.ReadAll(get(t, ts, "/").Body)
	if strings.Contains(string(body), "<script>") || !strings.Contains(string(body), `<script src="/static/app.js"`) {
		t.Errorf("the page's script is not only a file:\n%s", body)
	}
	for _, path := range []string{"/nothing", "/static/", "/static/nothing.js", "/index.html"} {
		if res := get(t, ts, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", path, res.Status)
		}
	}
}

// With a token, every request needs it: as a bearer header, as the cookie
// a ?token= visit sets, never in a way that leaves it in the URL.
func TestToken(t *testing.T) {
	const token = "s3cret-token"
	_, ts := serve(t, store.New(nil), &Options{Token: token})
	for _, path := range []string{"/", "/static/app.js", "/api/view", "/api/events"} {
		if res := get(t, ts, path); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without the token: %s", path, res.Status)
		}
	}
	if res := get(t, ts, "/api/view", "Authorization", "Bearer wrong"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong bearer token: %s", res.Status)
	}
	if res := get(t, ts, "/?token=wrong"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong ?token=: %s", res.Status)
	}
	if res := get(t, ts, "/api/view", "Authorization", "Bearer "+token); res.StatusCode != http.StatusOK {
		t.Errorf("the bearer token: %s", res.Status)
	}

	res := get(t, ts, "/?m=shop&token="+token)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?m=shop" {
		t.Fatalf("a ?token= visit: %s to %q, want a redirect to /?m=shop", res.Status, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == tokenCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v, want an HttpOnly, SameSite=Strict %s", cookie, tokenCookie)
	}
	if res := get(t, ts, "/", "Cookie", cookie.String()); res.StatusCode != http.StatusOK {
		t.Errorf("with the cookie: %s", res.Status)
	}
}

// Without a token the server only answers requests for a loopback host,
// so a page elsewhere cannot reach it through DNS rebinding.
func TestHostCheck(t *testing.T) {
	s := New(store.New(nil), nil)
	defer s.Close()
	for host, want := range map[string]int{
		"127.0.0.1:7465": http.StatusOK, "localhost:7465": http.StatusOK, "[::1]:7465": http.StatusOK,
		"evil.example:7465": http.StatusForbidden, "10.0.0.1": http.StatusForbidden,
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/view", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}

func TestListenNeedsTokenBeyondLoopback(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", ""); err == nil || !strings.Contains(err.Error(), "--web-token") {
		t.Errorf("Listen on 0.0.0.0 without a token: %v", err)
	}
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	for flag, want := range map[string]string{"1": DefaultAddr, ":9000": "127.0.0.1:9000", "0.0.0.0:80": "0.0.0.0:80"} {
		if got, err := ParseAddr(flag); err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %q, %v; want %q", flag, got, err, want)
		}
	}
	if _, err := ParseAddr("7465"); err == nil {
		t.Error("ParseAddr(7465) took a port without a colon")
	}
}

// events reads the server-sent events of /api/events until ctx ends, and
// sends the data of each rev event on the channel.
func events(ctx context.Context, t *testing.T, url string) <-chan string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	out := make(chan string, 1000)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "rev":
				out <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

// A burst of changes reaches a page as a few events, at most one per
// update gap, the last carrying the final revision.
func TestEventsCoalesce(t *testing.T) {
	const gap = 150 * time.Millisecond
	s, ts := serve(t, store.New(nil), &Options{UpdateGap: gap})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := events(ctx, t, ts.URL)
	if first := <-evs; first != "0" {
		t.Fatalf("first event: rev %s, want 0", first)
	}
	start := time.Now()
	for range 1000 {
		s.events.notify()
	}
	var got []string
	timeout := time.After(3 * gap)
	for len(got) == 0 || got[len(got)-1] != "1000" {
		select {
		case rev := <-evs:
			got = append(got, rev)
		case <-timeout:
			t.Fatalf("events %v never reached rev 1000", got)
		}
	}
	// the first change goes out at once, the rest after one gap
	if len(got) > 2 {
		t.Errorf("1000 changes in a burst sent %d events: %v", len(got), got)
	}
	if took := time.Since(start); len(got) == 2 && took < gap {
		t.Errorf("the second event came %s after the first, within the gap of %s", took, gap)
	}
}

// Closing the server ends the streams, so shutting down does not wait
// for pages that never leave.
func TestEventsEndOnClose(t *testing.T) {
	s, ts := serve(t, store.New(nil), nil)
	evs := events(context.Background(), t, ts.URL)
	<-evs
	s.Close()
	select {
	case _, open := <-evs:
		for open {
			_, open = <-evs
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived Close")
	}
}

// The pages following updates are bounded.
func TestEventsMaxPages(t *testing.T) {
	_, ts := serve(t, store.New(nil), &Options{MaxPages: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	<-events(ctx, t, ts.URL)
	if res := get(t, ts, "/api/events"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a second page: %s", res.Status)
	}
}
