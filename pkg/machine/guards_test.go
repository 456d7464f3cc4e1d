package machine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// timeoutLog records HandlerTimeout hooks and signals the first one.
type timeoutLog struct {
	am.NoOpTracer
	mu    sync.Mutex
	calls []string
	first chan struct{}
}

func newTimeoutLog() *timeoutLog { return &timeoutLog{first: make(chan struct{})} }

func (l *timeoutLog) HandlerTimeout(tx *am.Transition, handler string, elapsed time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, tx.MachineID+" "+tx.Mutation.String(tx.StateNames())+" "+handler)
	if len(l.calls) == 1 {
		close(l.first)
	}
}

// errSink keeps the entries that report errors.
type errSink struct {
	mu   sync.Mutex
	errs []am.LogEntry
}

func (s *errSink) LogEntry(e *am.LogEntry) {
	if e.Err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, *e)
		s.mu.Unlock()
	}
}

func (s *errSink) all() []am.LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]am.LogEntry(nil), s.errs...)
}

// stuck has handlers that block until their context ends and then until
// release is closed, like a handler stuck on I/O that finally returns.
type stuck struct {
	release chan struct{}
	causes  chan error
}

func (h *stuck) wait(e *am.Event) {
	<-e.Ctx().Done()
	h.causes <- context.Cause(e.Ctx())
	<-h.release
}

func (h *stuck) AEnter(e *am.Event) bool { h.wait(e); return true }
func (h *stuck) BState(e *am.Event)      { h.wait(e) }

// A handler past its deadline is reported while it hangs (tracer hook,
// error log entry, canceled context) and, once it returns, fails: a
// negotiation handler cancels the transition, a final handler adds
// Exception.
func TestHandlerTimeout(t *testing.T) {
	cases := []struct {
		state, handler string
		want           am.Result
	}{
		{"A", "AEnter", am.Canceled},
		{"B", "BState", am.Executed},
	}
	for _, tc := range cases {
		t.Run(tc.handler, func(t *testing.T) {
			hooks, sink := newTimeoutLog(), &errSink{}
			mach, inv := newMach(t, abcde(nil), &am.Opts{
				ID: "slow", HandlerTimeout: 20 * time.Millisecond, Tracers: []am.Tracer{hooks}, Logger: sink,
			})
			h := &stuck{release: make(chan struct{}), causes: make(chan error, 1)}
			if err := mach.BindHandlers(h); err != nil {
				t.Fatal(err)
			}
			res := make(chan am.Result)
			go func() { res <- mach.Add1(tc.state, nil) }()

			if cause := <-h.causes; !errors.Is(cause, am.ErrHandlerTimeout) {
				t.Errorf("handler context's cause = %v", cause)
			}
			<-hooks.first
			if want := "slow [add] " + tc.state + " " + tc.handler; hooks.calls[0] != want {
				t.Errorf("HandlerTimeout hook got %q, want %q", hooks.calls[0], want)
			}
			errs := sink.all()
			if len(errs) != 1 || !errors.Is(errs[0].Err, am.ErrHandlerTimeout) ||
				!strings.Contains(errs[0].Text, tc.handler) || !strings.Contains(errs[0].Text, "machine slow") ||
				!strings.Contains(errs[0].Text, "transition 1") {
				t.Errorf("error entries while it hangs: %+v", errs)
			}
			close(h.release)

			if got := <-res; got != tc.want {
				t.Errorf("Add1(%s) = %v, want %v", tc.state, got, tc.want)
			}
			<-mach.WhenQueueDone(nil)
			tx := inv.all()[0]
			if got := describe(tx); !slicesContain(got, tc.handler+" returned after its deadline") {
				t.Errorf("steps %q lack the timeout", got)
			}
			if tc.want == am.Canceled {
				if err := mach.LastCancel(); !errors.Is(err, am.ErrHandlerTimeout) || !strings.Contains(err.Error(), tc.handler) {
					t.Errorf("LastCancel = %v", err)
				}
				return
			}
			if err := mach.Err(); !mach.Is1(am.Exception) || !errors.Is(err, am.ErrHandlerTimeout) || !strings.Contains(err.Error(), tc.handler) {
				t.Errorf("Exception active %v, Err = %v", mach.Is1(am.Exception), err)
			}
		})
	}
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// slowState takes longer than the 1 ms timeout of TestHandlerTimeoutOff.
type slowState struct{ ctxErr error }

func (h *slowState) AState(e *am.Event) {
	time.Sleep(20 * time.Millisecond)
	h.ctxErr = e.Ctx().Err()
}

// A negative HandlerTimeout turns the guard off, and a handler's context
// ends when it returns.
func TestHandlerTimeoutOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		want    bool
	}{{"off", -1, false}, {"on", time.Millisecond, true}} {
		t.Run(tc.name, func(t *testing.T) {
			mach, _ := newMach(t, abcde(nil), &am.Opts{HandlerTimeout: tc.timeout, Logger: am.DiscardLogs})
			h := &slowState{}
			if err := mach.BindHandlers(h); err != nil {
				t.Fatal(err)
			}
			mach.Add1("A", nil)
			<-mach.WhenQueueDone(nil)
			if got := mach.Is1(am.Exception); got != tc.want {
				t.Errorf("Exception active: %v, want %v (Err %v)", got, tc.want, mach.Err())
			}
			if tc.want != (h.ctxErr != nil) {
				t.Errorf("handler's ctx.Err() = %v", h.ctxErr)
			}
		})
	}
}

