package machine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// watchdog guards against handlers that do not return. The runner marks
// the start and end of every handler call with a few atomic stores, and
// reads no clock; one goroutine per machine, started with the first
// handler call and parked while no handler runs, samples the running call
// every quarter of the timeout and times it with its own clock. So a
// handler call costs no timer, no goroutine, no lock and no clock read,
// and an overrun is seen up to a quarter of the timeout after the
// deadline.
type watchdog struct {
	// timeout is the handler deadline; 0 turns the checks off.
	timeout time.Duration

	// call numbers the running handler call; 0 between calls. The runner
	// stores name before call, so a reader that sees the same call before
	// and after reading name has a consistent view.
	call atomic.Uint64
	name atomic.Pointer[string]
	// overdue is the last call seen past its deadline, and late how long
	// it had run then.
	overdue atomic.Uint64
	late    atomic.Int64
	// last numbers handler calls; only the runner uses it.
	last uint64

	started  atomic.Bool
	sleeping atomic.Bool
	wake     chan struct{}

	// ctx is the context of the running call, made on demand by
	// [Event.Ctx]; hasCtx spares the runner the lock when there is none.
	hasCtx  atomic.Bool
	ctxMu   sync.Mutex
	ctxCall uint64
	ctx     context.Context
	cancel  context.CancelCauseFunc
}

func (w *watchdog) init(timeout time.Duration) {
	switch {
	case timeout == 0:
		w.timeout = DefaultHandlerTimeout
	case timeout > 0:
		w.timeout = timeout
	}
}

// anyHandlerNames are the names of the handlers of every transition, for
// [Machine.beginHandler], which keeps a pointer to the name.
var anyHandlerNames = [...]string{kindEnter: "AnyEnter", kindExit: "AnyExit"}

// beginHandler marks the start of a handler call and returns its number.
// name must stay valid: it points into the compiled schema or
// anyHandlerNames.
func (m *Machine) beginHandler(name *string) uint64 {
	w := &m.wd
	w.last++
	call := w.last
	w.name.Store(name)
	w.call.Store(call)
	if w.timeout > 0 {
		if !w.started.Load() {
			// made here, not at New: machines whose handlers never run
			// keep no channel and no goroutine
			w.wake = make(chan struct{}, 1)
			w.started.Store(true)
			go m.watch()
		} else if w.sleeping.Load() && w.sleeping.CompareAndSwap(true, false) {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
	return call
}

// endHandler marks the end of call and cancels its context. late is set
// when the watchdog saw the call past its deadline, elapsed is how long it
// had run then.
func (m *Machine) endHandler(call uint64) (elapsed time.Duration, late bool) {
	w := &m.wd
	w.call.Store(0)
	if w.hasCtx.Load() {
		w.ctxMu.Lock()
		w.dropCtx()
		w.ctxMu.Unlock()
	}
	if w.overdue.Load() == call {
		return time.Duration(w.late.Load()), true
	}
	return 0, false
}

// dropCtx cancels the context of the ended call. The caller holds ctxMu.
func (w *watchdog) dropCtx() {
	if w.cancel != nil {
		w.cancel(context.Canceled)
	}
	w.ctx, w.cancel, w.ctxCall = nil, nil, 0
	w.hasCtx.Store(false)
}

// handlerCtx returns the context of handler call number call: canceled
// once the call returns, or with [ErrHandlerTimeout] as its cause at the
// deadline.
func (m *Machine) handlerCtx(call uint64) context.Context {
	w := &m.wd
	w.ctxMu.Lock()
	defer w.ctxMu.Unlock()
	if w.ctx != nil && w.ctxCall == call {
		return w.ctx
	}
	ctx, cancel := context.WithCancelCause(m.ctx)
	if w.call.Load() != call {
		cancel(context.Canceled)
		return ctx
	}
	if w.overdue.Load() == call {
		cancel(ErrHandlerTimeout)
	}
	if w.ctx != nil {
		w.dropCtx()
	}
	w.ctx, w.cancel, w.ctxCall = ctx, cancel, call
	w.hasCtx.Store(true)
	// the call may have ended between the check above and hasCtx: then
	// endHandler did not see the context, and it is dropped here
	if w.call.Load() != call {
		w.dropCtx()
	}
	return ctx
}

// watch is the machine's watchdog goroutine. It samples the running call
// every quarter of the timeout, times each call from the first sample that
// saw it, parks after a few idle samples, and ends with the machine.
func (m *Machine) watch() {
	w := &m.wd
	period := min(max(w.timeout/4, time.Millisecond), time.Second)
	timer := time.NewTimer(period)
	defer timer.Stop()
	var seen uint64 // the call being timed
	var since time.Time
	idle := 0
	for {
		select {
		case <-m.disposedCh:
			return
		case <-timer.C:
		}
		call := w.call.Load()
		now := time.Now()
		switch {
		case call == 0:
			seen = 0
			if idle++; idle >= 4 && !m.park() {
				return
			}
		case call != seen:
			// it started within the last period; count it from the middle
			idle, seen, since = 0, call, now.Add(-period/2)
		default:
			idle = 0
			name := w.name.Load()
			if elapsed := now.Sub(since); elapsed >= w.timeout && w.call.Load() == call && w.overdue.Load() != call {
				w.late.Store(int64(elapsed))
				w.overdue.Store(call)
				m.reportOverdue(call, *name, elapsed)
			}
		}
		timer.Reset(period)
	}
}

// park waits until a handler starts. It returns false once the machine is
// disposed.
func (m *Machine) park() bool {
	w := &m.wd
	w.sleeping.Store(true)
	// a handler that started before sleeping was set did not wake us
	if w.call.Load() != 0 && w.sleeping.CompareAndSwap(true, false) {
		return true
	}
	select {
	case <-w.wake:
		return true
	case <-m.disposedCh:
		return false
	}
}

// reportOverdue reports a handler still running past its deadline: it
// cancels the handler's context, logs an error and calls
// [Tracer.HandlerTimeout]. It runs in the watchdog goroutine.
func (m *Machine) reportOverdue(call uint64, name string, elapsed time.Duration) {
	w := &m.wd
	w.ctxMu.Lock()
	if w.ctx != nil && w.ctxCall == call {
		w.cancel(ErrHandlerTimeout)
	}
	w.ctxMu.Unlock()

	m.mu.Lock()
	tx, tracers := m.current, m.tracers
	if tx == nil || w.call.Load() != call {
		// the handler returned meanwhile: the transition reports it late
		m.mu.Unlock()
		return
	}
	// the report reads tx after the handler may have returned, and the
	// hooks may read it until they return: a record reused by the next
	// transition would change under them, so this one leaves the reuse
	if m.spare == tx {
		m.spare = nil
	}
	txID, mut := tx.ID, tx.Mutation.String(tx.index)
	m.mu.Unlock()
	err := fmt.Errorf("%w: %s of transition %d %s on machine %s still running after %v (deadline %v)",
		ErrHandlerTimeout, name, txID, mut, m.id, elapsed.Round(time.Millisecond), w.timeout)
	m.deliverErr(err, txID, false)
	for _, t := range tracers {
		m.callTracer(t, "HandlerTimeout", func() { t.HandlerTimeout(tx, name, elapsed) })
	}
}
