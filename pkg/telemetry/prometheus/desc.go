package amprom

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Label names. A series set is labelled by machine ID, or by schema when
// [Opts.SchemaOf] names the machine's type; mutation series add the
// mutation type. Without SchemaOf, series carry machine_id alone. With it,
// every series has both machine_id and schema, one of them empty (which
// Prometheus drops), because a registry wants every series of a name to
// have the same label names, and a machine that SchemaOf gives no name keeps
// its ID. So metrics with and without SchemaOf cannot share a registry.
const (
	// LabelMachineID holds the machine ID.
	LabelMachineID = "machine_id"
	// LabelSchema holds the name [Opts.SchemaOf] gave a machine's type.
	LabelSchema = "schema"
	// LabelType holds a mutation type: add, remove or set.
	LabelType = "type"
)

// mutationTypes are the values of the type label, indexed by
// am.MutationType - 1.
var mutationTypes = [...]string{"add", "remove", "set"}

// descs are the descriptors of one series set. The machine ID (or schema)
// is a constant label, so that each set is a collector of its own that a
// registry can register, reject as a duplicate, and unregister.
// labelName is LabelMachineID or LabelSchema.
type descs struct {
	transitions, canceled, errors, mutations        *prometheus.Desc
	added, removed, touched, ticks, steps, handlers *prometheus.Desc
	duration, queueLen                              *prometheus.Desc
	machines, states, relations, referenced         *prometheus.Desc
	active, inactive                                *prometheus.Desc
	iTransitions, iCanceled, iErrors, iMutations    *prometheus.Desc
	iAdded, iRemoved, iTouched, iTicks, iSteps      *prometheus.Desc
	iHandlers, iQueueLen, iDuration                 *prometheus.Desc
}

// newDescs returns the descriptors of the set labelled labelName=labelValue;
// withSchema gives every series the schema label, empty or not.
func newDescs(labelName, labelValue string, withSchema bool) *descs {
	cl := prometheus.Labels{labelName: labelValue}
	if withSchema {
		cl[LabelMachineID], cl[LabelSchema] = "", ""
		cl[labelName] = labelValue
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("am_"+name, help, labels, cl)
	}
	return &descs{
		transitions: d("transitions_total", "Transitions, accepted and canceled."),
		canceled:    d("transitions_canceled_total", "Canceled transitions."),
		errors:      d("errors_total", "Activations of the Exception state."),
		mutations:   d("mutations_total", "Transitions by mutation type.", LabelType),
		added:       d("states_added_total", "States activated by transitions, re-activations of multi states included."),
		removed:     d("states_removed_total", "States deactivated by transitions."),
		touched:     d("states_touched_total", "States that transitions called, named in relation steps, or changed."),
		ticks:       d("ticks_total", "Clock ticks of all states."),
		steps:       d("steps_total", "Resolution and handler steps of transitions."),
		handlers:    d("handlers_total", "Handlers that ran."),
		duration:    d("transition_duration_seconds", "Duration of transitions, handlers included."),
		queueLen:    d("queue_length", "Mutations waiting in the queue when a transition started."),

		machines:   d("machines", "Machines in the series set: 1, or the number of live machines of a schema."),
		states:     d("states", "States in the schema, Exception included."),
		relations:  d("relations", "Relation entries (Require, Add, Remove, After) in the schema."),
		referenced: d("referenced_states", "States named by at least one relation."),
		active:     d("active_states", "Active states, summed over the machines of the set."),
		inactive:   d("inactive_states", "Inactive states, summed over the machines of the set."),

		iTransitions: d("interval_transitions", "Transitions in the last interval."),
		iCanceled:    d("interval_transitions_canceled", "Canceled transitions in the last interval."),
		iErrors:      d("interval_errors", "Activations of the Exception state in the last interval."),
		iMutations:   d("interval_mutations", "Transitions by mutation type in the last interval.", LabelType),
		iAdded:       d("interval_avg_states_added", "Mean states activated per transition in the last interval."),
		iRemoved:     d("interval_avg_states_removed", "Mean states deactivated per transition in the last interval."),
		iTouched:     d("interval_avg_states_touched", "Mean states touched per transition in the last interval."),
		iTicks:       d("interval_avg_ticks", "Mean clock ticks per transition in the last interval."),
		iSteps:       d("interval_avg_steps", "Mean steps per transition in the last interval."),
		iHandlers:    d("interval_avg_handlers", "Mean handlers per transition in the last interval."),
		iQueueLen:    d("interval_avg_queue_length", "Mean queue length at transition start in the last interval."),
		iDuration:    d("interval_avg_transition_duration_seconds", "Mean transition duration in the last interval."),
	}
}

// each calls fn with every descriptor.
func (d *descs) each(fn func(*prometheus.Desc)) {
	for _, desc := range [...]*prometheus.Desc{
		d.transitions, d.canceled, d.errors, d.mutations,
		d.added, d.removed, d.touched, d.ticks, d.steps, d.handlers,
		d.duration, d.queueLen,
		d.machines, d.states, d.relations, d.referenced, d.active, d.inactive,
		d.iTransitions, d.iCanceled, d.iErrors, d.iMutations,
		d.iAdded, d.iRemoved, d.iTouched, d.iTicks, d.iSteps,
		d.iHandlers, d.iQueueLen, d.iDuration,
	} {
		fn(desc)
	}
}
