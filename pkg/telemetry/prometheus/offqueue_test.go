package amprom_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// floodB queues three B from A's handler into a queue of one.
type floodB struct{}

func (floodB) AState(e *am.Event) {
	for range 3 {
		e.Machine.EvAdd1(e, "B", nil)
	}
}

// TestChecksAndQueueFull checks that dry runs are not counted as
// transitions, and that mutations rejected by a full queue count as
// canceled ones.
func TestChecksAndQueueFull(t *testing.T) {
	mach, err := am.New(context.Background(), am.Schema{"A": {}, "B": {Multi: true}}, &am.Opts{ID: "m", QueueLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	if err := mach.BindHandlers(&floodB{}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	if mach.CanAdd1("A", nil) != am.Executed || mach.CanAdd1("Nope", nil) != am.Canceled {
		t.Fatal("dry runs answered wrong")
	}
	mach.Add1("A", nil)
	<-mach.WhenQueueDone(nil)
	if !errors.Is(mach.LastCancel(), am.ErrQueueFull) {
		t.Fatalf("LastCancel = %v, want ErrQueueFull", mach.LastCancel())
	}
	compare(t, "checks and a full queue", gather(t, reg).of("machine_id=m"), series{
		"am_transitions_total{}":          4,
		"am_transitions_canceled_total{}": 2,
		"am_mutations_total{type=add}":    4,
	})
}
