package amprom_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/hostile"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// TestPushHostileBackends pushes to a Pushgateway that answers 500 with
// 100 MB, and to one that never answers, with NewPusher and the default
// error handler: the heap stays within 16 MB, the log gets a line or two,
// and every failed push is counted.
func TestPushHostileBackends(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  func(testing.TB) (string, *atomic.Int64)
		pushes int64
	}{
		{"huge-500", hostile.Huge500, 30},
		{"hang", hostile.Hang, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, requests := tc.start(t)
			logged := hostile.CaptureLogs(t)
			dropsBefore := drops.Total(drops.Pushgateway)
			mach := newMachine(t, "hostile", nil)
			// the interval bounds each push: a hanging gateway costs one
			// interval per push
			metrics, err := amprom.New(mach, &amprom.Opts{Interval: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := metrics.BindToPusher(amprom.NewPusher(url, "hostile")); err != nil {
				t.Fatal(err)
			}
			heap := hostile.WatchHeap()
			deadline := time.Now().Add(30 * time.Second)
			for requests.Load() < tc.pushes && time.Now().Before(deadline) {
				mach.Add1("A", nil)
				mach.Remove1("A", nil)
			}
			grew := heap.Stop()
			failures, dropped := metrics.PushFailures(), drops.Total(drops.Pushgateway)-dropsBefore
			mach.Dispose()
			<-mach.WhenDisposed()
			if n := requests.Load(); n < tc.pushes {
				t.Fatalf("%d pushes in 30 s", n)
			}
			if grew > 16<<20 {
				t.Errorf("heap grew by %d MB", grew>>20)
			}
			if n := logged.Len(); n > 4<<10 {
				t.Errorf("%d bytes logged for %d failed pushes", n, requests.Load())
			}
			// the push under way when the loop ended may not have failed yet
			if failures < uint64(tc.pushes)-1 {
				t.Errorf("%d push failures counted for %d pushes", failures, tc.pushes)
			}
			if dropped < failures {
				t.Errorf("package drops counts %d failed pushes, PushFailures %d", dropped, failures)
			}
		})
	}
}
