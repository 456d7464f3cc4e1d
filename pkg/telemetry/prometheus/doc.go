// Package amprom exports the transitions of machines as Prometheus metrics.
// Import it as amprom:
//
//	import amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
//
// [TransitionsToPrometheus] observes a machine and every submachine created
// from it, then [Metrics.BindToRegistry] exposes the series for scraping,
// or [Metrics.BindToPusher] pushes them to a Pushgateway:
//
//	metrics := amprom.TransitionsToPrometheus(mach, time.Minute)
//	if err := metrics.BindToRegistry(registry); err != nil {
//		// a machine with the same ID is already registered
//	}
//
// # What is exported
//
// Each machine gets one series set, labelled machine_id. It holds counters
// and histograms (am_transitions_total, am_transition_duration_seconds,
// ...) that Prometheus can rate and aggregate across processes, gauges that
// describe the machine (am_states, am_active_states, ...), and interval
// gauges (am_interval_*) holding the counts and exact means of the last
// completed interval, for dashboards that show per-interval values. The
// README next to this file lists every metric.
//
// Values are taken from each transition, accepted or canceled, in the
// goroutine that runs the machine: a transition costs integer additions
// under the lock of its series set and allocates nothing; series are built
// only when a registry is gathered. No label ever holds state names, args
// or other unbounded values.
//
// # Intervals
//
// Intervals are aligned to the moment the metrics were created, and a
// transition belongs to the interval in which it ended. The interval gauges
// appear once the first interval has ended, so a partial first interval is
// never reported as a full one, and the first interval of a machine counts
// only the transitions made after it was observed. An interval without
// transitions reports zero counts and zero means.
//
// # Cardinality
//
// A machine costs 62 series with the default buckets (a histogram costs
// one series per bucket).
// Many short-lived machines, each with its own ID, therefore mean many
// short-lived series, which Prometheus keeps in its head block for hours.
// Set [Opts.SchemaOf] to label series by machine type instead: machines of
// one type share a series set labelled schema, their counters and
// histograms add up, and its series stay registered while the metrics live,
// so counters keep counting across machines that come and go.
//
// # Lifetime
//
// Disposing an observed machine removes its series from every bound
// registry. Disposing the machine passed to [TransitionsToPrometheus] ends
// the metrics: every series is unregistered and pushing stops after a last
// push of the final values.
package amprom
