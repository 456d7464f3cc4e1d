// Package amgrafana builds Grafana dashboards for amkit machines and saves
// them to Grafana. Import it as amgrafana:
//
//	import amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
//
// [NewDashboard] returns a builder of the Grafana Foundation SDK
// (github.com/grafana/grafana-foundation-sdk/go) holding one dashboard for
// one source: the Prometheus job that scrapes or receives the metrics of
// package amprom, which is also the service name of the machines' logs.
// Each machine ID gets a collapsible row with the same panels:
//
//   - Number of transitions: transitions and canceled transitions per second
//   - Transition mutations: transitions per second by mutation type
//   - Queue size: mean and 95th percentile queue length at transition start
//   - States added, States removed, States touched: mean per transition
//   - Transition details: ticks, steps and handlers, mean per transition
//   - States & relations: states, relations, referenced, active and
//     inactive states
//   - Average transition time: mean, 95th and 99th percentile duration
//   - Errors: Exception activations per second
//   - Log view: the machine's log lines from Loki or VictoriaLogs
//
// [Opts.Logs] picks the log backend. [LogsLoki], the default, selects the
// LogQL stream that amtele.BindLokiLogger labels. [LogsVictoriaLogs] runs
// LogsQL through the VictoriaLogs datasource plugin and finds the lines of
// both loggers, amtele.BindLokiLogger over the Loki push API and
// amtele.BindOtelLogger over OTLP.
//
// Rates and means come from counters and histograms, so they aggregate
// correctly across instances and time ranges. Datasources are dashboard
// variables, so the JSON imports into any Grafana, and the dashboard UID is
// derived from its name ([UID]), so saving it again updates it.
//
// [Client.SaveDashboard] creates or overwrites a dashboard through Grafana's
// HTTP API with a service account token.
package amgrafana
