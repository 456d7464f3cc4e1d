package amgrafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
)

// victoriaLogsPlugin is the plugin ID of VictoriaLogs' Grafana datasource.
const victoriaLogsPlugin = "victoriametrics-logs-datasource"

// variable is the dashboard variable that picks the log datasource.
func (l LogsBackend) variable() *dashboard.DatasourceVariableBuilder {
	if l == LogsVictoriaLogs {
		return dashboard.NewDatasourceVariableBuilder(varVictoriaLogs).
			Label("VictoriaLogs").
			Type(victoriaLogsPlugin)
	}
	return dashboard.NewDatasourceVariableBuilder(varLoki).
		Label("Loki").
		Type("loki")
}

// sourceDescription describes the $source variable.
func (l LogsBackend) sourceDescription() string {
	if l == LogsVictoriaLogs {
		return "Prometheus job of the machines, and service_name or service.name of their logs."
	}
	return "Prometheus job and Loki service_name of the machines."
}

// datasource refers to the log datasource through its variable.
func (l LogsBackend) datasource() common.DataSourceRef {
	if l == LogsVictoriaLogs {
		return common.DataSourceRef{Type: cog.ToPtr(victoriaLogsPlugin), Uid: cog.ToPtr("${" + varVictoriaLogs + "}")}
	}
	return common.DataSourceRef{Type: cog.ToPtr("loki"), Uid: cog.ToPtr("${" + varLoki + "}")}
}

// target is the log panel's query of one machine's lines.
func (l LogsBackend) target(machineID string, ds common.DataSourceRef) cog.Builder[variants.Dataquery] {
	if l == LogsVictoriaLogs {
		return victoriaLogsQuery{RefID: refID(0), Datasource: ds, EditorMode: "code", Expr: logsQL(machineID), QueryType: "instant"}
	}
	return loki.NewDataqueryBuilder().
		RefId(refID(0)).
		Datasource(ds).
		Expr(logQL(machineID)).
		QueryType(string(loki.LokiQueryTypeRange))
}

// victoriaLogsQuery is a query of the VictoriaLogs datasource plugin, which
// the foundation SDK has no type for. QueryType "instant" asks for log
// lines, the kind a logs panel shows ("stats" and "statsRange" are for
// numbers). It is its own builder.
type victoriaLogsQuery struct {
	RefID      string               `json:"refId"`
	Datasource common.DataSourceRef `json:"datasource"`
	EditorMode string               `json:"editorMode"`
	Expr       string               `json:"expr"`
	QueryType  string               `json:"queryType"`
}

// Build returns q.
func (q victoriaLogsQuery) Build() (variants.Dataquery, error) { return q, nil }

// ImplementsDataqueryVariant marks q as a panel target.
func (victoriaLogsQuery) ImplementsDataqueryVariant() {}

// DataqueryType returns the plugin ID.
func (victoriaLogsQuery) DataqueryType() string { return victoriaLogsPlugin }

// Validate accepts every query; LogsQL is checked by VictoriaLogs.
func (victoriaLogsQuery) Validate() error { return nil }

// Equals reports whether other is the same query.
func (q victoriaLogsQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(victoriaLogsQuery)
	return ok && q.RefID == o.RefID && q.Expr == o.Expr && q.QueryType == o.QueryType &&
		q.EditorMode == o.EditorMode && q.Datasource.Equals(o.Datasource)
}
