package amgrafana_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenOpts is the fixed input of the golden file.
var goldenOpts = amgrafana.Opts{
	Name:       "My Dashboard",
	MachineIDs: []string{"MyMach1", "MyMach2"},
	Source:     "my-service",
}

func TestDashboardGolden(t *testing.T) {
	got, _ := buildJSON(t, goldenOpts)
	got = append(got, '\n')
	path := filepath.Join("testdata", "dashboard.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("dashboard differs from %s; review the change and run go test -update\ngot:\n%s", path, got)
	}
}

// panelTitles are the panels of every machine row, in order.
var panelTitles = []string{
	"Number of transitions", "Transition mutations", "Queue size",
	"States added", "States removed", "States touched",
	"Transition details", "States & relations", "Active states",
	"Inactive states", "Average transition time", "Errors", "Log view",
}

func TestDashboardRows(t *testing.T) {
	ids := []string{"first", "second", "third"}
	_, d := buildJSON(t, amgrafana.Opts{Name: "Rows", MachineIDs: ids, Source: "svc"})

	titles, panels := d.rows()
	if !slices.Equal(titles, ids) {
		t.Fatalf("rows %q, want one per machine ID %q", titles, ids)
	}
	for _, p := range d.Panels {
		if p.Type != "row" {
			continue
		}
		// the first row is open; the others hold their panels collapsed
		if want := p.Title != ids[0]; p.Collapsed != want {
			t.Errorf("row %s: collapsed %v, want %v", p.Title, p.Collapsed, want)
		}
	}
	seen := map[int]string{}
	for _, p := range d.Panels {
		for _, q := range append([]jsonPanel{p}, p.Panels...) {
			if prev, dup := seen[q.ID]; dup || q.ID == 0 {
				t.Errorf("panel %q has ID %d, also used by %q", q.Title, q.ID, prev)
			}
			seen[q.ID] = q.Title
		}
	}
	for _, id := range ids {
		var got []string
		for _, p := range panels[id] {
			got = append(got, p.Title)
			if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W == 0 || p.GridPos.H == 0 {
				t.Errorf("row %s, panel %s: grid position %+v outside the 24 columns", id, p.Title, p.GridPos)
			}
		}
		if !slices.Equal(got, panelTitles) {
			t.Errorf("row %s: panels %q, want %q", id, got, panelTitles)
		}
	}
}

func TestDashboardQueries(t *testing.T) {
	for _, logs := range []amgrafana.LogsBackend{"", amgrafana.LogsLoki, amgrafana.LogsVictoriaLogs} {
		t.Run(string(logs), func(t *testing.T) { testDashboardQueries(t, logs) })
	}
}

