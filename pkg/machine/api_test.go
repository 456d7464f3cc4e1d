package machine_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func TestIsClockIsTime(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	mach.Add(am.S{"A", "B"}, nil)
	clock, all, ab := mach.Clock(am.S{"A", "B"}), mach.Time(nil), mach.Time(am.S{"A", "B"})

	cases := []struct {
		name       string
		mutate     func()
		clock, abT bool
	}{
		{"nothing happened", func() {}, true, true},
		{"another state ticked", func() { mach.Add1("C", nil) }, true, true},
		{"a state of the snapshot ticked", func() { mach.Remove1("A", nil) }, false, false},
	}
	for _, tc := range cases {
		tc.mutate()
		if got := mach.IsClock(clock); got != tc.clock {
			t.Errorf("%s: IsClock = %v", tc.name, got)
		}
		if got := mach.IsTime(ab, am.S{"A", "B"}); got != tc.abT {
			t.Errorf("%s: IsTime(A B) = %v", tc.name, got)
		}
	}
	if mach.IsTime(all, nil) {
		t.Error("IsTime of all states true after C and A ticked")
	}
	if !mach.IsTime(mach.Time(nil), nil) {
		t.Error("IsTime of a fresh snapshot is false")
	}
	if mach.IsClock(am.Clock{"Nope": 0}) || mach.IsTime(am.Time{0}, am.S{"Nope"}) || mach.IsTime(am.Time{0}, am.S{"A", "B"}) {
		t.Error("unknown states or a length mismatch count as unchanged")
	}
}

func TestWhenTime(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), &am.Opts{Logger: am.DiscardLogs})
	// wait until A was activated twice and B once
	ch := mach.WhenTime(am.S{"A", "B"}, am.Time{3, 1}, nil)
	steps := []struct {
		mutate func() am.Result
		closed bool
	}{
		{func() am.Result { return mach.Add1("A", nil) }, false},
		{func() am.Result { return mach.Add1("B", nil) }, false},
		{func() am.Result { return mach.Remove1("A", nil) }, false},
		{func() am.Result { return mach.Add1("A", nil) }, true},
	}
	for k, s := range steps {
		s.mutate()
		if got := closed(ch); got != s.closed {
			t.Fatalf("after step %d: closed = %v, want %v (time %v)", k, got, s.closed, mach.Time(am.S{"A", "B"}))
		}
	}
	if !closed(mach.WhenTime(am.S{"A"}, am.Time{1}, nil)) {
		t.Error("WhenTime of a reached clock is open")
	}
	if !closed(mach.WhenTime(am.S{"A"}, am.Time{1, 2}, nil)) {
		t.Error("WhenTime with a length mismatch is open")
	}
	ctx, cancel := context.WithCancel(context.Background())
	open := mach.WhenTime(am.S{"C"}, am.Time{9}, ctx)
	cancel()
	<-open
}

func TestToggle(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	cases := []struct {
		toggle func() am.Result
		want   am.S
	}{
		{func() am.Result { return mach.Toggle1("A", nil) }, am.S{"A"}},
		{func() am.Result { return mach.Toggle(am.S{"A", "B"}, nil) }, am.S{"A", "B"}},
		{func() am.Result { return mach.Toggle(am.S{"A", "B"}, nil) }, nil},
		{func() am.Result { return mach.Toggle1("A", nil) }, am.S{"A"}},
		{func() am.Result { return mach.Toggle1("A", nil) }, nil},
	}
	for k, tc := range cases {
		if res := tc.toggle(); res != am.Executed {
			t.Fatalf("toggle %d: %v", k, res)
		}
		if got := mach.ActiveStates(); !slices.Equal(got, tc.want) {
			t.Errorf("after toggle %d: active %v, want %v", k, got, tc.want)
		}
	}
	if res := mach.Toggle1("Nope", nil); res != am.Canceled || !errors.Is(mach.LastCancel(), am.ErrUnknownState) {
		t.Errorf("Toggle1(Nope) = %v, %v", res, mach.LastCancel())
	}
}

// evalOrder appends to a log from handlers; Eval reads it on the queue.
type evalOrder struct {
	log     []string
	started chan struct{}
	release chan struct{}
}

func (h *evalOrder) AState(*am.Event) {
	h.log = append(h.log, "AState")
	close(h.started)
	<-h.release
}
func (h *evalOrder) BState(*am.Event) { h.log = append(h.log, "BState") }
func (h *evalOrder) CState(*am.Event) { h.log = append(h.log, "CState") }

// Eval runs after what was queued before it, on the queue (a mutation from
// fn is queued), and returns once fn ran.
func TestEvalOrder(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	h := &evalOrder{started: make(chan struct{}), release: make(chan struct{})}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	go mach.Add1("A", nil)
	<-h.started
	if res := mach.Add1("B", nil); res != am.Queued {
		t.Fatalf("Add1(B) while AState runs = %v", res)
	}
	var seen []string
	var inFn am.Result
	done := make(chan error)
	go func() {
		done <- mach.Eval(context.Background(), func() {
			seen = slices.Clone(h.log)
			inFn = mach.Add1("C", nil)
		})
	}()
	close(h.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := []string{"AState", "BState"}; !slices.Equal(seen, want) {
		t.Errorf("Eval saw %q, want %q", seen, want)
	}
	if inFn != am.Queued {
		t.Errorf("Add1(C) from fn = %v, want queued behind fn", inFn)
	}
	<-mach.WhenQueueDone(nil)
	if !mach.Is1("C") {
		t.Error("C queued by fn never ran")
	}
}

type blockA struct{ started, release chan struct{} }

func (h *blockA) AState(*am.Event) {
	close(h.started)
	<-h.release
}

func TestEvalErrors(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), &am.Opts{QueueLimit: 1})
	ran := false
	if err := mach.Eval(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("Eval on an idle machine: %v, ran %v", err, ran)
	}
	if err := mach.Eval(context.Background(), func() { panic("boom") }); !errors.Is(err, am.ErrHandlerPanic) {
		t.Errorf("Eval of a panicking fn: %v", err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := mach.Eval(canceled, func() { t.Error("fn ran with a done ctx") }); !errors.Is(err, context.Canceled) {
		t.Errorf("Eval with a done ctx: %v", err)
	}

	h := &blockA{started: make(chan struct{}), release: make(chan struct{})}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	go mach.Add1("A", nil)
	<-h.started
	ctx, cancel := context.WithCancel(context.Background())
	skipped := make(chan error)
	go func() { skipped <- mach.Eval(ctx, func() { t.Error("fn ran after its ctx ended") }) }()
	// nothing signals that the Eval above reached the queue
	for mach.QueueLen() < 1 {
		runtime.Gosched()
	}
	if err := mach.Eval(context.Background(), func() { t.Error("fn ran past the queue limit") }); !errors.Is(err, am.ErrQueueFull) {
		t.Errorf("Eval on a full queue: %v", err)
	}
	cancel()
	if err := <-skipped; !errors.Is(err, context.Canceled) {
		t.Errorf("Eval whose ctx ended while queued: %v", err)
	}
	close(h.release)
	<-mach.WhenQueueDone(nil)
	mach.Dispose()
	if err := mach.Eval(context.Background(), func() { t.Error("fn ran on a disposed machine") }); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("Eval on a disposed machine: %v", err)
	}
}