// ctxKeeper keeps its handler's context past the handler.
type ctxKeeper struct{ ctx context.Context }

func (h *ctxKeeper) AState(e *am.Event) { h.ctx = e.Ctx() }

func TestHandlerCtxEndsWithHandler(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	h := &ctxKeeper{}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	if err := h.ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("ctx.Err() after the handler = %v", err)
	}
}

// queueCounter counts mutations rejected with ErrQueueFull and accepted
// transitions, and the longest queue. Its hooks may run concurrently.
type queueCounter struct {
	am.NoOpTracer
	full, accepted, other atomic.Int64
	longest               atomic.Int64
}

func (c *queueCounter) TransitionEnd(tx *am.Transition) {
	switch {
	case errors.Is(tx.Err, am.ErrQueueFull):
		if !tx.OffQueue() {
			c.other.Add(1)
		}
		c.full.Add(1)
	case tx.Accepted:
		c.accepted.Add(1)
	default:
		c.other.Add(1)
	}
}

func (c *queueCounter) MutationQueued(_ *am.Machine, _ *am.Mutation, n int) {
	for {
		old := c.longest.Load()
		if int64(n) <= old || c.longest.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}

// busyM makes each activation of M take a little work, so the queue fills.
type busyM struct{ n atomic.Int64 }

func (h *busyM) MState(*am.Event) {
	for range 200 {
		h.n.Add(1)
	}
}

// 8 goroutines add M 10,000 times each against a queue of 16: the queue
// never holds more than 16 entries, every mutation is executed, queued
// and then executed, or canceled with ErrQueueFull, and tracers count
// each cancel.
func TestQueueLimit(t *testing.T) {
	const goroutines, adds, limit = 8, 10_000, 16
	counter := &queueCounter{}
	mach, err := am.New(context.Background(), am.Schema{"M": {Multi: true}}, &am.Opts{QueueLimit: limit, Tracers: []am.Tracer{counter}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	if err := mach.BindHandlers(&busyM{}); err != nil {
		t.Fatal(err)
	}
	var results [4]atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range adds {
				results[mach.Add1("M", nil)].Add(1)
			}
		})
	}
	wg.Wait()
	<-mach.WhenQueueDone(nil)

	executed, queued, canceled := results[am.Executed].Load(), results[am.Queued].Load(), results[am.Canceled].Load()
	if executed+queued+canceled != goroutines*adds {
		t.Fatalf("results: %d executed, %d queued, %d canceled, of %d", executed, queued, canceled, goroutines*adds)
	}
	if canceled == 0 {
		t.Fatal("no mutation found the queue full; the test measures nothing")
	}
	if got := counter.full.Load(); got != canceled {
		t.Errorf("tracer saw %d ErrQueueFull records, %d mutations were canceled", got, canceled)
	}
	if got := counter.accepted.Load(); got != executed+queued {
		t.Errorf("tracer saw %d accepted transitions, want %d executed + %d queued", got, executed, queued)
	}
	if got := counter.other.Load(); got != 0 {
		t.Errorf("%d other records", got)
	}
	if got := counter.longest.Load(); got > limit {
		t.Errorf("the queue held %d entries, limit %d", got, limit)
	}
	if want := uint64(2*(executed+queued) - 1); mach.Tick("M") != want {
		t.Errorf("tick of M = %d, want %d", mach.Tick("M"), want)
	}
	if err := mach.LastCancel(); !errors.Is(err, am.ErrQueueFull) {
		t.Errorf("LastCancel = %v", err)
	}
}

// overdueBorrower is a borrowing tracer whose HandlerTimeout hook keeps
// the record it is given until told to read it again.
type overdueBorrower struct {
	am.NoOpTracer
	reported chan uint64 // tx.ID when the hook was called
	reread   chan struct{}
	again    chan uint64 // tx.ID read once reread is closed
}

func (b *overdueBorrower) BorrowsTransitions() bool { return true }

func (b *overdueBorrower) HandlerTimeout(tx *am.Transition, _ string, _ time.Duration) {
	b.reported <- tx.ID
	<-b.reread
	b.again <- tx.ID
}

// blockingB is a final handler of B that waits until release is closed.
type blockingB struct{ release chan struct{} }

func (h *blockingB) BState(*am.Event) { <-h.release }

// A transition reported overdue keeps its record: the HandlerTimeout hook
// may read it after the handler returned and later transitions ran, when
// every tracer borrows records and the machine would otherwise reuse it.
func TestHandlerTimeoutRecordKept(t *testing.T) {
	hook := &overdueBorrower{reported: make(chan uint64), reread: make(chan struct{}), again: make(chan uint64)}
	mach, err := am.New(context.Background(), abcde(nil), &am.Opts{
		HandlerTimeout: 5 * time.Millisecond, Tracers: []am.Tracer{hook},
		Logger: am.LogSinkFunc(func(*am.LogEntry) {}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	h := &blockingB{release: make(chan struct{})}
	if err := mach.BindHandlers(h); err != nil {
		t.Fatal(err)
	}
	res := make(chan am.Result)
	go func() { res <- mach.Add1("B", nil) }()
	id := <-hook.reported
	close(h.release)
	<-res
	// transitions that would reuse the record, were it still the spare
	for range 3 {
		mach.Add1("A", nil)
		mach.Remove1("A", nil)
	}
	close(hook.reread)
	if got := <-hook.again; got != id {
		t.Errorf("the overdue transition's record changed under its hook: ID %d, then %d", id, got)
	}
}
