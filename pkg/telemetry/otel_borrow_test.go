package amtele_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// recordTruth clones every record at its TransitionEnd, after the tracers
// bound before it, and notes each record it got, to tell whether the
// machine reused them. It borrows, so it leaves reuse to the others.
type recordTruth struct {
	am.NoOpTracer
	mu      sync.Mutex
	clones  []*am.Transition
	records map[*am.Transition]bool
}

func (*recordTruth) BorrowsTransitions() bool    { return true }
func (*recordTruth) TracerHooks() am.TracerHooks { return am.HookTransitionEnd }

func (r *recordTruth) TransitionEnd(tx *am.Transition) {
	if tx.OffQueue() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clones = append(r.clones, tx.Clone())
	r.records[tx] = true
}

// borrowHandlers make each transition queue the next ones, with args, so
// that every record is reused while mutations wait in the queue.
type borrowHandlers struct{}

// AState queues B with A's arg.
func (*borrowHandlers) AState(e *am.Event) {
	e.Machine.EvAdd1(e, "B", am.A{"n": e.Args["n"]})
}

// BEnter vetoes every third B, by its arg.
func (*borrowHandlers) BEnter(e *am.Event) bool {
	n, _ := e.Args["n"].(int)
	return n%3 != 0
}

// BState removes A, and adds C (which removes D) or D.
func (*borrowHandlers) BState(e *am.Event) {
	e.Machine.EvRemove1(e, "A", nil)
	if n, _ := e.Args["n"].(int); n%2 == 0 {
		e.Machine.EvAdd1(e, "C", nil)
	} else {
		e.Machine.EvAdd(e, am.S{"D", "B"}, nil)
	}
}

func (*borrowHandlers) CExit(*am.Event) bool { return true }

// TestOtelMachTracerBorrows runs hundreds of transitions, queued from
// several goroutines and from handlers, on a machine that reuses one
// record for all of them (the OTel tracer borrows records), and checks
// every transition span, handler span and activation against clones of
// the records made at TransitionEnd: nothing of a transition leaks into
// the spans of the next one through the reused record.
func TestOtelMachTracerBorrows(t *testing.T) {
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{RotateTransitions: -1})
	truth := &recordTruth{records: map[*am.Transition]bool{}}
	mach := newMachine(t, am.Schema{
		"A": {},
		"B": {},
		"C": {Remove: am.S{"D"}},
		"D": {Multi: true},
	}, &am.Opts{ID: "borrow", Tracers: []am.Tracer{tracer, truth}, LoggableArgs: []string{"n"}})
	if err := mach.BindHandlers(&borrowHandlers{}); err != nil {
		t.Fatal(err)
	}

	const goroutines, rounds = 4, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				n := g*rounds + i
				mach.Add1("A", am.A{"n": n})
				mach.Remove(am.S{"A", "B", "C"}, nil)
				mach.Add1("Nope", nil)
			}
		})
	}
	wg.Wait()
	<-mach.WhenQueueDone(context.Background())
	mach.Dispose()
	<-mach.WhenDisposed()

	if len(truth.records) != 1 {
		t.Fatalf("the machine used %d records for %d transitions: the OTel tracer does not borrow", len(truth.records), len(truth.clones))
	}
	st := newSpanTree(rec.Ended())
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range st.spans {
		if id, ok := attrs(s)[string(amtele.AttrTxID)]; ok {
			byID[id] = s
		}
	}
	if len(byID) != len(truth.clones) {
		t.Errorf("%d transition spans for %d transitions", len(byID), len(truth.clones))
	}
	ticks := map[string][]string{}
	for _, tx := range truth.clones {
		span, ok := byID[strconv.FormatUint(tx.ID, 10)]
		if !ok {
			t.Errorf("no span for transition %d %s", tx.ID, tx)
			continue
		}
		checkTxSpan(t, st, span, tx)
		if tx.Accepted {
			for i, name := range tx.StateNames() {
				if after := tx.TimeAfter[i]; after != tx.TimeBefore[i] && after%2 == 1 {
					ticks[name] = append(ticks[name], strconv.FormatUint(after, 10))
				}
			}
		}
	}
	// each activation, by its tick, once
	for name, want := range ticks {
		var got []string
		for _, s := range st.find(name) {
			if tick, ok := attrs(s)[string(amtele.AttrTick)]; ok {
				got = append(got, tick)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("activations of %s: ticks %v, want %v", name, got, want)
		}
	}
}

// checkTxSpan compares a transition span and its handler spans with the
// clone of the transition's record.
func checkTxSpan(t *testing.T, st *spanTree, span sdktrace.ReadOnlySpan, tx *am.Transition) {
	t.Helper()
	if want := tx.Mutation.String(tx.StateNames()); span.Name() != want {
		t.Errorf("transition %d: span %q, want %q", tx.ID, span.Name(), want)
	}
	var clocks []string
	for i, name := range tx.StateNames() {
		if tx.IsTouched(i) {
			clocks = append(clocks, name+"="+strconv.FormatUint(tx.TimeAfter[i], 10))
		}
	}
	want := map[attribute.Key]string{
		amtele.AttrCalled:          attribute.StringSlice("", tx.CalledStates()).Value.Emit(),
		amtele.AttrAccepted:        strconv.FormatBool(tx.Accepted),
		amtele.AttrQueueLen:        strconv.Itoa(tx.QueueLen),
		amtele.AttrClocks:          strings.Join(clocks, " "),
		amtele.AttrCancelReason:    "-",
		amtele.AttrSourceTxID:      "-",
		amtele.AttrSourceMachineID: "-",
		"am.arg.n":                 "-",
	}
	if len(clocks) == 0 {
		want[amtele.AttrClocks] = "-"
	}
	if tx.Err != nil {
		want[amtele.AttrCancelReason] = tx.Err.Error()
	}
	if src := tx.Mutation.Source; !src.IsZero() {
		want[amtele.AttrSourceTxID] = strconv.FormatUint(src.TxID, 10)
		want[amtele.AttrSourceMachineID] = src.MachineID
	}
	if v, ok := tx.Machine.LoggableArgs(tx.Mutation.Args)["n"]; ok {
		want["am.arg.n"] = v
	}
	wantAttrs(t, span, want)

	var handlers, got []string
	for _, s := range tx.Steps {
		if s.Type == am.StepHandler {
			handlers = append(handlers, s.Handler)
		}
	}
	for _, h := range sortSpans(st.children[span.SpanContext().SpanID().String()]) {
		got = append(got, h.Name())
	}
	if !slices.Equal(got, handlers) {
		t.Errorf("transition %d %s: handler spans %v, want %v", tx.ID, span.Name(), got, handlers)
	}
}
