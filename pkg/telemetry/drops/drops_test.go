package drops_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// runs numbers the runs of a test in one process (go test -count=N): the
// totals of unregistered exporters last for the process, so each run
// counts under a name of its own.
var runs atomic.Int64

func TestRegister(t *testing.T) {
	name := fmt.Sprint("test_register_", runs.Add(1))
	var a, b atomic.Uint64
	unA := drops.Register(name, a.Load)
	unB := drops.Register(name, b.Load)
	a.Add(3)
	b.Add(4)
	if got := drops.Total(name); got != 7 {
		t.Fatalf("total = %d, want 7", got)
	}
	unA()
	unA()
	a.Add(100) // no longer read
	if got := drops.Total(name); got != 7 {
		t.Errorf("after unregistering a: total = %d, want 7, a's final count kept", got)
	}
	unB()
	seen := map[string]uint64{}
	drops.Each(func(exporter string, total uint64) { seen[exporter] = total })
	if seen[name] != 7 {
		t.Errorf("Each: %s = %d, want 7 (all unregistered)", name, seen[name])
	}
}
