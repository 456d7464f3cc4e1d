package amprom

import (
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// NewWithClock is New with a clock, so that tests can end intervals
// without waiting for them.
func NewWithClock(mach *am.Machine, opts *Opts, now func() time.Time) (*Metrics, error) {
	return newMetrics(mach, opts, now)
}
