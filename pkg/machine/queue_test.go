package machine_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// busyHandlers queue mutations of their own while M is hammered.
type busyHandlers struct {
	mStates atomic.Int64
	results []am.Result // only touched by handlers, which never run concurrently
}

func (h *busyHandlers) MState(*am.Event) { h.mStates.Add(1) }

func (h *busyHandlers) XState(e *am.Event) {
	h.results = append(h.results, e.Machine.EvRemove1(e, "X", nil), e.Machine.EvAdd1(e, "Y", nil))
}

func (h *busyHandlers) YState(e *am.Event) {
	h.results = append(h.results, e.Machine.EvRemove1(e, "Y", nil))
}

// TestConcurrentMultiAdds checks that the queue loses and doubles nothing:
// 8 goroutines add the Multi state M 10,000 times each while handlers of X
// and Y queue mutations. M's first activation ticks once and each of the
// 79,999 re-activations twice.
func TestConcurrentMultiAdds(t *testing.T) {
	const goroutines, adds = 8, 10_000
	schema := am.Schema{"M": {Multi: true}, "X": {}, "Y": {}}
	// a limit above every mutation the test makes: nothing may be canceled
	mach, inv := newMach(t, schema, &am.Opts{QueueLimit: 2 * goroutines * adds})
	h := &busyHandlers{}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := range adds {
				if res := mach.Add1("M", nil); res == am.Canceled {
					t.Errorf("Add1(M) canceled: %v", mach.LastCancel())
					return
				}
				if i%100 == 0 {
					mach.Add1("X", nil)
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case <-mach.WhenQueueDone(ctx):
	case <-ctx.Done():
		t.Fatal("queue did not drain")
	}

	if got, want := mach.Tick("M"), uint64(2*goroutines*adds-1); got != want {
		t.Errorf("tick of M = %d, want %d", got, want)
	}
	if got := h.mStates.Load(); got != goroutines*adds {
		t.Errorf("MState ran %d times, want %d", got, goroutines*adds)
	}
	if mach.Any(am.S{"X", "Y"}) {
		t.Errorf("X or Y still active: %v", mach.ActiveStates())
	}
	if len(h.results) == 0 {
		t.Fatal("X's handler never ran")
	}
	for _, res := range h.results {
		if res != am.Queued {
			t.Fatalf("a mutation from a handler returned %v, want Queued", res)
		}
	}
	if n := len(inv.all()); n < goroutines*adds {
		t.Errorf("tracer saw %d transitions, want at least %d", n, goroutines*adds)
	}
}

// orderHandlers queues mutations from a handler and records the order they
// run in and their sources.
type orderHandlers struct {
	order   []string
	sources []am.Source
}

func (h *orderHandlers) AState(e *am.Event) {
	h.order = append(h.order, "AState")
	e.Machine.EvAdd1(e, "B", nil)
	e.Machine.EvAdd1(e, "C", nil)
	e.Machine.EvRemove1(e, "A", nil)
}

func (h *orderHandlers) BState(e *am.Event) {
	h.order = append(h.order, "BState")
	h.sources = append(h.sources, e.Transition().Mutation.Source)
}

func (h *orderHandlers) CState(e *am.Event) {
	h.order = append(h.order, "CState")
	h.sources = append(h.sources, e.Transition().Mutation.Source)
}

func (h *orderHandlers) AEnd(*am.Event) { h.order = append(h.order, "AEnd") }

func TestQueueIsFIFOAndRecordsSources(t *testing.T) {
	mach, inv := newMach(t, abcde(nil), &am.Opts{ID: "m1"})
	h := &orderHandlers{}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	if res := mach.Add1("A", nil); res != am.Executed {
		t.Fatalf("Add1(A) = %v", res)
	}
	// the caller's goroutine drained the queue before returning
	if want := []string{"AState", "BState", "CState", "AEnd"}; !slices.Equal(h.order, want) {
		t.Errorf("order = %v, want %v", h.order, want)
	}
	if mach.QueueLen() != 0 {
		t.Errorf("queue length = %d after Add1 returned", mach.QueueLen())
	}
	txs := inv.all()
	first := txs[0]
	for _, src := range h.sources {
		if src.MachineID != "m1" || src.TxID != first.ID {
			t.Errorf("source = %+v, want machine m1 tx %d", src, first.ID)
		}
	}
	if got := txs[1].QueueLen; got != 2 {
		t.Errorf("queue length at the start of the first queued tx = %d, want 2", got)
	}
}
