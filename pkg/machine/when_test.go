package machine_test

import (
	"context"
	"errors"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestWhen(t *testing.T) {
	mach, _ := newMach(t, abcde(map[string]am.State{"C": {Multi: true}}), nil)
	ctx := context.Background()

	both := mach.When(am.S{"A", "B"}, ctx)
	notA := mach.WhenNot(am.S{"A"}, ctx)
	if !closed(notA) {
		t.Error("WhenNot(A) is not closed while A is inactive")
	}
	mach.Add1("A", nil)
	if closed(both) {
		t.Fatal("When(A, B) closed with only A active")
	}
	mach.Add1("B", nil)
	if !closed(both) {
		t.Fatal("When(A, B) not closed with A and B active")
	}
	if !closed(mach.When1("A", nil)) {
		t.Error("When1 on an active state is not closed at once")
	}

	notA = mach.WhenNot(am.S{"A"}, ctx)
	mach.Remove1("A", nil)
	if !closed(notA) {
		t.Error("WhenNot(A) not closed after Remove")
	}

	ticks := mach.WhenTicks("C", 4, ctx)
	mach.Add1("C", nil) // +1
	mach.Add1("C", nil) // +2
	if closed(ticks) {
		t.Fatal("WhenTicks(C, 4) closed after 3 ticks")
	}
	mach.Add1("C", nil) // +2
	if !closed(ticks) {
		t.Fatal("WhenTicks(C, 4) not closed after 5 ticks")
	}

	errCh := mach.WhenErr(ctx)
	mach.AddErr(errors.New("oops"), nil)
	if !closed(errCh) || mach.Err() == nil || mach.Err().Error() != "oops" {
		t.Errorf("WhenErr closed=%v, Err=%v", closed(errCh), mach.Err())
	}
	if !closed(mach.WhenQueueDone(ctx)) {
		t.Error("WhenQueueDone on an idle machine is not closed")
	}
}

func TestWhenEndsWithCtx(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), &am.Opts{Logger: am.DiscardLogs})
	ctx, cancel := context.WithCancel(context.Background())
	ch := mach.When1("A", ctx)
	unknown := mach.When1("Nope", ctx)
	cancel()
	<-ch
	<-unknown
}

type waitInHandler struct{ done <-chan struct{} }

func (h *waitInHandler) AState(e *am.Event) {
	e.Machine.EvAdd1(e, "B", nil)
	// the queue has not run B yet: waiting here would deadlock, so the
	// handler takes the channel and the test waits on it
	h.done = e.Machine.WhenQueueDone(nil)
}

func TestWhenQueueDoneWaitsForQueuedMutations(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	h := &waitInHandler{}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	<-h.done
	if !mach.Is1("B") {
		t.Error("WhenQueueDone closed before the queued Add of B ran")
	}
}

func TestStateCtx(t *testing.T) {
	mach, _ := newMach(t, abcde(map[string]am.State{"B": {Multi: true}}), nil)
	if mach.NewStateCtx("A").Err() == nil {
		t.Error("the context of an inactive state is not canceled")
	}
	if mach.NewStateCtx("Nope").Err() == nil {
		t.Error("the context of an unknown state is not canceled")
	}
	mach.Add1("A", nil)
	ctx := mach.NewStateCtx("A")
	if ctx != mach.NewStateCtx("A") {
		t.Error("one activation gave two contexts")
	}
	mach.Add1("A", nil) // no change: the activation goes on
	if ctx.Err() != nil {
		t.Fatal("the context ended while the state stayed active")
	}
	mach.Remove1("A", nil)
	if ctx.Err() == nil {
		t.Error("the context outlived its activation")
	}

	mach.Add1("B", nil)
	multi := mach.NewStateCtx("B")
	mach.Add1("B", nil)
	if multi.Err() == nil {
		t.Error("a Multi re-activation did not end the previous activation's context")
	}
}

func TestClockAccessors(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	mach.Add(am.S{"A", "B"}, nil)
	mach.Remove1("B", nil)
	if got := mach.Clock(am.S{"A", "B", "C"}); got["A"] != 1 || got["B"] != 2 || got["C"] != 0 {
		t.Errorf("Clock = %v", got)
	}
	if got := mach.Time(am.S{"B", "A"}); got[0] != 2 || got[1] != 1 {
		t.Errorf("Time = %v", got)
	}
	if !mach.Is(am.S{"A"}) || mach.Is(am.S{"A", "B"}) || !mach.Not(am.S{"B", "C"}) || !mach.Any(am.S{"B", "A"}) {
		t.Error("Is/Not/Any disagree with the clocks")
	}
	if mach.Index1("A") != 1 || mach.Index1("Nope") != -1 {
		t.Errorf("Index1(A) = %d, Index1(Nope) = %d", mach.Index1("A"), mach.Index1("Nope"))
	}
}
