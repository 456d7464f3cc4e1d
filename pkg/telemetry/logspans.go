package amtele

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// logSpans finds the transition spans of the machines a logger is bound to,
// so that the logger can tag each entry made during a transition with the
// trace and span IDs of that transition's span. The spans come from a
// [TransitionSpanner] among each machine's tracers, the OTel tracer of
// [NewOtelMachTracer].
//
// A logger calls machine from its MachineInit hook, and seen from its
// TransitionInit hook: the tracers of a machine can change, so a machine
// without a TransitionSpanner is looked at again (a copy of its tracer
// list) at transitions 1, 2, 4, 8, ... 1024, then at every 1024th, until
// one is found. A tracer bound after the logger is so found within 1024
// transitions, and a machine without one pays next to nothing. Log entries
// themselves only read what was found: no lookup, no allocation.
type logSpans struct {
	mu sync.RWMutex
	// byMachine holds the lookup of each machine; a pointer key, so that a
	// lookup per transition allocates nothing.
	byMachine map[*am.Machine]*machineSpans
	// byID finds a machine at MachineDispose, which names it by ID.
	byID map[string]*am.Machine
}

// machineSpans is the span lookup of one machine.
type machineSpans struct {
	id      string
	spanner atomic.Pointer[spannerRef]

	// A transition makes its entries in a row, so the span of the last
	// transition asked for is kept: one lookup per transition, not per
	// entry.
	mu     sync.Mutex
	lastTx uint64
	lastSC trace.SpanContext
	lastOK bool
}

// spannerRef boxes an interface for atomic.Pointer.
type spannerRef struct{ TransitionSpanner }

// machine returns the lookup of m, looking for its TransitionSpanner.
func (l *logSpans) machine(m *am.Machine) *machineSpans {
	l.mu.Lock()
	ms := l.byMachine[m]
	if ms == nil {
		if l.byMachine == nil {
			l.byMachine, l.byID = map[*am.Machine]*machineSpans{}, map[string]*am.Machine{}
		}
		ms = &machineSpans{id: m.ID()}
		l.byMachine[m], l.byID[ms.id] = ms, m
	}
	l.mu.Unlock()
	ms.find(m)
	return ms
}

// seen looks for the TransitionSpanner of tx's machine, if it has none yet
// and tx is one of the transitions to look at.
func (l *logSpans) seen(tx *am.Transition) {
	if id := tx.ID; id&(id-1) != 0 && id%1024 != 0 {
		return
	}
	l.mu.RLock()
	ms := l.byMachine[tx.Machine]
	l.mu.RUnlock()
	if ms != nil {
		ms.find(tx.Machine)
	}
}

// disposed forgets a machine; the lookups already handed out keep working.
func (l *logSpans) disposed(machineID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m, ok := l.byID[machineID]; ok {
		delete(l.byID, machineID)
		delete(l.byMachine, m)
	}
}

// find looks for a TransitionSpanner among m's tracers, once one is found
// never again.
func (ms *machineSpans) find(m *am.Machine) {
	if ms.spanner.Load() != nil {
		return
	}
	if s := FindTransitionSpanner(m); s != nil {
		ms.spanner.Store(&spannerRef{s})
	}
}

// span returns the span of transition txID when it is sampled: an
// unsampled span is never exported, so its IDs would lead nowhere. Entries
// made outside a transition (txID 0) have none.
func (ms *machineSpans) span(txID uint64) (trace.SpanContext, bool) {
	if txID == 0 {
		return trace.SpanContext{}, false
	}
	r := ms.spanner.Load()
	if r == nil {
		return trace.SpanContext{}, false
	}
	ms.mu.Lock()
	if ms.lastTx == txID {
		sc, ok := ms.lastSC, ms.lastOK
		ms.mu.Unlock()
		return sc, ok
	}
	ms.mu.Unlock()
	sc, ok := r.TransitionSpanContext(ms.id, txID)
	ok = ok && sc.IsSampled()
	if !ok {
		sc = trace.SpanContext{}
	}
	ms.mu.Lock()
	ms.lastTx, ms.lastSC, ms.lastOK = txID, sc, ok
	ms.mu.Unlock()
	return sc, ok
}
