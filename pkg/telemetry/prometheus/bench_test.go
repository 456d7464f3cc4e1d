package amprom_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// BenchmarkMutations is the shared op without metrics: the baseline of
// BenchmarkMutationsPrometheus in the same run.
func BenchmarkMutations(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, nil)
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// BenchmarkMutationsPrometheus is the shared op with metrics bound to a
// registry. Per transition, metrics add (this - BenchmarkMutations) /
// machtest.TransitionsPerOp.
func BenchmarkMutationsPrometheus(b *testing.B) {
	mach, h := machtest.NewMutationsMachine(b, nil)
	bindMetrics(b, mach)
	b.ReportAllocs()
	machtest.RunMutationsOp(b, mach, h)
}

// BenchmarkMutationsPrometheusAdded measures what metrics add per
// transition on a machine shared with other work: it times the op on a
// machine without and a machine with metrics in turns, so that changes in
// load hit both alike, and compares the medians, which preemptions do not
// move.
func BenchmarkMutationsPrometheusAdded(b *testing.B) {
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, nil)
	bindMetrics(b, measured)
	var base, with []time.Duration
	for b.Loop() {
		first, second := plain, measured
		if len(base)%2 == 1 {
			first, second = measured, plain
		}
		t0 := time.Now()
		op(first)
		t1 := time.Now()
		op(second)
		t2 := time.Now()
		if first == plain {
			base, with = append(base, t1.Sub(t0)), append(with, t2.Sub(t1))
		} else {
			with, base = append(with, t1.Sub(t0)), append(base, t2.Sub(t1))
		}
	}
	mb, mw := median(base), median(with)
	b.ReportMetric(float64(mb)/machtest.TransitionsPerOp, "base-ns/transition")
	b.ReportMetric(float64(mw-mb)/machtest.TransitionsPerOp, "added-ns/transition")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// op is one machtest op, for benchmarks that time ops themselves.
func op(mach *am.Machine) {
	mach.Add(am.S{"A", "B"}, nil)
	mach.Add1("D", nil)
	mach.Remove(am.S{"A", "C", "D"}, nil)
}

func bindMetrics(tb testing.TB, mach *am.Machine) *prometheus.Registry {
	tb.Helper()
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Minute).BindToRegistry(reg); err != nil {
		tb.Fatal(err)
	}
	return reg
}

// TestNoAllocsPerTransition holds the promise that collecting allocates
// nothing per transition.
func TestNoAllocsPerTransition(t *testing.T) {
	plain, _ := machtest.NewMutationsMachine(t, nil)
	measured, _ := machtest.NewMutationsMachine(t, nil)
	bindMetrics(t, measured)
	base := testing.AllocsPerRun(1000, func() { op(plain) })
	with := testing.AllocsPerRun(1000, func() { op(measured) })
	if with != base {
		t.Errorf("an op allocates %v times with metrics, %v without", with, base)
	}
}
