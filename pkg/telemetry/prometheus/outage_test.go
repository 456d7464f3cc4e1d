package amprom_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// TestIntegrationPushgatewayOutage pushes through a Pushgateway that hangs
// for a while: the machine does not wait for a push, memory stays flat,
// failed pushes are counted, and once the Pushgateway is back the next push
// delivers exact totals.
func TestIntegrationPushgatewayOutage(t *testing.T) {
	e2e.Require(t, e2e.Pushgateway)
	pg := e2e.StartPushgateway(t)
	gw := e2e.NewOutage(t, pg.URL)

	const interval = 100 * time.Millisecond
	mach, _ := machtest.NewMutationsMachine(t, &am.Opts{ID: "outage"})
	errs := &errorCollector{}
	metrics, err := amprom.New(mach, &amprom.Opts{Interval: interval, ErrorHandler: errs.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.BindToPusher(amprom.NewPusher(gw.URL, "amprom_outage")); err != nil {
		t.Fatal(err)
	}

	ops := 0
	run := func(n int) {
		for range n {
			machtest.Op(mach)
			ops++
		}
	}
	pushed := func(what string) {
		want := float64(ops * machtest.TransitionsPerOp)
		e2e.Eventually(t, 30*time.Second, what, func(ctx context.Context) error {
			got, err := pushedTransitions(ctx, pg.URL, "outage")
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("am_transitions_total = %v, want %v", got, want)
			}
			return nil
		})
	}

	run(5000)
	pushed("totals pushed before the outage")
	// a push times out after one interval, which a loaded machine may
	// miss even with the Pushgateway up: count only the outage's failures
	failuresBefore := metrics.PushFailures()

	gw.SetDown(true)
	// the machine does not wait for a push: ops finish while one hangs
	gw.RunWhileHeld(t, func() { run(100) })
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run(20000)
	runtime.GC()
	runtime.ReadMemStats(&after)
	// pushes time out after the interval; wait for one failure at least
	e2e.Eventually(t, 30*time.Second, "a failed push", func(context.Context) error {
		if metrics.PushFailures() == failuresBefore {
			return fmt.Errorf("no push failed yet")
		}
		return nil
	})
	gw.SetDown(false)

	if errs.all() == nil {
		t.Error("no push failure was reported")
	}
	t.Logf("%d requests held, %d push failures during the outage", gw.Held(), metrics.PushFailures()-failuresBefore)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("heap grew by %d bytes during 20000 ops of the outage", grew)
	}

	pushed("totals pushed after the outage")
}

// pushedTransitions reads am_transitions_total of a machine from the
// Pushgateway's own exposition.
func pushedTransitions(ctx context.Context, pgURL, machineID string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pgURL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("parsing the Pushgateway's metrics: %w", err)
	}
	mf, ok := mfs["am_transitions_total"]
	if !ok {
		return 0, fmt.Errorf("am_transitions_total not pushed yet")
	}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == amprom.LabelMachineID && lp.GetValue() == machineID {
				return m.GetCounter().GetValue(), nil
			}
		}
	}
	return 0, fmt.Errorf("no am_transitions_total of %s", machineID)
}
