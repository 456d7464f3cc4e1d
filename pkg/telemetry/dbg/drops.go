package dbg

import (
	"sync/atomic"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// allDropped counts the messages every tracer of the process dropped, for
// package drops (amprom's am_telemetry_dropped_total{exporter="dbg"}).
// Tracers need not be closed, so a per-tracer registration could never be
// taken back.
var allDropped atomic.Uint64

func init() { drops.Register(drops.Dbg, allDropped.Load) }

// dropCounter counts a tracer's dropped messages, and adds them to
// allDropped.
type dropCounter struct{ atomic.Uint64 }

// Add adds n to the tracer's count and to the process's.
func (c *dropCounter) Add(n uint64) uint64 {
	allDropped.Add(n)
	return c.Uint64.Add(n)
}
