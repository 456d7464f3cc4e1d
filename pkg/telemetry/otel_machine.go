package amtele

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// machState is what the tracer knows about one machine. Unless noted, its
// fields belong to the goroutine running the machine's hooks, which the
// machine serializes.
type machState struct {
	t      *otelMachTracer
	mach   *am.Machine
	id     string
	parent *machState
	// depth counts the machine's ancestors traced by the same tracer.
	depth     int
	tree      *traceTree
	startedAt time.Time

	// Cached per machine, so hooks build no strings and no attributes that
	// do not change.
	machName string
	idAttr   attribute.KeyValue
	idOpt    trace.SpanStartOption
	// idAttrs and canceledAttrs are the attributes of handler spans; shared
	// slices, because a variadic call through an interface would allocate.
	idAttrs, canceledAttrs []attribute.KeyValue

	// gen is the machine's grouping spans in the current generation. It is
	// replaced under the tree's mu, possibly by a submachine's goroutine.
	gen atomic.Pointer[machGen]

	states    []stateInfo
	exception int
	// skipsStates is true when SkipState skipped at least one state, and
	// skippedHandlers holds their handler names.
	skipsStates     bool
	skippedHandlers map[string]bool
	txNames         map[txNameKey]txName
	argKeys         map[string]attribute.Key

	// run is the running transition.
	run runningTx
	// handlers times the handlers of transition handlersTx (an ID: the
	// machine may reuse one record for all its transitions), the running
	// one.
	handlers   []handlerRec
	handlersTx uint64

	// Scratch buffers, reused by every transition. Options go through
	// buffers too: a variadic call through an interface allocates its
	// slice.
	attrs     []attribute.KeyValue
	links     []trace.Link
	clocks    []byte
	startOpts []trace.SpanStartOption
	endOpts   []trace.SpanEndOption

	txLinks
}

// stateInfo is one state of the machine's index.
type stateInfo struct {
	name string
	skip bool
	attr attribute.KeyValue
	act  activation
}

// activation is a state's open activation, emitted as a span when it ends.
type activation struct {
	open bool
	// gen is the generation the activation began in, whose trace gets its
	// span: a span that starts before its trace would look like clock skew.
	gen   *machGen
	start time.Time
	tick  uint64
	// err and errType are the error of an Exception activation.
	err     string
	errType attribute.KeyValue
}

// handlerRec times one handler of the running transition.
type handlerRec struct {
	name       string
	start, end time.Time
	panicked   bool
	canceled   bool
	timedOut   bool
}

// machSpanName names a machine's mach span.
func machSpanName(opts *OtelMachTracerOpts, id string) string {
	if opts.StableNames {
		return "mach"
	}
	return "mach:" + id
}

// handlerSuffixes name a state's handler methods; see am.Machine.BindHandlers.
var handlerSuffixes = [...]string{"Enter", "Exit", "State", "End"}

func newMachState(t *otelMachTracer, m *am.Machine, parent *machState, now time.Time) *machState {
	id := m.ID()
	ms := &machState{
		t:         t,
		mach:      m,
		id:        id,
		parent:    parent,
		startedAt: now,
		machName:  machSpanName(&t.opts, id),
		idAttr:    AttrMachineID.String(id),
		exception: -1,
		txNames:   map[txNameKey]txName{},
		argKeys:   map[string]attribute.Key{},
		endOpts:   make([]trace.SpanEndOption, 1),
	}
	ms.idOpt = trace.WithAttributes(ms.idAttr)
	ms.idAttrs = []attribute.KeyValue{ms.idAttr}
	ms.canceledAttrs = []attribute.KeyValue{ms.idAttr, handlerCanceledAttr}
	if parent != nil {
		ms.tree = parent.tree
		ms.depth = parent.depth + 1
	} else {
		ms.tree = newTraceTree(&t.opts, now)
	}
	return ms
}

// start makes the machine's grouping spans and opens activations for the
// states already active, which a tracer bound to a running machine finds:
// their spans begin when tracing began.
func (ms *machState) start(now time.Time) {
	ms.loadSchema()
	mg := ms.current()
	for i, tick := range ms.mach.Time(nil) {
		if i < len(ms.states) && tick%2 == 1 && !ms.states[i].skip {
			ms.states[i].act = activation{open: true, gen: mg, start: now, tick: tick}
		}
	}
}