func testDashboardQueries(t *testing.T, logs amgrafana.LogsBackend) {
	ids := []string{"plain", `with "quotes" and \ backslash`}
	_, d := buildJSON(t, amgrafana.Opts{Name: "Queries", MachineIDs: ids, Source: "svc", Logs: logs})

	// the log datasource variable, by its name, and the plugin it picks
	logsVar, logsType := "loki", "loki"
	if logs == amgrafana.LogsVictoriaLogs {
		logsVar, logsType = "victorialogs", "victoriametrics-logs-datasource"
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Name == logsVar && v.Query != logsType {
			t.Errorf("variable %s picks datasources of type %v, want %s", v.Name, v.Query, logsType)
		}
	}
	if len(vars) != 3 || vars["prometheus"] != "datasource" || vars[logsVar] != "datasource" || vars["source"] != "constant" {
		t.Fatalf("variables %v, want datasources prometheus and %s and the constant source", vars, logsVar)
	}
	if got := d.variable(t, "source"); got != "svc" {
		t.Errorf("source variable %q, want svc", got)
	}

	quoted := map[string]string{
		"plain": `"plain"`,
		ids[1]:  `"with \"quotes\" and \\ backslash"`,
	}
	targets := d.targets()
	if len(targets) == 0 {
		t.Fatal("no queries")
	}
	for _, tg := range targets {
		where := tg.row + " / " + tg.panel + " / " + tg.RefID
		if vl := (tg.Datasource == jsonDSRef{Type: "victoriametrics-logs-datasource", UID: "${victorialogs}"}); !vl &&
			!strings.Contains(tg.Expr, `machine_id=`+quoted[tg.row]) {
			t.Errorf("%s: %s does not select machine_id=%s", where, tg.Expr, quoted[tg.row])
		}
		switch tg.Datasource {
		case jsonDSRef{Type: "prometheus", UID: "${prometheus}"}:
			if !strings.Contains(tg.Expr, `job="$source"`) {
				t.Errorf("%s: %s does not filter by job", where, tg.Expr)
			}
			if tg.Legend == "" {
				t.Errorf("%s: no legend", where)
			}
		case jsonDSRef{Type: "loki", UID: "${loki}"}:
			if logs == amgrafana.LogsVictoriaLogs {
				t.Errorf("%s: a Loki query in a VictoriaLogs dashboard", where)
			}
			if !strings.Contains(tg.Expr, `service_name="$source"`) {
				t.Errorf("%s: %s does not filter by service_name", where, tg.Expr)
			}
		case jsonDSRef{Type: "victoriametrics-logs-datasource", UID: "${victorialogs}"}:
			if logs != amgrafana.LogsVictoriaLogs {
				t.Errorf("%s: a VictoriaLogs query in a %q dashboard", where, logs)
			}
			// both the Loki push path and the OTLP path
			want := `(service_name:="$source" or service.name:="$source")` +
				` (machine_id:=` + quoted[tg.row] + ` or am.machine.id:=` + quoted[tg.row] + `)`
			if tg.Expr != want || tg.QueryType != "instant" {
				t.Errorf("%s: %s query %s, want the lines (instant) of %s", where, tg.QueryType, tg.Expr, want)
			}
		default:
			t.Errorf("%s: datasource %+v is not a dashboard variable", where, tg.Datasource)
		}
	}
}

