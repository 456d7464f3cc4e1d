package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/provision"
)

// Queries that the printed links open.
const (
	promQuery = `sum by (machine_id) (rate(am_transitions_total{job="` + demoService + `"}[1m]))`
	logsQuery = `{service_name="` + demoService + `", machine_id="worker-1"}`
)

// links are the URLs to open, by what they show: logs is the VictoriaLogs
// UI with the demo's query filled in (the UI reads it from the fragment),
// logsAPI the same query's lines as JSON.
func (s *stack) links() (jaeger, prom, gw, logs, logsAPI string) {
	jaeger = s.jaeger.QueryURL + "/search?" + url.Values{"service": {demoService}}.Encode()
	prom = s.prom.URL + "/graph?" + url.Values{"g0.expr": {promQuery}, "g0.tab": {"0"}, "g0.range_input": {"15m"}}.Encode()
	logsAPI = s.vlogs.URL + "/select/logsql/query?" + url.Values{"query": {logsQuery}, "limit": {"50"}}.Encode()
	logs = s.vlogs.UIURL + "#/?" + url.Values{"query": {logsQuery}}.Encode()
	return jaeger, prom, s.gw.URL, logs, logsAPI
}

// print tells what runs where, and how to stop it.
func (s *stack) print(w io.Writer, startup time.Duration) {
	jaeger, prom, gw, logs, logsAPI := s.links()
	fmt.Fprintf(w, "\namkit stack is up after %v. Open:\n\n", startup.Round(100*time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range [][3]string{
		{"traces", "Jaeger", jaeger},
		{"metrics", "Prometheus", prom},
		{"pushed metrics", "Pushgateway", gw},
		{"logs", "VictoriaLogs", logs},
		{"", "LogsQL (JSON)", logsAPI},
		{"dashboard", "Grafana", s.dashboard},
		{"", "", "import it in your Grafana (Dashboards, New, Import), with datasources"},
		{"", "", "Prometheus " + s.prom.URL + " and VictoriaLogs " + s.vlogs.URL + " (plugin victoriametrics-logs-datasource)"},
		{"", "provisioned", provision.Command(s.provisioning)},
		{"", "", "starts a Grafana with the stack's datasources and the dashboard, no clicks"},
		{"debugger", "am-dbg (web)", s.inspector},
		{"", "", "am-dbg's web inspector, which the demo reports to"},
		{"demo log", "", "tail -f " + s.demo.LogPath()},
	} {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", row[0], row[1], row[2])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nThe demo runs with:\n  %s\n\nPress Ctrl-C to stop everything.\n", strings.Join(s.demoEnv, " \\\n  "))
}