// loadSchema extends the per-state caches to the machine's current index.
// States keep their index across schema changes, so only new ones are added.
func (ms *machState) loadSchema() {
	skip := ms.t.opts.SkipState
	for _, name := range ms.mach.StateNames()[len(ms.states):] {
		st := stateInfo{
			name: name,
			skip: skip != nil && skip(ms.mach, name),
			attr: AttrState.String(name),
		}
		if name == am.Exception {
			ms.exception = len(ms.states)
		}
		if st.skip {
			if !ms.skipsStates {
				ms.skipsStates = true
				ms.skippedHandlers = map[string]bool{}
			}
			for _, suffix := range handlerSuffixes {
				ms.skippedHandlers[name+suffix] = true
			}
		}
		ms.states = append(ms.states, st)
	}
}

func (ms *machState) handlerStart(tx *am.Transition, name string, now time.Time) {
	if ms.handlersTx != tx.ID {
		ms.handlers = ms.handlers[:0]
		ms.handlersTx = tx.ID
	}
	ms.handlers = append(ms.handlers, handlerRec{name: name, start: now})
}

func (ms *machState) handlerEnd(tx *am.Transition, now time.Time) {
	// handlers of one machine never nest, so the last one is ending
	if ms.handlersTx == tx.ID && len(ms.handlers) > 0 {
		ms.handlers[len(ms.handlers)-1].end = now
	}
}

// txHandlers returns the timed handlers of tx, marked with how they ended.
func (ms *machState) txHandlers(tx *am.Transition) []handlerRec {
	if ms.handlersTx != tx.ID {
		return nil
	}
	hs := ms.handlers
	for _, s := range tx.Steps {
		if s.Type != am.StepHandlerPanic && s.Type != am.StepHandlerCanceled && s.Type != am.StepHandlerTimeout {
			continue
		}
		for k := len(hs) - 1; k >= 0; k-- {
			if hs[k].name == s.Handler {
				hs[k].panicked = hs[k].panicked || s.Type == am.StepHandlerPanic
				hs[k].canceled = hs[k].canceled || s.Type == am.StepHandlerCanceled
				hs[k].timedOut = hs[k].timedOut || s.Type == am.StepHandlerTimeout
				break
			}
		}
	}
	return hs
}

// dispose emits the activations still open, ended at now.
func (ms *machState) dispose(now time.Time) {
	for i := range ms.states {
		if ms.states[i].act.open {
			ms.endActivation(i, now)
		}
	}
}

// startAt starts a span under parent at ts, with links given at start.
func (ms *machState) startAt(parent context.Context, name string, ts time.Time, links []trace.Link) (context.Context, trace.Span) {
	opts := append(ms.startOpts[:0], trace.WithTimestamp(ts))
	if len(links) > 0 {
		opts = append(opts, trace.WithLinks(links...))
	}
	ctx, span := ms.t.tracer.Start(parent, name, opts...)
	ms.startOpts = opts[:0]
	return ctx, span
}

// endAt ends span at ts.
func (ms *machState) endAt(span trace.Span, ts time.Time) {
	ms.endOpts[0] = trace.WithTimestamp(ts)
	span.End(ms.endOpts...)
}

// txLinks keeps the span contexts of the running and recent transitions,
// which links and other exporters ([TransitionSpanner]) look up from other
// goroutines, so it is guarded by its own mutex.
type txLinks struct {
	linkMu sync.Mutex
	// running is the transition between TransitionInit and TransitionEnd,
	// with its span if traced.
	running txRef
	// recent holds the span contexts of the last transitions, by ID modulo
	// its size; a queued mutation usually runs soon after its source ends.
	recent [16]txRef
	// lastEnded is the ID of the last transition that ended, traced or not.
	lastEnded uint64
}

// txRef is a transition's span context by the transition's ID.
type txRef struct {
	id uint64
	sc trace.SpanContext
}

// txSpan returns the span of transition id, running or recently ended, if
// it has one. The span of a transition dropped by a filter is forgotten
// when it ends.
func (l *txLinks) txSpan(id uint64) (trace.SpanContext, bool) {
	l.linkMu.Lock()
	defer l.linkMu.Unlock()
	r := l.recent[id%uint64(len(l.recent))]
	if id > l.lastEnded {
		r = l.running
	}
	if r.id != id || !r.sc.IsValid() {
		return trace.SpanContext{}, false
	}
	return r.sc, true
}

// endedLocked records that transition id ended, with its span if traced.
func (l *txLinks) endedLocked(id uint64, sc trace.SpanContext) {
	l.lastEnded = id
	l.recent[id%uint64(len(l.recent))] = txRef{id: id, sc: sc}
}
