package amprom_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// workload is a known mix of transitions: ops rounds of five transitions
// (two of them queued by a handler), errs errors and cancels transitions
// canceled by a missing requirement.
type workload struct{ ops, errs, cancels int }

// transitions is how many transitions the workload makes.
func (w workload) transitions() int { return 5*w.ops + w.errs + w.cancels }

// queueingHandlers make DState queue two mutations, so that queue lengths
// are not all zero.
type queueingHandlers struct{}

func (*queueingHandlers) DState(e *am.Event) {
	e.Machine.EvAdd1(e, "A", nil)
	e.Machine.EvAdd1(e, "A", nil)
}

// newMachine creates a machine of the workload's schema; parent may be nil.
func newMachine(t testing.TB, id string, parent *am.Machine) *am.Machine {
	t.Helper()
	mach, err := am.New(context.Background(), machtest.MutationsSchema(), &am.Opts{ID: id, Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mach.Dispose)
	if err := mach.BindHandlers(&queueingHandlers{}); err != nil {
		t.Fatal(err)
	}
	return mach
}

// run makes the workload's transitions and waits for the queue to drain.
func (w workload) run(t testing.TB, mach *am.Machine) {
	t.Helper()
	for range w.ops {
		mach.Add(am.S{"A", "B"}, nil)
		mach.Add1("D", nil)
		mach.Remove(am.S{"A", "C", "D"}, nil)
	}
	for i := range w.errs {
		mach.AddErr(fmt.Errorf("error %d", i), nil)
	}
	for range w.cancels {
		// B requires A, which is inactive
		if res := mach.Add1("B", nil); res != am.Canceled {
			t.Fatalf("Add1(B) = %v, want canceled", res)
		}
	}
	<-mach.WhenQueueDone(context.Background())
}

// recorder keeps every transition of the machines it is bound to, so that
// tests can compute what the metrics must say with the machine's own
// Transition methods.
type recorder struct {
	am.NoOpTracer
	mu  sync.Mutex
	txs map[string][]*am.Transition
}

func newRecorder() *recorder { return &recorder{txs: map[string][]*am.Transition{}} }

func (r *recorder) Inheritable() bool { return true }

func (r *recorder) TransitionEnd(tx *am.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.txs[tx.MachineID] = append(r.txs[tx.MachineID], tx)
}

// lastEnd returns when the machine's last transition ended.
func (r *recorder) lastEnd(machineID string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	txs := r.txs[machineID]
	return txs[len(txs)-1].End
}

func (r *recorder) of(machineID string) []*am.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.txs[machineID])
}

// expected are the totals a series set must report for txs.
type expected struct {
	transitions, canceled, errors                   float64
	mutations                                       map[string]float64
	added, removed, touched, ticks, steps, handlers float64
	queueLen                                        float64
	duration                                        time.Duration
	queueLens                                       []int
	durations                                       []time.Duration
}

func expect(txs []*am.Transition) expected {
	e := expected{mutations: map[string]float64{"add": 0, "remove": 0, "set": 0}}
	for _, tx := range txs {
		e.transitions++
		if !tx.Accepted {
			e.canceled++
		}
		e.mutations[tx.Mutation.Type.String()]++
		for i := range tx.StateNames() {
			if tx.IsActivated(i) {
				e.added++
				if tx.StateNames()[i] == am.Exception {
					e.errors++
				}
			}
			if tx.IsDeactivated(i) {
				e.removed++
			}
			if tx.IsTouched(i) {
				e.touched++
			}
			e.ticks += float64(tx.TimeAfter[i] - tx.TimeBefore[i])
		}
		e.steps += float64(len(tx.Steps))
		e.handlers += float64(tx.Handlers)
		e.queueLen += float64(tx.QueueLen)
		e.duration += tx.End.Sub(tx.Start)
		e.queueLens = append(e.queueLens, tx.QueueLen)
		e.durations = append(e.durations, tx.End.Sub(tx.Start))
	}
	return e
}

// mean is how the interval gauges divide: exactly, in float64, and 0 for
// an interval without transitions.
func (e expected) mean(sum float64) float64 {
	if e.transitions == 0 {
		return 0
	}
	return sum / e.transitions
}

// series are the values of gathered samples by "name{label="value",...}",
// labels sorted; histograms give name_count, name_sum and name_bucket.
type series map[string]float64

