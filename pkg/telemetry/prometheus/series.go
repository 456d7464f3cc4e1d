package amprom

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sums adds up transitions: since a series set was created (the counters),
// and within one interval (the interval gauges, divided by transitions).
// Integers keep the sums exact; division happens only at export.
type sums struct {
	transitions, canceled, errors                   uint64
	mutations                                       [len(mutationTypes)]uint64
	added, removed, touched, ticks, steps, handlers uint64
	queueLen                                        uint64
	duration                                        time.Duration
}

func (s *sums) add(o *sums) {
	s.transitions += o.transitions
	s.canceled += o.canceled
	s.errors += o.errors
	for i := range s.mutations {
		s.mutations[i] += o.mutations[i]
	}
	s.added += o.added
	s.removed += o.removed
	s.touched += o.touched
	s.ticks += o.ticks
	s.steps += o.steps
	s.handlers += o.handlers
	s.queueLen += o.queueLen
	s.duration += o.duration
}

// mean divides a sum by the number of transitions; an interval without
// transitions has a mean of 0, so that dashboards show a flat line rather
// than a gap.
func (s *sums) mean(v float64) float64 {
	if s.transitions == 0 {
		return 0
	}
	return v / float64(s.transitions)
}

// histogram counts observations per bucket; counts are not cumulative
// until export. Its sum is kept exactly by [sums].
type histogram struct {
	bounds []float64
	counts []uint64 // len(bounds)+1: the last one is +Inf
	// exemplars holds the last traced observation of each bucket, for the
	// histograms that keep them; nil otherwise.
	exemplars []exemplar
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// newExemplarHistogram is newHistogram keeping an exemplar per bucket.
func newExemplarHistogram(bounds []float64) histogram {
	h := newHistogram(bounds)
	h.exemplars = make([]exemplar, len(bounds)+1)
	return h
}

// observe counts v and returns its bucket.
func (h *histogram) observe(v float64) int {
	// the first bound >= v, buckets being "less or equal", looked for from
	// the smallest: most transitions are fast and most queues short, and
	// a few comparisons cost less than a binary search's
	i := 0
	for i < len(h.bounds) && h.bounds[i] < v {
		i++
	}
	h.counts[i]++
	return i
}

func (h *histogram) metric(desc *prometheus.Desc, sum float64, created time.Time) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.bounds))
	var n uint64
	for i, b := range h.bounds {
		n += h.counts[i]
		buckets[b] = n
	}
	n += h.counts[len(h.bounds)]
	m := prometheus.MustNewConstHistogramWithCreatedTimestamp(desc, n, sum, buckets, created)
	return withExemplars(m, h.exemplars)
}

// schemaStats describe a schema.
type schemaStats struct {
	states, relations, referenced int
}

// group is one series set: one machine, or every machine of a schema. It is
// the prometheus.Collector registered for it. Machines update it from their
// TransitionEnd hooks; registries read it when gathered.
type group struct {
	labelName, label string
	descs            *descs
	period           time.Duration
	created          time.Time
	now              func() time.Time

	mu sync.Mutex
	// closed sums the intervals before cur: the counters are closed plus
	// cur, so that a transition is added once
	closed   sums
	cur      sums
	last     sums
	hasLast  bool
	end      time.Time // of the interval summed in cur
	duration histogram
	queueLen histogram
	schema   schemaStats
	// members is the number of live machines in the set, states their
	// states and active their active states.
	members, states, active int
}

// groupKey identifies a series set by its label; a machine ID may equal a
// schema name.
func groupKey(labelName, label string) string { return labelName + "=" + label }

func (g *group) key() string { return groupKey(g.labelName, g.label) }

func newGroup(labelName, label string, m *Metrics, now time.Time) *group {
	g := &group{
		labelName: labelName,
		label:     label,
		descs:     newDescs(labelName, label, m.opts.SchemaOf != nil),
		period:    m.opts.Interval,
		created:   now,
		now:       m.now,
		duration:  newExemplarHistogram(m.opts.DurationBuckets),
		queueLen:  newHistogram(m.opts.QueueBuckets),
	}
	// intervals are aligned to the start of the metrics, so the sets of one
	// tree roll over together
	g.end = m.start.Add((now.Sub(m.start)/g.period + 1) * g.period)
	return g
}

