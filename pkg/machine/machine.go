package machine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Opts configures a new machine. The zero value is valid.
type Opts struct {
	// ID identifies the machine in logs and telemetry. Empty means a random
	// ID. Keep IDs unique among machines that share an exporter.
	ID string
	// Parent makes the new machine a submachine: it inherits the parent's
	// inheritable tracers, the parent's tracers see [Tracer.NewSubmachine],
	// and disposing the parent disposes it.
	Parent *Machine
	// Tags are free-form labels, shown by the debugger.
	Tags []string
	// Tracers are bound before the machine starts.
	Tracers []Tracer
	// LogLevel is the initial log level; see [Machine.SetLogLevel].
	LogLevel LogLevel
	// Logger is the machine's own log output; nil means standard error.
	// Sinks added with [Machine.AddLogSink] (exporters) receive entries
	// too, without replacing it; use [DiscardLogs] to keep entries off
	// standard error while exporters still get them.
	Logger LogSink
	// LoggableArgs names the mutation args that logs and telemetry may
	// include. Other args are never exported. See [Machine.LoggableArgs].
	LoggableArgs []string
	// Order gives the state index explicitly. It must list every state of
	// the schema once; Exception goes first when it is left out. Empty
	// means Exception, then the other states sorted by name.
	Order S
	// Groups name sets of states, for example the states of one phase of
	// a workflow, so that debuggers and telemetry filters can show and
	// select them together. Every listed state must be in the schema; a
	// state may be in several groups. See [Machine.Groups].
	Groups map[string]S
	// HandlerTimeout is how long a handler may run. Zero means
	// [DefaultHandlerTimeout]; a negative value turns the guard off. Go
	// cannot stop a handler, so the machine reports one that overruns
	// while it still runs (an error log entry and [Tracer.HandlerTimeout]),
	// cancels its [Event.Ctx], and when it returns treats it as failed: a
	// negotiation handler cancels the transition, a final handler adds
	// [Exception] with an error wrapping [ErrHandlerTimeout]. The machine
	// checks every quarter of the timeout, at most every second, so it
	// sees an overrun up to that long after the deadline; a handler that
	// returns within that slack counts as on time.
	HandlerTimeout time.Duration
	// QueueLimit is how many entries the queue may hold. Zero or less
	// means [DefaultQueueLimit]. A mutation that would exceed it is [Canceled]
	// with [ErrQueueFull] instead of waiting: the caller never blocks and
	// the queue's memory stays bounded.
	QueueLimit int
}

// DefaultHandlerTimeout is the handler deadline of a machine whose
// [Opts.HandlerTimeout] is zero. Handlers should return in microseconds
// and hand slow work to goroutines; a handler running for seconds is stuck.
const DefaultHandlerTimeout = 5 * time.Second

// DefaultQueueLimit is the queue limit of a machine whose [Opts.QueueLimit]
// is zero: far above what a healthy machine queues, low enough that a flood
// is rejected before it exhausts memory.
const DefaultQueueLimit = 10_000

// OptsWithParentTracers returns a copy of opts (nil is allowed) whose Tracers
// also hold parent's inheritable tracers, without making the new machine a
// submachine of parent.
func OptsWithParentTracers(opts *Opts, parent *Machine) *Opts {
	out := Opts{}
	if opts != nil {
		out = *opts
	}
	out.Tracers = slices.Clone(out.Tracers)
	for _, t := range parent.inheritableTracers() {
		if !slices.Contains(out.Tracers, t) {
			out.Tracers = append(out.Tracers, t)
		}
	}
	return &out
}

// Machine is a multi-state machine. All its methods are safe for concurrent
// use. See the package documentation for the model.
type Machine struct {
	id           string
	parentID     string
	tags         []string
	loggableArgs []string
	ctx          context.Context
	cancel       context.CancelFunc
	stopCtxWatch func() bool
	disposedCh   chan struct{}
	logLevel     atomic.Int32
	groups       map[string]S
	queueLimit   int
	// wd watches the running handler for overruns.
	wd watchdog

	// mu guards everything below. The runner releases it while handlers
	// and tracers run, so they may read the machine freely.
	mu        sync.Mutex
	schema    *compiled
	clocks    Time
	tracers   []Tracer
	sinks     []LogSink
	handlers  []*handlerSet
	queue     []queued
	queueHead int
	running   bool
	disposing bool
	disposed  bool
	err       error
	cancelErr error
	txSeq     uint64
	current   *Transition
	waiters   []*waiter
	stateCtxs map[int]stateCtx
	parent    *Machine
	children  []*Machine

	// tracing is tracers as the hot path reads them; while every tracer is
	// a [TransitionBorrower], transitions reuse spare, under mu. The
	// watchdog detaches it from a transition it reports (reportOverdue).
	tracing *tracerSet
	spare   *Transition

	// res is the resolver's scratch space, used only by the runner.
	res resolver
}

