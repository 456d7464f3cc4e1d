package amgrafana_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/hostile"
	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
)

// TestClientHostileBackends saves to a Grafana that answers 500 with
// 100 MB and to one that never answers: the save fails, reading a few KiB
// of the body at most, and the hanging one is given up with the context.
func TestClientHostileBackends(t *testing.T) {
	d := buildDashboard(t, goldenOpts)
	for _, tc := range []struct {
		name  string
		start func(testing.TB) (string, *atomic.Int64)
	}{
		{"huge-500", hostile.Huge500},
		{"hang", hostile.Hang},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, requests := tc.start(t)
			c, err := amgrafana.NewClient(url, "glsa_hostile", nil)
			if err != nil {
				t.Fatal(err)
			}
			heap := hostile.WatchHeap()
			for range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				_, err := c.SaveDashboard(ctx, d, nil)
				cancel()
				if err == nil {
					t.Fatal("save succeeded")
				}
				if len(err.Error()) > 8<<10 {
					t.Errorf("error of %d bytes", len(err.Error()))
				}
			}
			if grew := heap.Stop(); grew > 16<<20 {
				t.Errorf("heap grew by %d MB over %d saves", grew>>20, requests.Load())
			}
		})
	}
}

// TestClientTimeout saves to a Grafana that never answers, with a context
// that never ends: the client's own timeout gives up, with an error that
// says so, after one request. Without HTTPClient, that timeout is
// DefaultTimeout, too long to wait for here.
func TestClientTimeout(t *testing.T) {
	def, err := amgrafana.NewClient("http://127.0.0.1:1", "glsa_timeout", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := amgrafana.ClientTimeout(def); got != amgrafana.DefaultTimeout {
		t.Errorf("without HTTPClient: timeout %v, want DefaultTimeout %v", got, amgrafana.DefaultTimeout)
	}

	url, requests := hostile.Hang(t)
	const timeout = 100 * time.Millisecond
	c, err := amgrafana.NewClient(url, "glsa_timeout", &amgrafana.ClientOpts{HTTPClient: &http.Client{Timeout: timeout}})
	if err != nil {
		t.Fatal(err)
	}
	if got := amgrafana.ClientTimeout(c); got != timeout {
		t.Errorf("with HTTPClient: timeout %v, want its %v", got, timeout)
	}
	d := buildDashboard(t, goldenOpts)
	saved := make(chan error, 1)
	go func() {
		_, err := c.SaveDashboard(context.Background(), d, nil)
		saved <- err
	}()
	select {
	case err = <-saved:
	case <-time.After(100 * timeout):
		// a bound on the test, not a wait: the save must end by itself
		t.Fatalf("the save still hangs %v after its client's timeout of %v", 100*timeout, timeout)
	}
	if err == nil {
		t.Fatal("save to a Grafana that never answers succeeded")
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("error %q (%T) is not a timeout", err, err)
	}
	if !strings.Contains(err.Error(), "Client.Timeout exceeded") || !strings.HasPrefix(err.Error(), "amgrafana: save dashboard: ") {
		t.Errorf("error %q: want amgrafana's save dashboard naming the client's timeout", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want one", n)
	}
}
