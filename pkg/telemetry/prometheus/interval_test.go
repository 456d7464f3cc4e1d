package amprom_test

import (
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// clock is a test clock for gathering; transitions keep their real times,
// which stay inside the first (hour-long) interval.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hasIntervalGauges reports whether any am_interval_* series is present.
func (s series) hasIntervalGauges() bool {
	for k := range s {
		if strings.HasPrefix(k, "am_interval_") {
			return true
		}
	}
	return false
}

// TestIntervalMeans checks that each interval reports exactly its own
// transitions, that the first interval leaves out what came before the
// metrics, and that an interval without transitions reports zeros.
func TestIntervalMeans(t *testing.T) {
	mach := newMachine(t, "m", nil)
	rec := newRecorder()
	if err := mach.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	// before the metrics exist: must not count
	workload{ops: 3, errs: 2}.run(t, mach)
	before := len(rec.of("m"))

	clk := newClock()
	metrics, err := amprom.NewWithClock(mach, &amprom.Opts{Interval: time.Hour}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}

	workload{ops: 2, errs: 1, cancels: 3}.run(t, mach)
	if gather(t, reg).hasIntervalGauges() {
		t.Error("interval gauges before the first interval ended")
	}
	first := expect(rec.of("m")[before:])
	clk.advance(time.Hour)
	got := gather(t, reg).of("machine_id=m")
	compare(t, "first interval", got, first.wantInterval())
	compare(t, "totals after the first interval", got, first.want(amprom.DefaultDurationBuckets, amprom.DefaultQueueBuckets))

	n := len(rec.of("m"))
	workload{ops: 5, cancels: 1}.run(t, mach)
	second := expect(rec.of("m")[n:])
	// gathering within an interval shows the previous one
	compare(t, "first interval, gathered again", gather(t, reg).of("machine_id=m"), first.wantInterval())
	clk.advance(time.Hour)
	compare(t, "second interval", gather(t, reg).of("machine_id=m"), second.wantInterval())

	// two intervals later, the last one was empty
	clk.advance(2 * time.Hour)
	empty := expected{mutations: map[string]float64{"add": 0, "remove": 0, "set": 0}}
	zeros := empty.wantInterval()
	for k := range zeros {
		zeros[k] = 0
	}
	compare(t, "empty interval", gather(t, reg).of("machine_id=m"), zeros)
}

// TestIntervalSubmachine checks that a submachine created during an
// interval reports, at the parent's next boundary, only its own
// transitions.
func TestIntervalSubmachine(t *testing.T) {
	parent := newMachine(t, "parent", nil)
	rec := newRecorder()
	if err := parent.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	metrics, err := amprom.NewWithClock(parent, &amprom.Opts{Interval: time.Hour}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	workload{ops: 2}.run(t, parent)
	clk.advance(30 * time.Minute)
	child := newMachine(t, "child", parent)
	workload{ops: 1, errs: 1}.run(t, child)
	clk.advance(30 * time.Minute)

	got := gather(t, reg)
	compare(t, "parent", got.of("machine_id=parent"), expect(rec.of("parent")).wantInterval())
	compare(t, "child", got.of("machine_id=child"), expect(rec.of("child")).wantInterval())
}

// TestIntervalRealTime runs transitions across several short intervals and
// checks that the machine's own hooks close intervals at the right
// transition: the reported interval holds exactly the transitions that
// ended in it.
func TestIntervalRealTime(t *testing.T) {
	const interval = 50 * time.Millisecond
	mach := newMachine(t, "m", nil)
	rec := newRecorder()
	if err := mach.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	// real time, frozen for gathering once the transitions are done; the
	// first reading is the start of the metrics' intervals
	clk := newClock()
	var frozen atomic.Bool
	var start time.Time
	now := func() time.Time {
		if !frozen.Load() {
			clk.set(time.Now())
		}
		t := clk.now()
		if start.IsZero() {
			start = t
		}
		return t
	}
	metrics, err := amprom.NewWithClock(mach, &amprom.Opts{Interval: interval}, now)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	// run until transitions ended in two consecutive intervals, the later
	// one at least the fourth, so that both the hooks and the gathering
	// close intervals
	busy := map[time.Duration]bool{}
	for {
		mach.Add1("A", nil)
		mach.Remove1("A", nil)
		k := rec.lastEnd("m").Sub(start) / interval
		busy[k] = true
		if k >= 4 && busy[k-1] {
			break
		}
	}
	gathered := time.Now()
	clk.set(gathered)
	frozen.Store(true)
	got := gather(t, reg).of("machine_id=m")

	boundary := start.Add(gathered.Sub(start) / interval * interval)
	var last []*am.Transition
	for _, tx := range rec.of("m") {
		if !tx.End.Before(boundary.Add(-interval)) && tx.End.Before(boundary) {
			last = append(last, tx)
		}
	}
	if len(last) == 0 {
		t.Fatal("no transitions in the last complete interval: the test was descheduled for a whole interval")
	}
	compare(t, "last interval", got, expect(last).wantInterval())
}

// TestReadmeListsEveryMetric keeps the README's metric table in step with
// what the package exports.
func TestReadmeListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(am_[a-z_]+)`").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
	}

	// the drop counter has series once some exporter counts drops
	defer drops.Register("readme_test", func() uint64 { return 0 })()
	mach := newMachine(t, "m", nil)
	clk := newClock()
	metrics, err := amprom.NewWithClock(mach, nil, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	clk.advance(amprom.DefaultInterval)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
		if !documented[mf.GetName()] {
			t.Errorf("%s is exported but not in README.md", mf.GetName())
		}
	}
	for name := range documented {
		if !exported[name] {
			t.Errorf("README.md lists %s, which is not exported", name)
		}
	}
}
