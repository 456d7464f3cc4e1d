package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Outage sits in front of a real backend to take it down and bring it back
// during a test. While down, it accepts requests and never answers them,
// like a backend that hangs, which is worse for a client than a refused
// connection; when up again, it forwards the held requests and new ones.
type Outage struct {
	// URL is the address clients use instead of the backend's.
	URL string

	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	up    chan struct{} // closed while up
	held  int
	// waiting counts held requests not yet answered or given up on;
	// arrived is closed and replaced when one more is held
	waiting int
	arrived chan struct{}
}

// NewOutage starts an Outage for the backend at backendURL, up. It stops
// when the test ends, releasing held requests first.
func NewOutage(t testing.TB, backendURL string) *Outage {
	t.Helper()
	u, err := url.Parse(backendURL)
	if err != nil {
		t.Fatalf("e2e: outage proxy for %q: %v", backendURL, err)
	}
	o := &Outage{proxy: httputil.NewSingleHostReverseProxy(u), up: make(chan struct{}), arrived: make(chan struct{})}
	// a client that gave up on a held request is expected, not news
	o.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		w.WriteHeader(http.StatusBadGateway)
	}
	close(o.up)
	srv := httptest.NewServer(o)
	o.URL = srv.URL
	t.Cleanup(func() { o.SetDown(false); srv.Close() })
	return o
}

// ServeHTTP holds r while the backend is down, then forwards it.
func (o *Outage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	up := o.up
	held := false
	select {
	case <-up:
	default:
		held = true
		o.held++
		o.waiting++
		close(o.arrived)
		o.arrived = make(chan struct{})
	}
	o.mu.Unlock()
	select {
	case <-up:
		o.done(held)
		o.proxy.ServeHTTP(w, r)
	case <-r.Context().Done():
		o.done(held)
	}
}

func (o *Outage) done(held bool) {
	if !held {
		return
	}
	o.mu.Lock()
	o.waiting--
	o.mu.Unlock()
}

// SetDown takes the backend down (true) or brings it back (false).
func (o *Outage) SetDown(down bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case <-o.up:
		if down {
			o.up = make(chan struct{})
		}
	default:
		if !down {
			close(o.up)
		}
	}
}

// Held returns how many requests arrived while the backend was down.
func (o *Outage) Held() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.held
}

// RunWhileHeld runs f while the Outage holds a request and fails t unless
// one of the requests held when f started was still held when it returned:
// proof that f did not wait for it, which needs no clock. f also makes the
// traffic that gets requests held. A client gives up on a held request
// after its own timeout, so f must be short next to that; f runs again, up
// to 50 times, until a run proves it. The Outage must be down.
func (o *Outage) RunWhileHeld(t testing.TB, f func()) {
	t.Helper()
	for range 50 {
		o.mu.Lock()
		held, waiting, arrived := o.held, o.waiting, o.arrived
		o.mu.Unlock()
		f()
		o.mu.Lock()
		same := waiting > 0 && o.held == held && o.waiting > 0
		o.mu.Unlock()
		if same {
			return
		}
		if waiting == 0 {
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				t.Fatal("e2e: the outage held no request for 30 s")
			}
		}
	}
	t.Fatal("e2e: no run of f ended while the request held at its start was still held")
}