// New creates a machine for schema. The machine is disposed when ctx ends.
// It returns an error naming the state and the problem for an invalid
// schema, and an error for a nil ctx or a disposed parent.
func New(ctx context.Context, schema Schema, opts *Opts) (*Machine, error) {
	if ctx == nil {
		return nil, fmt.Errorf("new machine: nil context")
	}
	if opts == nil {
		opts = &Opts{}
	}
	c, err := compileShared(schema, opts.Order)
	if err != nil {
		return nil, fmt.Errorf("new machine %q: %w", opts.ID, err)
	}
	return newMachine(ctx, c, opts, nil)
}

// newMachine creates a machine for the compiled schema c, with clocks
// (nil means all zero) in place before any tracer sees the machine.
func newMachine(ctx context.Context, c *compiled, opts *Opts, clocks Time) (*Machine, error) {
	if ctx == nil {
		return nil, fmt.Errorf("new machine: nil context")
	}
	groups, err := checkGroups(c, opts.Groups)
	if err != nil {
		return nil, fmt.Errorf("new machine %q: %w", opts.ID, err)
	}
	m := &Machine{
		id:           opts.ID,
		groups:       groups,
		queueLimit:   opts.QueueLimit,
		tags:         slices.Clone(opts.Tags),
		loggableArgs: slices.Clone(opts.LoggableArgs),
		disposedCh:   make(chan struct{}),
		schema:       c,
		clocks:       clocks,
		tracers:      slices.Clone(opts.Tracers),
	}
	if m.clocks == nil {
		m.clocks = make(Time, len(c.names))
	}
	if m.id == "" {
		m.id = fmt.Sprintf("%08x", rand.Uint32())
	}
	m.sinks = []LogSink{stderrSink}
	if opts.Logger != nil {
		m.sinks[0] = opts.Logger
	}
	m.logLevel.Store(int32(opts.LogLevel))
	m.wd.init(opts.HandlerTimeout)
	if m.queueLimit <= 0 {
		m.queueLimit = DefaultQueueLimit
	}

	if p := opts.Parent; p != nil {
		p.mu.Lock()
		if p.disposing {
			p.mu.Unlock()
			return nil, fmt.Errorf("new machine %q: parent %s: %w", m.id, p.id, ErrDisposed)
		}
		p.children = append(p.children, m)
		p.mu.Unlock()
		m.parent, m.parentID = p, p.id
		for _, t := range p.inheritableTracers() {
			if !slices.Contains(m.tracers, t) {
				m.tracers = append(m.tracers, t)
			}
		}
	}
	m.setTracers(m.tracers)
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.stopCtxWatch = context.AfterFunc(ctx, m.Dispose)

	if p := opts.Parent; p != nil {
		for _, t := range p.Tracers() {
			p.callTracer(t, "NewSubmachine", func() { t.NewSubmachine(p, m) })
		}
	}
	for _, t := range m.tracers {
		m.callTracer(t, "MachineInit", func() { t.MachineInit(m) })
	}
	return m, nil
}

// ID returns the machine's ID.
func (m *Machine) ID() string { return m.id }

// ParentID returns the parent's ID, or "" for a machine without a parent.
func (m *Machine) ParentID() string { return m.parentID }

// Tags returns the machine's tags.
func (m *Machine) Tags() []string { return slices.Clone(m.tags) }

// Ctx returns the machine's context, canceled when the machine is disposed.
func (m *Machine) Ctx() context.Context { return m.ctx }

// StateNames returns the state index: the order of [Time] and of the state
// indexes in [Mutation] and [Step].
func (m *Machine) StateNames() S {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.schema.names)
}

// Index1 returns the index of a state, or -1 if the schema lacks it.
func (m *Machine) Index1(state string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.schema.index[state]; ok {
		return i
	}
	return -1
}

// Schema returns a copy of the machine's schema, Exception included.
func (m *Machine) Schema() Schema {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.schema.cloneSchema()
}

// Groups returns the state groups of [Opts.Groups], each with its states
// in index order. The map is a copy.
func (m *Machine) Groups() map[string]S {
	out := make(map[string]S, len(m.groups))
	for name, states := range m.groups {
		out[name] = slices.Clone(states)
	}
	return out
}

// HandlerOrder returns the state indexes in the order their handlers run
// within a phase: After dependencies first, then index order.
func (m *Machine) HandlerOrder() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.schema.order)
}

// RelationCount returns the number of relation entries (Require, Add,
// Remove and After) in the schema.
func (m *Machine) RelationCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.schema.relations
}

// Is reports whether all the states are active. Unknown states are never
// active.
func (m *Machine) Is(states S) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range states {
		if !m.is(name) {
			return false
		}
	}
	return true
}

// Is1 reports whether state is active.
func (m *Machine) Is1(state string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.is(state)
}

// Not reports whether none of the states is active.
func (m *Machine) Not(states S) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range states {
		if m.is(name) {
			return false
		}
	}
	return true
}

