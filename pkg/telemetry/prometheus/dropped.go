package amprom

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// MetricDropped counts, by exporter, the telemetry that amkit's exporters
// dropped or failed to deliver: the totals of package drops.
const MetricDropped = "am_telemetry_dropped_total"

// LabelExporter names the exporter of [MetricDropped]: one of the names of
// package drops, such as "otel_spans" or "pushgateway".
const LabelExporter = "exporter"

var droppedDesc = prometheus.NewDesc(MetricDropped,
	"Spans, log records, pushes and debugger messages that telemetry exporters dropped or failed to deliver.",
	[]string{LabelExporter}, nil)

// droppedCollector exports the totals of package drops. It holds nothing,
// so one value serves every registry.
type droppedCollector struct{}

// DroppedCollector returns the collector of [MetricDropped].
// [Metrics.BindToRegistry] and [Metrics.BindToPusher] register it
// themselves; register it where no machine's metrics are bound.
func DroppedCollector() prometheus.Collector { return droppedCollector{} }

// Describe implements prometheus.Collector.
func (droppedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- droppedDesc }

// Collect implements prometheus.Collector.
func (droppedCollector) Collect(ch chan<- prometheus.Metric) {
	drops.Each(func(exporter string, total uint64) {
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(total), exporter)
	})
}

// registerDropped registers the drops collector in reg, once: metrics of
// several machines bound to one registry share it, and it stays when they
// end, since the counts are the process's.
func registerDropped(reg prometheus.Registerer) error {
	err := reg.Register(droppedCollector{})
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}
