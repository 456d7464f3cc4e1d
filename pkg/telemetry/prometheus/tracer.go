package amprom

import (
	"math/bits"
	"sync/atomic"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// tracer feeds the metrics. One tracer serves the whole tree: submachines
// inherit it, so each hook looks up the state of its machine.
type tracer struct {
	am.NoOpTracer
	m *Metrics
	// last is the state of the machine looked up last. Machines tend to
	// make several transitions in a row, and a hit costs an atomic load
	// instead of a map lookup.
	last atomic.Pointer[machState]
}

// state returns the state of an observed machine, or nil.
func (t *tracer) state(mach *am.Machine) *machState {
	if st := t.last.Load(); st != nil && st.mach == mach {
		return st
	}
	v, ok := t.m.machines.Load(mach)
	if !ok {
		return nil
	}
	st := v.(*machState)
	t.last.Store(st)
	return st
}

var _ am.Tracer = (*tracer)(nil)

// TracerID returns "amprom".
func (t *tracer) TracerID() string { return "amprom" }

// BorrowsTransitions returns true: the tracer adds a transition to its sums
// at TransitionEnd and keeps nothing of it, so machines may reuse their
// records ([am.TransitionBorrower]).
func (t *tracer) BorrowsTransitions() bool { return true }

// TracerHooks returns the one hook of the hot path the tracer implements,
// so that machines skip the others ([am.HookFilter]).
func (t *tracer) TracerHooks() am.TracerHooks { return am.HookTransitionEnd }

// Inheritable returns true, so that submachines get metrics without code.
func (t *tracer) Inheritable() bool { return true }

// MachineInit starts collecting the machine.
func (t *tracer) MachineInit(mach *am.Machine) { t.m.observe(mach) }

// MachineDispose unregisters the machine's series.
func (t *tracer) MachineDispose(machineID string) { t.m.forget(machineID) }

// SchemaChange refreshes the gauges that describe the schema.
func (t *tracer) SchemaChange(mach *am.Machine, _ am.Schema) {
	if st := t.state(mach); st != nil {
		st.schemaChanged()
	}
}

// TransitionEnd adds the transition to the machine's series set. Checks
// (dry runs) are not transitions and are skipped; a mutation rejected
// because the queue was full counts as a canceled transition.
func (t *tracer) TransitionEnd(tx *am.Transition) {
	if tx.CheckOnly {
		return
	}
	if st := t.state(tx.Machine); st != nil {
		if tx.OffQueue() {
			st.recordRejected(tx)
			return
		}
		st.record(tx)
	}
}

// machState is what the metrics keep per machine. Its fields are only
// touched from the machine's hooks, which the machine serializes.
type machState struct {
	mach      *am.Machine
	id        string
	group     *group
	exception int
	schema    schemaStats
	active    int
	// touched is a bitset of state indexes, reused by every transition so
	// that counting touched states allocates nothing.
	touched []uint64
	// spanner gives the transitions' spans, for exemplars; until one is
	// found, the tracers are looked at again from nextLookup on.
	spanner    transitionSpanner
	nextLookup time.Time
}

func newMachState(mach *am.Machine) *machState {
	st := &machState{mach: mach, id: mach.ID(), exception: mach.Index1(am.Exception)}
	st.readSchema()
	for _, tick := range mach.Time(nil) {
		st.active += int(tick % 2)
	}
	return st
}

func (st *machState) readSchema() {
	schema := st.mach.Schema()
	referenced := map[string]bool{}
	for _, s := range schema {
		for _, rel := range [...]am.S{s.Require, s.Add, s.Remove, s.After} {
			for _, name := range rel {
				referenced[name] = true
			}
		}
	}
	st.schema = schemaStats{states: len(schema), relations: st.mach.RelationCount(), referenced: len(referenced)}
	if words := (len(schema) + 63) / 64; len(st.touched) < words {
		st.touched = make([]uint64, words)
	}
}

// join adds the machine to g.
func (st *machState) join(g *group) {
	st.group = g
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members++
	g.states += st.schema.states
	g.active += st.active
	g.schema = st.schema
}

// leave takes the disposed machine out of its group.
func (st *machState) leave() {
	g := st.group
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members--
	g.states -= st.schema.states
	g.active -= st.active
}

func (st *machState) schemaChanged() {
	prev := st.schema.states
	st.readSchema()
	g := st.group
	g.mu.Lock()
	defer g.mu.Unlock()
	g.states += st.schema.states - prev
	g.schema = st.schema
}

// record adds one transition to the machine's series set. It runs for every
// transition, so it only adds integers and allocates nothing.
func (st *machState) record(tx *am.Transition) {
	s := sums{transitions: 1, steps: uint64(len(tx.Steps)), handlers: uint64(tx.Handlers), queueLen: uint64(tx.QueueLen)}
	if !tx.Accepted {
		s.canceled = 1
	}
	if k := int(tx.Mutation.Type) - 1; k >= 0 && k < len(s.mutations) {
		s.mutations[k] = 1
	}
	before, after := tx.TimeBefore, tx.TimeAfter
	delta := 0
	for i, a := range after {
		b := before[i]
		if a == b {
			continue
		}
		st.mark(i)
		s.ticks += a - b
		if a%2 == 1 {
			s.added++
		} else {
			s.removed++
		}
		delta += int(a%2) - int(b%2)
	}
	if ex := st.exception; ex >= 0 && ex < len(after) && after[ex] != before[ex] && after[ex]%2 == 1 {
		s.errors = 1
	}
	for _, step := range tx.Steps {
		if isRelationStep(step.Type) {
			st.mark(step.State)
			st.mark(step.Related)
		}
	}
	for w, word := range st.touched {
		s.touched += uint64(bits.OnesCount64(word))
		st.touched[w] = 0
	}
	st.active += delta
	duration := tx.End.Sub(tx.Start)
	s.duration = duration
	var ex exemplar
	if sc, ok := st.spanOf(tx); ok {
		ex.traceID, ex.spanID = sc.TraceID(), sc.SpanID()
	}

	g := st.group
	g.mu.Lock()
	g.record(&s, duration, tx.QueueLen, tx.End, ex)
	g.active += delta
	g.mu.Unlock()
}

// recordRejected counts a mutation rejected before it reached the queue. It
// runs in the caller's goroutine, concurrently with the machine's hooks, so
// it touches only the group, under its lock.
func (st *machState) recordRejected(tx *am.Transition) {
	s := sums{transitions: 1, canceled: 1, queueLen: uint64(tx.QueueLen)}
	if k := int(tx.Mutation.Type) - 1; k >= 0 && k < len(s.mutations) {
		s.mutations[k] = 1
	}
	g := st.group
	g.mu.Lock()
	g.record(&s, 0, tx.QueueLen, tx.End, exemplar{})
	g.mu.Unlock()
}

// mark sets state index i in the touched bitset; -1 (no state) is ignored.
func (st *machState) mark(i int) {
	if i >= 0 && i/64 < len(st.touched) {
		st.touched[i/64] |= 1 << (i % 64)
	}
}

// isRelationStep reports whether a step is a resolution decision, whose
// states count as touched, rather than a handler call.
func isRelationStep(t am.StepType) bool {
	switch t {
	case am.StepRequested, am.StepImplied, am.StepRemoved, am.StepDropped,
		am.StepRequirementLost, am.StepConflict, am.StepMissingRequirement:
		return true
	}
	return false
}
