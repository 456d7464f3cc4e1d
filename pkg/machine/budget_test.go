package machine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
)

// The allocation budgets of issue 14, as counts, which unlike times do not
// depend on the machine's load: a toggle between two states allocates at
// most once, the canonical op of BenchmarkMutations at most 6 times, with
// no tracer bound.
func TestAllocBudgets(t *testing.T) {
	toggle, err := am.New(context.Background(), am.Schema{
		"On":  {Remove: am.S{"Off"}},
		"Off": {Remove: am.S{"On"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer toggle.Dispose()
	toggle.Add1("Off", nil)
	on := false
	mutations, _ := machtest.NewMutationsMachine(t, nil)
	for _, tc := range []struct {
		name string
		op   func()
		max  float64
	}{
		{"toggle", func() {
			if on = !on; on {
				toggle.Add1("On", nil)
			} else {
				toggle.Add1("Off", nil)
			}
		}, 1},
		{"mutations op", func() { machtest.Op(mutations) }, 6},
	} {
		if got := testing.AllocsPerRun(1000, tc.op); got > tc.max {
			t.Errorf("%s: %v allocs per op, want at most %v", tc.name, got, tc.max)
		}
	}
	if toggle.Is1("On") != on {
		t.Error("the toggle did not toggle")
	}
}

// Machines of identical schemas share one compiled schema: creating one
// allocates a fraction of what compiling a new schema does.
func TestSharedSchemaAllocs(t *testing.T) {
	ctx := context.Background()
	shared := idleSchemaNamed("Shared")
	if m, err := am.New(ctx, shared, nil); err != nil {
		t.Fatal(err)
	} else {
		m.Dispose()
	}
	// the schemas are built before counting: only New is counted
	const runs = 100
	distinctSchemas := make([]am.Schema, runs+1) // AllocsPerRun runs once more, first
	for i := range distinctSchemas {
		distinctSchemas[i] = idleSchemaNamed(fmt.Sprint("Distinct", i))
	}
	n := 0
	distinct := testing.AllocsPerRun(runs, func() {
		m, err := am.New(ctx, distinctSchemas[n], nil)
		n++
		if err != nil {
			t.Fatal(err)
		}
		m.Dispose()
	})
	same := testing.AllocsPerRun(runs, func() {
		m, err := am.New(ctx, shared, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Dispose()
	})
	t.Logf("New: %v allocs with a new schema, %v with one already compiled", distinct, same)
	if same*4 > distinct {
		t.Errorf("New with a compiled schema allocates %v times, with a new one %v: not shared", same, distinct)
	}
}
