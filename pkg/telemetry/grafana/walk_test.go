package amgrafana_test

import (
	"encoding/json"
	"testing"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
)

// The tests read the dashboard as Grafana does, from its JSON, rather than
// from the SDK's types, so that they see exactly what users import.

// jsonDashboard is the part of a dashboard's JSON the tests read.
type jsonDashboard struct {
	UID        string      `json:"uid"`
	Title      string      `json:"title"`
	Panels     []jsonPanel `json:"panels"`
	Templating struct {
		List []jsonVariable `json:"list"`
	} `json:"templating"`
}

type jsonVariable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Query any    `json:"query"`
}

type jsonPanel struct {
	ID         int          `json:"id"`
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Collapsed  bool         `json:"collapsed"`
	Datasource jsonDSRef    `json:"datasource"`
	Targets    []jsonTarget `json:"targets"`
	Panels     []jsonPanel  `json:"panels"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
}

type jsonDSRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type jsonTarget struct {
	RefID      string    `json:"refId"`
	Expr       string    `json:"expr"`
	Legend     string    `json:"legendFormat"`
	QueryType  string    `json:"queryType"`
	Datasource jsonDSRef `json:"datasource"`
	Exemplar   bool      `json:"exemplar"`
}

// target is a query of the dashboard with where it was found.
type target struct {
	row, panel string
	jsonTarget
}

// rows groups the panels under their rows, as Grafana shows them: an
// expanded row owns the top-level panels that follow it, a collapsed row
// holds its panels inside.
func (d *jsonDashboard) rows() (titles []string, panels map[string][]jsonPanel) {
	panels = map[string][]jsonPanel{}
	cur := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			cur = p.Title
			titles = append(titles, cur)
			panels[cur] = append(panels[cur], p.Panels...)
			continue
		}
		panels[cur] = append(panels[cur], p)
	}
	return titles, panels
}

// targets returns every query of the dashboard, in rows and out of them.
func (d *jsonDashboard) targets() []target {
	var out []target
	titles, panels := d.rows()
	for _, row := range titles {
		for _, p := range panels[row] {
			for _, t := range p.Targets {
				out = append(out, target{row: row, panel: p.Title, jsonTarget: t})
			}
		}
	}
	return out
}

// variable returns the value of a constant variable.
func (d *jsonDashboard) variable(t *testing.T, name string) string {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name == name {
			s, ok := v.Query.(string)
			if !ok {
				t.Fatalf("variable %s: query %v is not a string", name, v.Query)
			}
			return s
		}
	}
	t.Fatalf("no variable %s", name)
	return ""
}

// buildJSON builds a dashboard and returns its JSON, and the JSON decoded.
func buildJSON(t *testing.T, opts amgrafana.Opts) ([]byte, *jsonDashboard) {
	t.Helper()
	b, err := amgrafana.NewDashboard(opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out jsonDashboard
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return raw, &out
}
