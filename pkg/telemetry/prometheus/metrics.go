package amprom

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amkit-dev/amkit/internal/ratelog"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// DefaultInterval is the interval of [TransitionsToPrometheus] called with
// a zero interval, and of [Opts] without one.
const DefaultInterval = time.Minute

// DefaultDurationBuckets are the upper bounds, in seconds, of the
// transition duration histogram: transitions usually take microseconds,
// and handlers that do I/O make them take up to seconds.
var DefaultDurationBuckets = []float64{
	1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5,
}

// DefaultQueueBuckets are the upper bounds of the queue length histogram.
var DefaultQueueBuckets = []float64{0, 1, 2, 4, 8, 16, 32, 64, 128, 256}

// Opts configures [New]. The zero value is valid.
type Opts struct {
	// Interval is the period the interval gauges (am_interval_*) cover.
	// Zero means [DefaultInterval].
	Interval time.Duration
	// SchemaOf, when set, labels series by machine type instead of machine
	// ID: machines for which it returns the same name share one series set
	// labelled schema. It must return one of a few fixed names, such as
	// "worker"; an empty name falls back to the machine ID. See the package
	// documentation on cardinality.
	SchemaOf func(mach *am.Machine) string
	// DurationBuckets are the upper bounds, in seconds, of the transition
	// duration histogram, in increasing order. Nil means
	// [DefaultDurationBuckets].
	DurationBuckets []float64
	// QueueBuckets are the upper bounds of the queue length histogram, in
	// increasing order. Nil means [DefaultQueueBuckets].
	QueueBuckets []float64
	// ErrorHandler receives the errors that no call can return: a
	// submachine that a registry rejects (its ID is already registered),
	// and failed pushes. Nil logs them with [slog.Default], because the
	// machine's own log is often off: at most one line per 10 seconds,
	// with the number of errors it stands for.
	ErrorHandler func(err error)
}

// Metrics holds the Prometheus series of an observed machine and its
// submachines. Create it with [TransitionsToPrometheus] or [New], then bind
// it to registries or pushers. Its methods are safe for concurrent use.
type Metrics struct {
	opts   Opts
	root   *am.Machine
	tracer *tracer
	start  time.Time
	now    func() time.Time
	// err is why TransitionsToPrometheus could not observe the machine;
	// the Bind methods return it.
	err          error
	pushFailures atomic.Uint64
	// logErrors rate-limits the default error handler.
	logErrors *ratelog.Limiter

	// machines maps *am.Machine to *machState; every transition reads it.
	machines sync.Map

	mu sync.Mutex
	// groups are the series sets, by groupKey.
	groups   map[string]*group
	byID     map[string][]*machState
	bindings []binding
	ended    bool
}

// TransitionsToPrometheus starts collecting the metrics of mach and of
// every submachine created from it, with interval gauges covering interval
// (zero means [DefaultInterval]). Bind the result with
// [Metrics.BindToRegistry] or [Metrics.BindToPusher]; if mach cannot be
// observed (it is disposed), those return the reason. Use [New] for more
// options.
func TransitionsToPrometheus(mach *am.Machine, interval time.Duration) *Metrics {
	m, err := New(mach, &Opts{Interval: interval})
	if err != nil {
		return &Metrics{err: err}
	}
	return m
}

// New starts collecting the metrics of mach and of every submachine created
// from it (with [am.Opts.Parent] or [am.OptsWithParentTracers]), with opts
// (nil is allowed). It binds an inheritable tracer to mach.
func New(mach *am.Machine, opts *Opts) (*Metrics, error) {
	return newMetrics(mach, opts, time.Now)
}

// newMetrics is New with a clock for gathering, which tests move forward to
// end intervals.
func newMetrics(mach *am.Machine, opts *Opts, now func() time.Time) (*Metrics, error) {
	if mach == nil {
		return nil, errors.New("amprom: nil machine")
	}
	o, err := resolveOpts(opts)
	if err != nil {
		return nil, fmt.Errorf("amprom: metrics of %s: %w", mach.ID(), err)
	}
	m := &Metrics{
		opts:   o,
		root:   mach,
		start:  now(),
		now:    now,
		groups: map[string]*group{},
		byID:   map[string][]*machState{},
	}
	m.logErrors = ratelog.New(errorLogInterval, m.logError)
	m.tracer = &tracer{m: m}
	if err := mach.BindTracer(m.tracer); err != nil {
		return nil, fmt.Errorf("amprom: observe %s: %w", mach.ID(), err)
	}
	return m, nil
}