func TestNewDashboardRejects(t *testing.T) {
	ok := goldenOpts
	for _, tc := range []struct {
		name string
		edit func(o *amgrafana.Opts)
		want string
	}{
		{"no name", func(o *amgrafana.Opts) { o.Name = " " }, "name is empty"},
		{"no source", func(o *amgrafana.Opts) { o.Source = "" }, "source is empty"},
		{"unknown logs backend", func(o *amgrafana.Opts) { o.Logs = "elastic" }, `logs backend "elastic": want "loki" or "victorialogs"`},
		{"quote in source", func(o *amgrafana.Opts) { o.Source = `a"b` }, `source "a\"b"`},
		{"variable in source", func(o *amgrafana.Opts) { o.Source = "a$b" }, `"$" cannot appear`},
		{"no IDs", func(o *amgrafana.Opts) { o.MachineIDs = nil }, "no machine IDs"},
		{"empty ID", func(o *amgrafana.Opts) { o.MachineIDs = []string{"a", ""} }, "empty machine ID"},
		{"duplicate ID", func(o *amgrafana.Opts) { o.MachineIDs = []string{"a", "b", "a"} }, `machine ID "a" given twice`},
		{"variable in ID", func(o *amgrafana.Opts) { o.MachineIDs = []string{"$source"} }, `machine ID "$source"`},
		{"braced variable in ID", func(o *amgrafana.Opts) { o.MachineIDs = []string{"a", "w-${source}"} }, `machine ID "w-${source}"`},
		{"old variable syntax in ID", func(o *amgrafana.Opts) { o.MachineIDs = []string{"w-[[source]]"} },
			`machine ID "w-[[source]]": [[source]] is a Grafana variable reference`},
		{"old variable syntax in source", func(o *amgrafana.Opts) { o.Source = "svc[[x]]" },
			`source "svc[[x]]": [[x]] is a Grafana variable reference`},
		{"braced variable in name", func(o *amgrafana.Opts) { o.Name = "Orders ${__user.login}" },
			`name "Orders ${__user.login}": ${__user.login} is a Grafana variable reference`},
		{"old variable syntax in name", func(o *amgrafana.Opts) { o.Name = "Orders [[source]]" },
			`name "Orders [[source]]": [[source]] is a Grafana variable reference`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			_, err := amgrafana.NewDashboard(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Brackets and dollars that are not variable references are kept.
func TestNewDashboardKeepsPlainBrackets(t *testing.T) {
	o := goldenOpts
	o.Name, o.MachineIDs = "Costs in $ [beta] {eu}", []string{"worker[1]", "a[b]c"}
	if _, err := amgrafana.NewDashboard(o); err != nil {
		t.Error(err)
	}
}

var uidChars = regexp.MustCompile(`^[a-z0-9-]+$`)

func TestUID(t *testing.T) {
	long := strings.Repeat("Long Dashboard Name ", 10)
	names := []string{"My Dashboard", "my dashboard", "My  Dashboard!", "Łódź", "", long, long + "2"}
	seen := map[string]string{}
	for _, name := range names {
		uid := amgrafana.UID(name)
		if uid != amgrafana.UID(name) {
			t.Errorf("UID(%q) is not stable", name)
		}
		if len(uid) > 40 || !uidChars.MatchString(uid) || !strings.HasPrefix(uid, "am-") {
			t.Errorf("UID(%q) = %q: want am-, at most 40 of [a-z0-9-]", name, uid)
		}
		if prev, dup := seen[uid]; dup {
			t.Errorf("UID(%q) = UID(%q) = %q", name, prev, uid)
		}
		seen[uid] = name
	}
	if uid := amgrafana.UID("My Dashboard"); !strings.HasPrefix(uid, "am-my-dashboard-") {
		t.Errorf("UID(My Dashboard) = %q, want it readable: am-my-dashboard-...", uid)
	}
	_, d := buildJSON(t, goldenOpts)
	if d.UID != amgrafana.UID(goldenOpts.Name) {
		t.Errorf("dashboard UID %q, want UID(name) %q", d.UID, amgrafana.UID(goldenOpts.Name))
	}
}

// TestDashboardStrictDecode reads the golden file back with the SDK's
// strict decoder, which rejects fields and values outside Grafana's
// dashboard schema, as a check that the JSON is what Grafana expects.
func TestDashboardStrictDecode(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	raw, err := os.ReadFile(filepath.Join("testdata", "dashboard.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard.Dashboard
	// the SDK returns its error list as an error even when it is empty
	var errs cog.BuildErrors
	if err := d.UnmarshalJSONStrict(raw); err != nil && (!errors.As(err, &errs) || len(errs) > 0) {
		t.Fatalf("the golden dashboard does not decode strictly: %v", err)
	}
	if n := len(d.Panels); n != 1+len(panelTitles)+1 {
		t.Errorf("%d top-level panels, want a row with its panels and a collapsed row", n)
	}
}

// TestDashboardStrictDecodeVictoriaLogs is TestDashboardStrictDecode for a
// dashboard whose log panels query VictoriaLogs. The SDK knows no type for
// that plugin's queries and keeps them as they are; the panels and the
// datasource variable around them must still fit the schema.
func TestDashboardStrictDecodeVictoriaLogs(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	o := goldenOpts
	o.Logs = amgrafana.LogsVictoriaLogs
	raw, _ := buildJSON(t, o)
	var d dashboard.Dashboard
	var errs cog.BuildErrors
	if err := d.UnmarshalJSONStrict(raw); err != nil && (!errors.As(err, &errs) || len(errs) > 0) {
		t.Fatalf("the VictoriaLogs dashboard does not decode strictly: %v", err)
	}
}

// TestDashboardExemplars checks that the transition time panel, and only
// it, asks for exemplars, which link transition durations to their traces.
func TestDashboardExemplars(t *testing.T) {
	_, d := buildJSON(t, goldenOpts)
	for _, tg := range d.targets() {
		if want := tg.panel == "Average transition time"; tg.Exemplar != want {
			t.Errorf("%s / %s / %s: exemplar %v, want %v", tg.row, tg.panel, tg.RefID, tg.Exemplar, want)
		}
	}
}
