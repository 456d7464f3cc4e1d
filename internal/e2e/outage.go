package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
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
}

// NewOutage starts an Outage for the backend at backendURL, up. It stops
// when the test ends, releasing held requests first.
func NewOutage(t testing.TB, backendURL string) *Outage {
	t.Helper()
	u, err := url.Parse(backendURL)
	if err != nil {
		t.Fatalf("e2e: outage proxy for %q: %v", backendURL, err)
	}
	o := &Outage{proxy: httputil.NewSingleHostReverseProxy(u), up: make(chan struct{})}
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
	select {
	case <-up:
	default:
		o.held++
	}
	o.mu.Unlock()
	select {
	case <-up:
		o.proxy.ServeHTTP(w, r)
	case <-r.Context().Done():
	}
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
