package amgrafana

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Names of the dashboard's variables. Panels reach their datasources
// through $prometheus and $loki (or $victorialogs), which Grafana fills with
// the default datasource of each type on import, and filter series by
// $source.
const (
	varPrometheus   = "prometheus"
	varLoki         = "loki"
	varVictoriaLogs = "victorialogs"
	varSource       = "source"
)

// Tag marks the dashboards this package builds.
const Tag = "amkit"

// Opts describe a dashboard.
type Opts struct {
	// Name is the dashboard's title. [UID] derives the dashboard UID from
	// it, so a dashboard keeps its UID, and its URL, as long as its name.
	Name string
	// MachineIDs are the machines to show, one row each, in this order.
	MachineIDs []string
	// Source is the Prometheus job label of the machines' metrics and the
	// service name of their logs: the service_name label that
	// amtele.BindLokiLogger sends, or the service.name attribute of
	// amtele.BindOtelLogger's records.
	Source string
	// Logs is the backend that the log panels query; the zero value means
	// [LogsLoki].
	Logs LogsBackend
}

// LogsBackend names the log backend of a dashboard's log panels.
type LogsBackend string

const (
	// LogsLoki queries a Grafana Loki datasource with LogQL, selecting the
	// stream {service_name="<source>", machine_id="<id>"}. That finds the
	// lines of amtele.BindLokiLogger, whose stream labels these are; it does
	// not find records that reached Loki over OTLP from
	// amtele.BindOtelLogger, which Loki keeps the machine ID of as
	// structured metadata (am_machine_id), outside the stream.
	LogsLoki LogsBackend = "loki"
	// LogsVictoriaLogs queries the VictoriaLogs datasource plugin
	// (victoriametrics-logs-datasource) with LogsQL, filtering on fields:
	// VictoriaLogs makes Loki stream labels and OTLP attributes fields
	// alike, so the panel finds the lines of amtele.BindLokiLogger
	// (service_name, machine_id) and the records of amtele.BindOtelLogger
	// (service.name, am.machine.id).
	LogsVictoriaLogs LogsBackend = "victorialogs"
)

// logsBackend returns the backend of the log panels.
func (o *Opts) logsBackend() LogsBackend {
	if o.Logs == "" {
		return LogsLoki
	}
	return o.Logs
}

// NewDashboard returns a builder holding the dashboard for the machines of
// one source. Its panels are numbered from 1 up; give panels added to the
// builder higher IDs. Errors describe invalid options.
func NewDashboard(opts Opts) (*dashboard.DashboardBuilder, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("amgrafana: dashboard options: %w", err)
	}
	logs := opts.logsBackend()
	b := dashboard.NewDashboardBuilder(opts.Name).
		Uid(UID(opts.Name)).
		Description(fmt.Sprintf("amkit machines of %s: %s.", opts.Source, strings.Join(opts.MachineIDs, ", "))).
		Tags([]string{Tag}).
		Editable().
		Timezone(common.TimeZoneBrowser).
		Time("now-1h", "now").
		Refresh("30s").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(varPrometheus).
			Label("Prometheus").
			Type("prometheus")).
		WithVariable(logs.variable()).
		WithVariable(dashboard.NewConstantVariableBuilder(varSource).
			Label("Source").
			Description(logs.sourceDescription()).
			Value(dashboard.StringOrMap{String: &opts.Source}))

	var id uint32
	next := func() uint32 {
		id++
		return id
	}
	for i, machID := range opts.MachineIDs {
		row := dashboard.NewRowBuilder(machID).Id(next())
		panels := machinePanels(machID, logs, next)
		// The first machine opens expanded. Other rows keep their panels
		// inside, collapsed, so that Grafana runs their queries only when
		// a row is opened.
		if i == 0 {
			b.WithRow(row)
			for _, p := range panels {
				b.WithPanel(p)
			}
			continue
		}
		for _, p := range panels {
			row.WithPanel(p)
		}
		b.WithRow(row)
	}
	return b, nil
}

func (o *Opts) validate() error {
	if strings.TrimSpace(o.Name) == "" {
		return errors.New("name is empty")
	}
	if ref := grafanaVariable(o.Name); ref != "" {
		return fmt.Errorf("name %q: %s is a Grafana variable reference, which Grafana would replace", o.Name, ref)
	}
	if o.Source == "" {
		return errors.New("source is empty")
	}
	if l := o.logsBackend(); l != LogsLoki && l != LogsVictoriaLogs {
		return fmt.Errorf("logs backend %q: want %q or %q", o.Logs, LogsLoki, LogsVictoriaLogs)
	}
	// Grafana pastes variable values into queries as they are, so a value
	// that would need escaping inside a quoted label value is rejected
	if i := strings.IndexFunc(o.Source, needsEscape); i >= 0 {
		return fmt.Errorf("source %q: %q cannot appear in a Prometheus job or log service name filter", o.Source, o.Source[i:i+1])
	}
	if ref := grafanaVariable(o.Source); ref != "" {
		return fmt.Errorf("source %q: %s is a Grafana variable reference, which Grafana would replace", o.Source, ref)
	}
	if len(o.MachineIDs) == 0 {
		return errors.New("no machine IDs")
	}
	seen := make(map[string]bool, len(o.MachineIDs))
	for _, id := range o.MachineIDs {
		switch {
		case id == "":
			return errors.New("empty machine ID")
		case seen[id]:
			return fmt.Errorf("machine ID %q given twice", id)
		case strings.Contains(id, "$"):
			// Grafana would read it as a variable reference
			return fmt.Errorf("machine ID %q: $ cannot appear in a Grafana query", id)
		}
		if ref := grafanaVariable(id); ref != "" {
			return fmt.Errorf("machine ID %q: %s is a Grafana variable reference, which Grafana would replace in queries and titles", id, ref)
		}
		seen[id] = true
	}
	return nil
}

// variableRef matches Grafana's variable syntaxes that plain text is
// unlikely to hold: ${var} (with ${var:format} and ${var.field}) and the
// deprecated [[var]]. Grafana replaces them in queries, titles and
// descriptions.
var variableRef = regexp.MustCompile(`\$\{[^}]*\}|\[\[[^\]]*\]\]`)

// grafanaVariable returns the first variable reference in s, or "".
func grafanaVariable(s string) string {
	return variableRef.FindString(s)
}

func needsEscape(r rune) bool {
	return r == '"' || r == '\'' || r == '\\' || r == '$' || r == '`' || unicode.IsControl(r)
}

// uidMaxLen is the longest UID Grafana accepts.
const uidMaxLen = 40

// UID returns the dashboard UID that [NewDashboard] derives from a name:
// "am-", a slug of the name, and a hash of the whole name, so that names
// with the same slug still get different UIDs. It is at most 40 characters
// long, the limit of Grafana.
func UID(name string) string {
	sum := sha256.Sum256([]byte(name))
	hash := hex.EncodeToString(sum[:4])
	slug := slugify(name, uidMaxLen-len("am-")-len("-")-len(hash))
	if slug == "" {
		return "am-" + hash
	}
	return "am-" + slug + "-" + hash
}

// slugify keeps the ASCII letters and digits of s, lower-cased, with single
// dashes between words, in at most n bytes.
func slugify(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > n {
		out = strings.TrimRight(out[:n], "-")
	}
	return out
}