// Any reports whether at least one of the states is active.
func (m *Machine) Any(states S) bool { return !m.Not(states) }

func (m *Machine) is(name string) bool {
	i, ok := m.schema.index[name]
	return ok && m.clocks[i]%2 == 1
}

// Tick returns the clock of a state: how many times it was activated and
// deactivated. Odd means active. Unknown states return 0.
func (m *Machine) Tick(state string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.schema.index[state]; ok {
		return m.clocks[i]
	}
	return 0
}

// Time returns the clocks of the states, in the order given; nil means all
// states in index order. Unknown states read 0.
func (m *Machine) Time(states S) Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if states == nil {
		return slices.Clone(m.clocks)
	}
	t := make(Time, len(states))
	for k, name := range states {
		if i, ok := m.schema.index[name]; ok {
			t[k] = m.clocks[i]
		}
	}
	return t
}

// Clock returns the clocks of the states by name; nil means all states.
func (m *Machine) Clock(states S) Clock {
	m.mu.Lock()
	defer m.mu.Unlock()
	if states == nil {
		states = m.schema.names
	}
	c := make(Clock, len(states))
	for _, name := range states {
		if i, ok := m.schema.index[name]; ok {
			c[name] = m.clocks[i]
		}
	}
	return c
}

// IsClock reports whether no state of c has ticked since c was taken (for
// example with [Machine.Clock]): every state's clock still equals its
// value in c. A state the schema lacks makes it false.
func (m *Machine) IsClock(c Clock) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, tick := range c {
		i, ok := m.schema.index[name]
		if !ok || m.clocks[i] != tick {
			return false
		}
	}
	return true
}

// IsTime reports whether the clocks of states still equal t, a snapshot
// taken with [Machine.Time] for the same states; nil states means all
// states in index order. A length mismatch or a state the schema lacks
// makes it false.
func (m *Machine) IsTime(t Time, states S) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if states == nil {
		return slices.Equal(t, m.clocks)
	}
	if len(t) != len(states) {
		return false
	}
	for k, name := range states {
		i, ok := m.schema.index[name]
		if !ok || m.clocks[i] != t[k] {
			return false
		}
	}
	return true
}

// ActiveStates returns the active states in index order.
func (m *Machine) ActiveStates() S {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out S
	for i, c := range m.clocks {
		if c%2 == 1 {
			out = append(out, m.schema.names[i])
		}
	}
	return out
}

// Err returns the error of the last [Machine.AddErr] or handler panic, or nil.
func (m *Machine) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// LastCancel returns why the most recent canceled mutation was canceled,
// or nil. Auto transitions are the machine's own and do not change it;
// nor do dry runs ([Machine.Check]). Test it with [errors.Is] against
// [ErrUnknownState], [ErrDisposed], [ErrConflict], [ErrRequirement],
// [ErrHandlerCanceled], [ErrHandlerPanic], [ErrHandlerTimeout] and
// [ErrQueueFull].
func (m *Machine) LastCancel() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cancelErr
}

// QueueLen returns how many mutations and operations wait in the queue.
func (m *Machine) QueueLen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) - m.queueHead
}

// IsDisposed reports whether the machine has been disposed (or is about to
// be: a dispose waiting in the queue counts).
func (m *Machine) IsDisposed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.disposing
}

// Dispose stops the machine: later mutations are canceled with
// [ErrDisposed], submachines are disposed, waiters are released, tracers get
// [Tracer.MachineDispose] and the machine's context is canceled. Mutations
// queued before the call still run. Dispose is idempotent and does not wait
// for a running transition; use [Machine.WhenDisposed] to wait.
func (m *Machine) Dispose() {
	m.mu.Lock()
	if m.disposing {
		m.mu.Unlock()
		return
	}
	m.disposing = true
	m.mu.Unlock()
	m.serialize(m.dispose)
}

func (m *Machine) dispose() {
	m.mu.Lock()
	children := slices.Clone(m.children)
	m.mu.Unlock()
	for _, c := range children {
		c.Dispose()
	}
	for _, t := range m.Tracers() {
		m.callTracer(t, "MachineDispose", func() { t.MachineDispose(m.id) })
	}

	m.mu.Lock()
	m.disposed = true
	waiters := m.waiters
	m.waiters = nil
	ctxs := m.stateCtxs
	m.stateCtxs = nil
	m.mu.Unlock()

	for _, w := range waiters {
		w.release()
	}
	for _, sc := range ctxs {
		sc.cancel()
	}
	m.stopCtxWatch()
	m.cancel()
	close(m.disposedCh)
	if p := m.parent; p != nil {
		p.mu.Lock()
		if i := slices.Index(p.children, m); i >= 0 {
			p.children = slices.Delete(p.children, i, i+1)
		}
		p.mu.Unlock()
	}
	m.log(LogLevelOps, "[dispose]")
}
