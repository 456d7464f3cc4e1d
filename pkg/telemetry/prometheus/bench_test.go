package amprom_test

import (
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
// transition on a machine shared with other work (see
// machtest.RunMutationsAdded).
func BenchmarkMutationsPrometheusAdded(b *testing.B) {
	plain, _ := machtest.NewMutationsMachine(b, nil)
	measured, _ := machtest.NewMutationsMachine(b, nil)
	bindMetrics(b, measured)
	machtest.RunMutationsAdded(b, plain, measured)
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
	base := testing.AllocsPerRun(1000, func() { machtest.Op(plain) })
	with := testing.AllocsPerRun(1000, func() { machtest.Op(measured) })
	if with != base {
		t.Errorf("an op allocates %v times with metrics, %v without", with, base)
	}
}
