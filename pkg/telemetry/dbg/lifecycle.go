package dbg

import (
	"cmp"
	"slices"
)

// The methods below are the sender's view of the tracer's shared state.
// They take mu, and are never called from the transition hot path.

// hasWork reports whether struct messages or Flush calls wait.
func (t *Tracer) hasWork() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.dirty) > 0 || len(t.flushers) > 0
}

// exitIfIdle stops the sender when no machine is left and nothing is
// queued, unless the tracer is persistent (a Relay's). Deciding under mu
// means a machine bound meanwhile either sees the sender running or
// starts a new one.
func (t *Tracer) exitIfIdle() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live > 0 || len(t.queue) > 0 || t.persistent {
		return false
	}
	t.running = false
	t.releaseLocked(^uint64(0))
	return true
}

// halt marks the sender stopped by Close, releasing every Flush call.
func (t *Tracer) halt() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running = false
	t.releaseLocked(^uint64(0))
}

// releaseFlushers releases the Flush calls whose transitions are all
// resolved, once no struct message waits either.
func (t *Tracer) releaseFlushers(resolved uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dirty) == 0 {
		t.releaseLocked(resolved)
	}
}

func (t *Tracer) releaseLocked(resolved uint64) {
	kept := t.flushers[:0]
	for _, f := range t.flushers {
		if f.target <= resolved {
			close(f.done)
		} else {
			kept = append(kept, f)
		}
	}
	clear(t.flushers[len(kept):])
	t.flushers = kept
}

func (t *Tracer) liveCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live
}

// dirtyStates returns the machines whose struct message may not have been
// sent on the current connection.
func (t *Tracer) dirtyStates() []*machState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dirty) == 0 {
		return nil
	}
	out := make([]*machState, 0, len(t.dirty))
	for ms := range t.dirty {
		out = append(out, ms)
	}
	// the set has no order; a new connection learns the machines in the
	// order they were seen
	slices.SortFunc(out, func(a, b *machState) int { return cmp.Compare(a.seen, b.seen) })
	return out
}

// markAllDirty marks every live machine, for a new connection.
func (t *Tracer) markAllDirty() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.machs.Range(func(_, v any) bool {
		t.dirty[v.(*machState)] = struct{}{}
		return true
	})
}

// clearDirty unmarks the machines whose latest struct message was sent.
func (t *Tracer) clearDirty(sent map[string]*DbgMsgStruct) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ms := range t.dirty {
		st := ms.st.Load()
		if sent[st.MachineID] == st {
			delete(t.dirty, ms)
		}
	}
}
