package amgrafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Grid sizes. Grafana's grid is 24 columns wide: three panels per line,
// and the log view takes two places next to the errors.
const (
	panelWidth  = 8
	panelHeight = 8
	logsWidth   = 16
	logsHeight  = 10
)

// Axis labels say what a value is counted against.
const (
	axisPerSecond     = "per second"
	axisPerTransition = "per transition"
)

// promDS refers to Prometheus through the dashboard's variable; the log
// datasource is the LogsBackend's.
var promDS = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + varPrometheus + "}")}

// promTarget is one query of a panel.
type promTarget struct {
	legend, expr string
}

// promPanel is a time series panel of Prometheus queries.
type promPanel struct {
	title, description string
	// unit is a Grafana unit ID; empty means plain numbers.
	unit, axis string
	height     uint32
	// exemplars asks Prometheus for the exemplars of the queried series:
	// amprom attaches trace IDs to transition durations.
	exemplars bool
	targets   []promTarget
}

// promPanels lists a machine's metric panels in grid order.
func promPanels(q promQL) []promPanel {
	return []promPanel{{
		title:       "Number of transitions",
		description: "Transitions per second, accepted and canceled, and the canceled ones alone.",
		axis:        axisPerSecond,
		targets: []promTarget{
			{"transitions", q.rate(metricTransitions)},
			{"canceled", q.rate(metricCanceled)},
		},
	}, {
		title:       "Transition mutations",
		description: "Transitions per second by the type of the mutation that started them.",
		axis:        axisPerSecond,
		targets:     []promTarget{{"{{type}}", q.rateBy("type", metricMutations)}},
	}, {
		title:       "Queue size",
		description: "Mutations waiting in the queue when a transition started.",
		axis:        "mutations",
		targets: []promTarget{
			{"mean", q.mean(metricQueueLen)},
			{"p95", q.quantile(0.95, metricQueueLen)},
		},
	}, {
		title:       "States added",
		description: "States activated per transition, re-activations of multi states included.",
		axis:        axisPerTransition,
		targets:     []promTarget{{"added", q.perTransition(metricAdded)}},
	}, {
		title:       "States removed",
		description: "States deactivated per transition.",
		axis:        axisPerTransition,
		targets:     []promTarget{{"removed", q.perTransition(metricRemoved)}},
	}, {
		title:       "States touched",
		description: "States per transition that were called, named by a relation, or changed.",
		axis:        axisPerTransition,
		targets:     []promTarget{{"touched", q.perTransition(metricTouched)}},
	}, {
		title:       "Transition details",
		description: "Clock ticks, resolution and handler steps, and handlers run, per transition.",
		axis:        axisPerTransition,
		targets: []promTarget{
			{"ticks", q.perTransition(metricTicks)},
			{"steps", q.perTransition(metricSteps)},
			{"handlers", q.perTransition(metricHandlers)},
		},
	}, {
		title:       "States & relations",
		description: "The schema's states and relation entries, and the states named by relations.",
		axis:        "states",
		targets: []promTarget{
			{"states", q.gauge(metricStates)},
			{"relations", q.gauge(metricRelations)},
			{"referenced", q.gauge(metricReferenced)},
		},
	}, {
		title:       "Active states",
		description: "States active now.",
		axis:        "states",
		targets:     []promTarget{{"active", q.gauge(metricActive)}},
	}, {
		title:       "Inactive states",
		description: "States inactive now.",
		axis:        "states",
		targets:     []promTarget{{"inactive", q.gauge(metricInactive)}},
	}, {
		title: "Average transition time",
		description: "Duration of transitions, handlers included: the mean and the 95th and 99th percentiles. " +
			"Exemplars (dots) link single transitions to their traces.",
		unit:      "s",
		exemplars: true,
		targets: []promTarget{
			{"mean", q.mean(metricDuration)},
			{"p95", q.quantile(0.95, metricDuration)},
			{"p99", q.quantile(0.99, metricDuration)},
		},
	}, {
		title:       "Errors",
		description: "Activations of the Exception state per second.",
		axis:        axisPerSecond,
		height:      logsHeight,
		targets:     []promTarget{{"errors", q.rate(metricErrors)}},
	}}
}

// machinePanels builds a machine's panels, numbering them from next.
func machinePanels(machineID string, logs LogsBackend, next func() uint32) []cog.Builder[dashboard.Panel] {
	var panels []cog.Builder[dashboard.Panel]
	for _, p := range promPanels(newPromQL(machineID)) {
		panels = append(panels, p.builder(next()))
	}
	return append(panels, logPanel(machineID, logs, next()))
}

func (p promPanel) builder(id uint32) *timeseries.PanelBuilder {
	height := p.height
	if height == 0 {
		height = panelHeight
	}
	b := timeseries.NewPanelBuilder().
		Id(id).
		Title(p.title).
		Description(p.description).
		Datasource(promDS).
		Span(panelWidth).
		Height(height).
		Min(0).
		FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
	if p.unit != "" {
		b.Unit(p.unit)
	}
	if p.axis != "" {
		b.AxisLabel(p.axis)
	}
	for i, t := range p.targets {
		q := prometheus.NewDataqueryBuilder().
			RefId(refID(i)).
			Datasource(promDS).
			EditorMode(prometheus.QueryEditorModeCode).
			Expr(t.expr).
			LegendFormat(t.legend).
			Range()
		if p.exemplars {
			q.Exemplar(true)
		}
		b.WithTarget(q)
	}
	return b
}

func logPanel(machineID string, backend LogsBackend, id uint32) *logs.PanelBuilder {
	ds := backend.datasource()
	return logs.NewPanelBuilder().
		Id(id).
		Title("Log view").
		Description("The machine's log lines, newest first.").
		Datasource(ds).
		Span(logsWidth).
		Height(logsHeight).
		ShowTime(true).
		WrapLogMessage(true).
		EnableLogDetails(true).
		SortOrder(common.LogsSortOrderDescending).
		DedupStrategy(common.LogsDedupStrategyNone).
		WithTarget(backend.target(machineID, ds))
}

// refID names the i-th query of a panel as Grafana does: A, B, C...
func refID(i int) string {
	return string(rune('A' + i))
}
