package machine

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Eval runs fn on the machine's queue and waits for it: fn runs after the
// mutations and operations queued before the call and before those queued
// after it, never concurrently with a handler, so it may read and change
// what handlers own without locks (actor-style access). An idle machine
// runs fn in the caller's goroutine.
//
// Eval returns an error wrapping ctx's error when ctx ends before fn
// starts (fn then never runs), [ErrDisposed] when the machine is disposed,
// [ErrQueueFull] when the queue is full, and [ErrHandlerPanic] when fn
// panics. Once fn has started, Eval waits for it to return. Do not call
// Eval from a handler: the queue cannot run fn before the handler returns,
// so Eval would wait until ctx ends.
func (m *Machine) Eval(ctx context.Context, fn func()) error {
	const (
		pending int32 = iota
		started
		skipped
	)
	var (
		state atomic.Int32
		err   error
		done  = make(chan struct{})
	)
	op := func() {
		if !state.CompareAndSwap(pending, started) {
			return
		}
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("eval on %s: %w: %v", m.id, ErrHandlerPanic, r)
			}
		}()
		fn()
	}

	if err := ctx.Err(); err != nil {
		return fmt.Errorf("eval on %s: %w", m.id, err)
	}
	m.mu.Lock()
	switch {
	case m.disposing:
		m.mu.Unlock()
		return fmt.Errorf("eval on %s: %w", m.id, ErrDisposed)
	case m.running && len(m.queue)-m.queueHead >= m.queueLimit:
		m.mu.Unlock()
		return fmt.Errorf("eval on %s: %w: %d entries", m.id, ErrQueueFull, m.queueLimit)
	case m.running:
		m.enqueue(queued{op: op})
		m.mu.Unlock()
	default:
		m.running = true
		m.mu.Unlock()
		op()
		m.drain()
		return err
	}

	select {
	case <-done:
		return err
	case <-ctx.Done():
		if state.CompareAndSwap(pending, skipped) {
			return fmt.Errorf("eval on %s: %w", m.id, ctx.Err())
		}
	case <-m.disposedCh:
		if state.CompareAndSwap(pending, skipped) {
			return fmt.Errorf("eval on %s: %w", m.id, ErrDisposed)
		}
	}
	<-done
	return err
}