// record adds one transition, with the IDs of its span in ex when traced
// (a zero ex otherwise). The caller holds mu.
func (g *group) record(tx *sums, duration time.Duration, queueLen int, end time.Time, ex exemplar) {
	g.roll(end)
	g.cur.add(tx)
	v := duration.Seconds()
	b := g.duration.observe(v)
	if ex.traceID.IsValid() {
		ex.value, ex.at = v, end
		g.duration.exemplars[b] = ex
	}
	g.queueLen.observe(float64(queueLen))
}

// roll closes the interval in cur once now has reached its end. When more
// than one interval has passed, the last one had no transitions.
func (g *group) roll(now time.Time) {
	if now.Before(g.end) {
		return
	}
	late := now.Sub(g.end)
	g.closed.add(&g.cur)
	if late < g.period {
		g.last = g.cur
	} else {
		g.last = sums{}
	}
	g.cur = sums{}
	g.hasLast = true
	g.end = g.end.Add((late/g.period + 1) * g.period)
}

// Describe implements prometheus.Collector.
func (g *group) Describe(ch chan<- *prometheus.Desc) {
	g.descs.each(func(d *prometheus.Desc) { ch <- d })
}

// snapshot is what Collect exports, copied under the lock.
type snapshot struct {
	total, last             sums
	hasLast                 bool
	duration, queueLen      histogram
	schema                  schemaStats
	members, states, active int
}

func (g *group) snapshot(now time.Time) snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roll(now)
	s := snapshot{
		total: g.closed, last: g.last, hasLast: g.hasLast,
		duration: g.duration, queueLen: g.queueLen,
		schema: g.schema, members: g.members, states: g.states, active: g.active,
	}
	s.total.add(&g.cur)
	s.duration.counts = slices.Clone(g.duration.counts)
	s.duration.exemplars = slices.Clone(g.duration.exemplars)
	s.queueLen.counts = slices.Clone(g.queueLen.counts)
	return s
}

// Collect implements prometheus.Collector.
func (g *group) Collect(ch chan<- prometheus.Metric) {
	s := g.snapshot(g.now())
	d := g.descs
	counter := func(desc *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetricWithCreatedTimestamp(desc, prometheus.CounterValue, float64(v), g.created, labels...)
	}
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}

	t := &s.total
	counter(d.transitions, t.transitions)
	counter(d.canceled, t.canceled)
	counter(d.errors, t.errors)
	for i, typ := range mutationTypes {
		counter(d.mutations, t.mutations[i], typ)
	}
	counter(d.added, t.added)
	counter(d.removed, t.removed)
	counter(d.touched, t.touched)
	counter(d.ticks, t.ticks)
	counter(d.steps, t.steps)
	counter(d.handlers, t.handlers)
	ch <- s.duration.metric(d.duration, t.duration.Seconds(), g.created)
	ch <- s.queueLen.metric(d.queueLen, float64(t.queueLen), g.created)

	gauge(d.machines, float64(s.members))
	gauge(d.states, float64(s.schema.states))
	gauge(d.relations, float64(s.schema.relations))
	gauge(d.referenced, float64(s.schema.referenced))
	gauge(d.active, float64(s.active))
	gauge(d.inactive, float64(s.states-s.active))

	if !s.hasLast {
		return
	}
	l := &s.last
	gauge(d.iTransitions, float64(l.transitions))
	gauge(d.iCanceled, float64(l.canceled))
	gauge(d.iErrors, float64(l.errors))
	for i, typ := range mutationTypes {
		gauge(d.iMutations, float64(l.mutations[i]), typ)
	}
	gauge(d.iAdded, l.mean(float64(l.added)))
	gauge(d.iRemoved, l.mean(float64(l.removed)))
	gauge(d.iTouched, l.mean(float64(l.touched)))
	gauge(d.iTicks, l.mean(float64(l.ticks)))
	gauge(d.iSteps, l.mean(float64(l.steps)))
	gauge(d.iHandlers, l.mean(float64(l.handlers)))
	gauge(d.iQueueLen, l.mean(float64(l.queueLen)))
	gauge(d.iDuration, l.mean(l.duration.Seconds()))
}
