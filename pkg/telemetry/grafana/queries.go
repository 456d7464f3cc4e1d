package amgrafana

import (
	"fmt"
	"strconv"
)

// Metric names of package amprom that the panels query.
const (
	metricTransitions = "am_transitions_total"
	metricCanceled    = "am_transitions_canceled_total"
	metricMutations   = "am_mutations_total"
	metricErrors      = "am_errors_total"
	metricAdded       = "am_states_added_total"
	metricRemoved     = "am_states_removed_total"
	metricTouched     = "am_states_touched_total"
	metricTicks       = "am_ticks_total"
	metricSteps       = "am_steps_total"
	metricHandlers    = "am_handlers_total"
	metricDuration    = "am_transition_duration_seconds"
	metricQueueLen    = "am_queue_length"
	metricStates      = "am_states"
	metricRelations   = "am_relations"
	metricReferenced  = "am_referenced_states"
	metricActive      = "am_active_states"
	metricInactive    = "am_inactive_states"
)

// promQL writes the PromQL of one machine's panels.
type promQL struct {
	// sel holds the label matchers of the machine's series, without braces.
	sel string
}

func newPromQL(machineID string) promQL {
	// strconv.Quote writes the escapes that PromQL string literals accept,
	// so any machine ID matches itself
	return promQL{sel: `job="$` + varSource + `", machine_id=` + strconv.Quote(machineID)}
}

// rate is the per-second rate of a counter, summed over the instances
// that run a machine with this ID.
func (q promQL) rate(counter string) string {
	return fmt.Sprintf("sum(rate(%s{%s}[$__rate_interval]))", counter, q.sel)
}

// rateBy is rate, split by one label.
func (q promQL) rateBy(label, counter string) string {
	return fmt.Sprintf("sum by (%s) (rate(%s{%s}[$__rate_interval]))", label, counter, q.sel)
}

// perTransition is the mean of a counter per transition. A window without
// transitions divides by zero and leaves a gap, which reads as "no
// transitions" rather than as a false zero.
func (q promQL) perTransition(counter string) string {
	return q.rate(counter) + " / " + q.rate(metricTransitions)
}

// mean is the mean of a histogram's observations.
func (q promQL) mean(histogram string) string {
	return q.rate(histogram+"_sum") + " / " + q.rate(histogram+"_count")
}

// quantile estimates a quantile of a histogram's observations.
func (q promQL) quantile(phi float64, histogram string) string {
	return fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s_bucket{%s}[$__rate_interval])))",
		strconv.FormatFloat(phi, 'f', -1, 64), histogram, q.sel)
}

// gauge reads a gauge. Instances that run a machine with the same ID share
// its schema, so the highest value stands for all of them.
func (q promQL) gauge(name string) string {
	return fmt.Sprintf("max(%s{%s})", name, q.sel)
}

// logQL selects the log stream of one machine, as labelled by
// amtele.BindLokiLogger.
func logQL(machineID string) string {
	return `{service_name="$` + varSource + `", machine_id=` + strconv.Quote(machineID) + `}`
}

// logsQL selects the log lines of one machine in VictoriaLogs, whichever
// way they came: over the Loki push API from amtele.BindLokiLogger, with
// the fields service_name and machine_id from its stream labels, or over
// OTLP from amtele.BindOtelLogger, with service.name and am.machine.id from
// its record attributes. Field filters, not a stream filter, because only
// the first path puts the machine ID in the stream.
func logsQL(machineID string) string {
	id := strconv.Quote(machineID)
	return `(service_name:="$` + varSource + `" or service.name:="$` + varSource + `")` +
		` (machine_id:=` + id + ` or am.machine.id:=` + id + `)`
}
