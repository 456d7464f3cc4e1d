package amgrafana_test

import (
	"context"
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