func resolveOpts(opts *Opts) (Opts, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Interval < 0:
		return o, fmt.Errorf("negative interval %v", o.Interval)
	case o.Interval == 0:
		o.Interval = DefaultInterval
	}
	if o.DurationBuckets == nil {
		o.DurationBuckets = DefaultDurationBuckets
	}
	if o.QueueBuckets == nil {
		o.QueueBuckets = DefaultQueueBuckets
	}
	for name, b := range map[string][]float64{"duration": o.DurationBuckets, "queue": o.QueueBuckets} {
		if !slices.IsSorted(b) || len(slices.Compact(slices.Clone(b))) != len(b) {
			return o, fmt.Errorf("%s buckets %v are not in increasing order", name, b)
		}
	}
	// the histograms keep the bounds; later changes by the caller must not
	// reach them
	o.DurationBuckets = slices.Clone(o.DurationBuckets)
	o.QueueBuckets = slices.Clone(o.QueueBuckets)
	return o, nil
}

// PushFailures returns how many pushes to the pushers bound with
// [Metrics.BindToPusher] have failed. A failed push is not retried: the
// next one carries the values that it missed.
func (m *Metrics) PushFailures() uint64 { return m.pushFailures.Load() }

// labelOf returns the label name and value of mach's series set.
func (m *Metrics) labelOf(mach *am.Machine) (name, value string) {
	if m.opts.SchemaOf != nil {
		if s := m.opts.SchemaOf(mach); s != "" {
			return LabelSchema, s
		}
	}
	return LabelMachineID, mach.ID()
}

// observe starts collecting mach, creating and registering its series set
// when it is the first of it.
func (m *Metrics) observe(mach *am.Machine) {
	st := newMachState(mach)
	name, label := m.labelOf(mach)
	var errs []error

	m.mu.Lock()
	if m.ended {
		m.mu.Unlock()
		return
	}
	g := m.groups[groupKey(name, label)]
	switch {
	case g == nil:
		g = newGroup(name, label, m, m.now())
		m.groups[g.key()] = g
		for _, b := range m.bindings {
			if err := b.register(g); err != nil {
				errs = append(errs, fmt.Errorf("amprom: register series of %s=%q: %w", name, label, err))
			}
		}
	case name == LabelMachineID:
		// two machines with one ID cannot share a series set; the second
		// is collected but never exported
		errs = append(errs, fmt.Errorf("amprom: machine ID %q is observed twice; the second machine is not exported", label))
		g = newGroup(name, label, m, m.now())
	}
	st.join(g)
	m.byID[mach.ID()] = append(m.byID[mach.ID()], st)
	m.mu.Unlock()

	m.machines.Store(mach, st)
	for _, err := range errs {
		m.report(err)
	}
}

// forget stops collecting a disposed machine, and ends the metrics when it
// is the root.
func (m *Metrics) forget(machineID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	states := m.byID[machineID]
	i := slices.IndexFunc(states, func(st *machState) bool { return st.mach.IsDisposed() })
	if i < 0 {
		return
	}
	st := states[i]
	if states = slices.Delete(states, i, i+1); len(states) == 0 {
		delete(m.byID, machineID)
	} else {
		m.byID[machineID] = states
	}
	m.machines.Delete(st.mach)
	// a disposed machine must not stay reachable from the cache
	m.tracer.last.CompareAndSwap(st, nil)
	g := st.group
	st.leave()

	// schema sets outlive their machines, so their counters keep counting
	// across machines that come and go
	if g.labelName == LabelMachineID && m.groups[g.key()] == g {
		delete(m.groups, g.key())
		for _, b := range m.bindings {
			b.unregister(g)
		}
	}
	if st.mach == m.root {
		m.ended = true
		groups := slices.Collect(maps.Values(m.groups))
		for _, b := range m.bindings {
			b.end(groups)
		}
		m.bindings = nil
	}
}

// errorLogInterval is how often the default error handler logs, at most: a
// Pushgateway that is down fails every push.
const errorLogInterval = 10 * time.Second

// report hands an error that no call can return to the error handler, or
// logs it at most once per errorLogInterval.
func (m *Metrics) report(err error) {
	if h := m.opts.ErrorHandler; h != nil {
		h(err)
		return
	}
	m.logErrors.Report(err)
}

// logError is the default error handler's line, for n errors.
func (m *Metrics) logError(n uint64, text string) {
	slog.Default().Error("amprom: "+text, "errors", n, "machine", m.root.ID())
}