func gather(t testing.TB, g prometheus.Gatherer) series {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := series{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := labelPairs(m.GetLabel())
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key(mf.GetName(), labels)] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key(mf.GetName(), labels)] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out[key(mf.GetName()+"_count", labels)] = float64(h.GetSampleCount())
				out[key(mf.GetName()+"_sum", labels)] = h.GetSampleSum()
				for _, b := range h.GetBucket() {
					le := append(slices.Clone(labels), "le="+fmt.Sprint(b.GetUpperBound()))
					out[key(mf.GetName()+"_bucket", le)] = float64(b.GetCumulativeCount())
				}
				inf := append(slices.Clone(labels), "le=+Inf")
				out[key(mf.GetName()+"_bucket", inf)] = float64(h.GetSampleCount())
			default:
				t.Fatalf("unexpected metric type %v of %s", mf.GetType(), mf.GetName())
			}
		}
	}
	return out
}

// labelPairs formats labels as name=value, leaving out empty ones, as
// Prometheus does when it ingests them.
func labelPairs(lps []*dto.LabelPair) []string {
	var out []string
	for _, lp := range lps {
		if lp.GetValue() != "" {
			out = append(out, lp.GetName()+"="+lp.GetValue())
		}
	}
	return out
}

func key(name string, labels []string) string {
	labels = slices.Clone(labels)
	sort.Strings(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

// of returns the series of one label value ("machine_id=p"), keyed
// without it.
func (s series) of(label string) series {
	out := series{}
	for k, v := range s {
		name, rest, _ := strings.Cut(k, "{")
		labels := strings.Split(strings.TrimSuffix(rest, "}"), ",")
		if i := slices.Index(labels, label); i >= 0 {
			out[key(name, slices.Delete(labels, i, i+1))] = v
		}
	}
	return out
}

// want returns the totals every series set must report for e, keyed like
// series.of, for the given buckets.
func (e expected) want(durationBuckets, queueBuckets []float64) series {
	s := series{
		"am_transitions_total{}":                 e.transitions,
		"am_transitions_canceled_total{}":        e.canceled,
		"am_errors_total{}":                      e.errors,
		"am_states_added_total{}":                e.added,
		"am_states_removed_total{}":              e.removed,
		"am_states_touched_total{}":              e.touched,
		"am_ticks_total{}":                       e.ticks,
		"am_steps_total{}":                       e.steps,
		"am_handlers_total{}":                    e.handlers,
		"am_transition_duration_seconds_count{}": e.transitions,
		"am_transition_duration_seconds_sum{}":   e.duration.Seconds(),
		"am_queue_length_count{}":                e.transitions,
		"am_queue_length_sum{}":                  e.queueLen,
	}
	for typ, n := range e.mutations {
		s["am_mutations_total{type="+typ+"}"] = n
	}
	for _, b := range durationBuckets {
		n := 0
		for _, d := range e.durations {
			if d.Seconds() <= b {
				n++
			}
		}
		s["am_transition_duration_seconds_bucket{le="+fmt.Sprint(b)+"}"] = float64(n)
	}
	s["am_transition_duration_seconds_bucket{le=+Inf}"] = e.transitions
	for _, b := range queueBuckets {
		n := 0
		for _, q := range e.queueLens {
			if float64(q) <= b {
				n++
			}
		}
		s["am_queue_length_bucket{le="+fmt.Sprint(b)+"}"] = float64(n)
	}
	s["am_queue_length_bucket{le=+Inf}"] = e.transitions
	return s
}

// wantInterval returns the interval gauges for an interval holding e.
func (e expected) wantInterval() series {
	s := series{
		"am_interval_transitions{}":                     e.transitions,
		"am_interval_transitions_canceled{}":            e.canceled,
		"am_interval_errors{}":                          e.errors,
		"am_interval_avg_states_added{}":                e.mean(e.added),
		"am_interval_avg_states_removed{}":              e.mean(e.removed),
		"am_interval_avg_states_touched{}":              e.mean(e.touched),
		"am_interval_avg_ticks{}":                       e.mean(e.ticks),
		"am_interval_avg_steps{}":                       e.mean(e.steps),
		"am_interval_avg_handlers{}":                    e.mean(e.handlers),
		"am_interval_avg_queue_length{}":                e.mean(e.queueLen),
		"am_interval_avg_transition_duration_seconds{}": e.mean(e.duration.Seconds()),
	}
	for typ, n := range e.mutations {
		s["am_interval_mutations{type="+typ+"}"] = n
	}
	return s
}

// compare reports every key of want whose value in got differs.
func compare(t testing.TB, what string, got, want series) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, k)
		case v != want[k]:
			t.Errorf("%s: %s = %v, want %v", what, k, v, want[k])
		}
	}
}

// errorCollector keeps what Opts.ErrorHandler receives.
type errorCollector struct {
	mu   sync.Mutex
	errs []error
}

func (c *errorCollector) handle(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err)
}

func (c *errorCollector) all() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.errs...)
}
