package provision_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"go.yaml.in/yaml/v3"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/provision"
)

// The formats of Grafana's "Provision Grafana" documentation (apiVersion
// 1), every documented key and no other: decoding with KnownFields fails on
// a key Grafana does not document.
type (
	datasourcesFile struct {
		APIVersion        int `yaml:"apiVersion"`
		DeleteDatasources []struct {
			Name  string `yaml:"name"`
			OrgID int    `yaml:"orgId"`
		} `yaml:"deleteDatasources"`
		Prune       bool         `yaml:"prune"`
		Datasources []datasource `yaml:"datasources"`
	}
	datasource struct {
		Name            string            `yaml:"name"`
		Type            string            `yaml:"type"`
		Access          string            `yaml:"access"`
		OrgID           int               `yaml:"orgId"`
		UID             string            `yaml:"uid"`
		URL             string            `yaml:"url"`
		User            string            `yaml:"user"`
		Database        string            `yaml:"database"`
		BasicAuth       bool              `yaml:"basicAuth"`
		BasicAuthUser   string            `yaml:"basicAuthUser"`
		WithCredentials bool              `yaml:"withCredentials"`
		IsDefault       bool              `yaml:"isDefault"`
		JSONData        map[string]any    `yaml:"jsonData"`
		SecureJSONData  map[string]string `yaml:"secureJsonData"`
		Version         int               `yaml:"version"`
		Editable        bool              `yaml:"editable"`
	}
	providersFile struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			OrgID                 int    `yaml:"orgId"`
			Folder                string `yaml:"folder"`
			FolderUID             string `yaml:"folderUid"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			Options               struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
)

// decodeStrict decodes a YAML file into v, refusing undocumented keys.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not Grafana's documented format: %v\n%s", path, err, b)
	}
}

func demoDashboard(t *testing.T) dashboard.Dashboard {
	t.Helper()
	b, err := amgrafana.NewDashboard(amgrafana.Opts{Name: "amkit demo", MachineIDs: []string{"supervisor", "worker-1"}, Source: "amkit-demo"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sourcesFor returns the default datasource of each type the dashboard
// needs, at the given URLs by type.
func sourcesFor(t *testing.T, d dashboard.Dashboard, urls map[string]string) []provision.Datasource {
	t.Helper()
	var out []provision.Datasource
	for _, typ := range provision.Types(d) {
		ds, ok := provision.Default(typ)
		if !ok {
			t.Fatalf("no default datasource for %s", typ)
		}
		if u := urls[typ]; u != "" {
			ds.URL = u
		}
		out = append(out, ds)
	}
	return out
}

// checkProvisioning reads a provisioning directory as Grafana would: the
// datasources, the provider, the dashboards it points at, and that every
// datasource those dashboards use is provisioned, with the right type.
func checkProvisioning(t *testing.T, dir string, want []provision.Datasource) (dashboards []map[string]any) {
	t.Helper()
	var dsFile datasourcesFile
	decodeStrict(t, filepath.Join(dir, "datasources", "amkit.yaml"), &dsFile)
	if dsFile.APIVersion != 1 || len(dsFile.Datasources) != len(want) {
		t.Fatalf("datasources: apiVersion %d, %d datasources; want 1 and %d", dsFile.APIVersion, len(dsFile.Datasources), len(want))
	}
	typeOf := map[string]string{}
	defaults := 0
	for i, ds := range dsFile.Datasources {
		// name, type and access are required; access is proxy or direct
		if ds.Name == "" || ds.Type == "" || (ds.Access != "proxy" && ds.Access != "direct") {
			t.Errorf("datasource %d lacks a required field: %+v", i, ds)
		}
		w := want[i]
		if ds.Name != w.Name || ds.Type != w.Type || ds.UID != w.UID || ds.URL != w.URL {
			t.Errorf("datasource %d: %+v, want %+v", i, ds, w)
		}
		if ds.IsDefault {
			defaults++
		}
		typeOf[ds.UID] = ds.Type
	}
	if defaults > 1 {
		t.Errorf("%d default datasources; Grafana allows one per organization", defaults)
	}

	var pf providersFile
	decodeStrict(t, filepath.Join(dir, "dashboards", "amkit.yaml"), &pf)
	if pf.APIVersion != 1 || len(pf.Providers) != 1 {
		t.Fatalf("providers: %+v, want apiVersion 1 and one provider", pf)
	}
	p := pf.Providers[0]
	if p.Name == "" || p.Type != "file" || !filepath.IsAbs(p.Options.Path) {
		t.Errorf("provider %+v, want a named file provider with an absolute path", p)
	}
	// Grafana's file provider loads every .json file under its path
	files, err := filepath.Glob(filepath.Join(p.Options.Path, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("provider path %s holds no dashboard: %v", p.Options.Path, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var dash map[string]any
		if err := json.Unmarshal(b, &dash); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if uid, _ := dash["uid"].(string); uid == "" || filepath.Base(f) != uid+".json" {
			t.Errorf("%s: dashboard uid %q", f, uid)
		}
		checkDatasourceRefs(t, f, dash, typeOf)
		dashboards = append(dashboards, dash)
	}
	return dashboards
}

// checkDatasourceRefs checks every datasource reference of a dashboard's
// JSON: a literal UID or a ${variable} must come to a provisioned UID of
// the reference's type.
func checkDatasourceRefs(t *testing.T, file string, dash map[string]any, typeOf map[string]string) {
	t.Helper()
	vars := map[string]string{}
	templating, _ := dash["templating"].(map[string]any)
	list, _ := templating["list"].([]any)
	for _, v := range list {
		v, _ := v.(map[string]any)
		if v["type"] != "datasource" {
			continue
		}
		current, _ := v["current"].(map[string]any)
		value, _ := current["value"].(string)
		if typeOf[value] != v["query"] {
			t.Errorf("%s: variable $%v (%v) is set to %q, not a provisioned %v datasource", file, v["name"], v["query"], value, v["query"])
		}
		vars["${"+v["name"].(string)+"}"] = value
	}
	refs := 0
	var walk func(node any)
	walk = func(node any) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["datasource"].(map[string]any); ok {
				refs++
				uid, _ := ref["uid"].(string)
				if v, ok := vars[uid]; ok {
					uid = v
				}
				if typeOf[uid] == "" || typeOf[uid] != ref["type"] {
					t.Errorf("%s: datasource %v is not a provisioned one of its type", file, ref)
				}
			}
			for _, v := range n {
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	walk(dash)
	if refs == 0 {
		t.Errorf("%s: no datasource reference checked", file)
	}
}

func TestWrite(t *testing.T) {
	d := demoDashboard(t)
	if got := provision.Types(d); !slices.Equal(got, []string{provision.TypePrometheus, provision.TypeLoki}) {
		t.Fatalf("Types = %v, want prometheus and loki", got)
	}
	dir := filepath.Join(t.TempDir(), "provisioning")
	sources := sourcesFor(t, d, map[string]string{provision.TypePrometheus: "http://127.0.0.1:35987", provision.TypeLoki: "http://127.0.0.1:36205"})
	files, err := provision.Write(dir, d, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := provision.Files{
		Root:        dir,
		Datasources: filepath.Join(dir, "datasources", "amkit.yaml"),
		Provider:    filepath.Join(dir, "dashboards", "amkit.yaml"),
		Dashboard:   filepath.Join(dir, "dashboards", "amkit", amgrafana.UID("amkit demo")+".json"),
	}
	if *files != want {
		t.Errorf("Write wrote %+v, want %+v", *files, want)
	}
	dashboards := checkProvisioning(t, dir, sources)
	if len(dashboards) != 1 || dashboards[0]["title"] != "amkit demo" {
		t.Errorf("provisioned dashboards %v, want amkit demo", len(dashboards))
	}
	for _, v := range d.Templating.List {
		if v.Current != nil {
			t.Errorf("Write changed the caller's variable $%s", v.Name)
		}
	}

	// a second run, as make stack does with new ports, replaces the files
	sources[0].URL = "http://127.0.0.1:40000"
	if _, err := provision.Write(dir, d, sources, &provision.Opts{Folder: "machines"}); err != nil {
		t.Fatal(err)
	}
	checkProvisioning(t, dir, sources)
	var pf providersFile
	decodeStrict(t, files.Provider, &pf)
	if pf.Providers[0].Folder != "machines" {
		t.Errorf("folder %q, want machines", pf.Providers[0].Folder)
	}
}

// Every provisioning value goes through Grafana's environment variable
// expansion, where $$ stands for $.
func TestWriteEscapesDollars(t *testing.T) {
	d := demoDashboard(t)
	sources := sourcesFor(t, d, map[string]string{provision.TypePrometheus: "http://127.0.0.1:9090/p$th"})
	files, err := provision.Write(t.TempDir(), d, sources, &provision.Opts{Folder: "$HOME"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{files.Datasources: "url: http://127.0.0.1:9090/p$$th", files.Provider: "folder: $$HOME"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", path, want, b)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	d := demoDashboard(t)
	prom, _ := provision.Default(provision.TypePrometheus)
	loki, _ := provision.Default(provision.TypeLoki)
	withLiteral := d
	withLiteral.Panels = append(slices.Clone(d.Panels), dashboard.PanelOrRowPanel{Panel: &dashboard.Panel{
		Type: "timeseries", Datasource: &common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("someone-elses")},
	}})
	noUID := d
	noUID.Uid = nil
	for _, tc := range []struct {
		name    string
		dash    dashboard.Dashboard
		sources []provision.Datasource
		want    string
	}{
		{"no log datasource", d, []provision.Datasource{prom}, "variable $loki needs a loki datasource"},
		{"literal UID not provisioned", withLiteral, []provision.Datasource{prom, loki}, `datasource "someone-elses", which is not provisioned`},
		{"bad UID", d, []provision.Datasource{prom, {Type: "loki", Name: "L", UID: "a b", URL: loki.URL}}, `UID "a b"`},
		{"bad URL", d, []provision.Datasource{prom, {Type: "loki", Name: "L", UID: "l", URL: "127.0.0.1:3100"}}, `URL "127.0.0.1:3100"`},
		{"same UID twice", d, []provision.Datasource{prom, {Type: "loki", Name: "L", UID: prom.UID, URL: loki.URL}}, "share a UID, name or type"},
		{"no dashboard UID", noUID, []provision.Datasource{prom, loki}, "no valid UID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "p")
			_, err := provision.Write(dir, tc.dash, tc.sources, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
			if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
				t.Errorf("a failed Write left %s", dir)
			}
		})
	}
}

// A Jaeger datasource is provisioned next to those the dashboard queries,
// and Prometheus links exemplars' trace IDs to it.
func TestWriteTraces(t *testing.T) {
	d := demoDashboard(t)
	jaeger, _ := provision.Default(provision.TypeJaeger)
	jaeger.URL = "http://127.0.0.1:16686"
	sources := append(sourcesFor(t, d, nil), jaeger)
	files, err := provision.Write(t.TempDir(), d, sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkProvisioning(t, files.Root, sources)
	var doc datasourcesFile
	decodeStrict(t, files.Datasources, &doc)
	var links []any
	for _, ds := range doc.Datasources {
		if ds.Type == provision.TypePrometheus {
			links, _ = ds.JSONData["exemplarTraceIdDestinations"].([]any)
		} else if ds.JSONData != nil {
			t.Errorf("%s datasource has jsonData %v", ds.Type, ds.JSONData)
		}
	}
	if len(links) != 1 {
		t.Fatalf("Prometheus exemplar links %v, want one", links)
	}
	link, _ := links[0].(map[string]any)
	if link["name"] != "trace_id" || link["datasourceUid"] != jaeger.UID {
		t.Errorf("exemplar link %v, want trace_id to %s", link, jaeger.UID)
	}
	if got := provision.Plugins(sources); len(got) != 0 {
		t.Errorf("Plugins = %v; Jaeger, Prometheus and Loki ship with Grafana", got)
	}
}

func TestDefault(t *testing.T) {
	for _, typ := range []string{provision.TypePrometheus, provision.TypeLoki, provision.TypeVictoriaLogs, provision.TypeJaeger} {
		ds, ok := provision.Default(typ)
		if !ok || ds.Type != typ || ds.Name == "" || ds.UID == "" || !strings.HasPrefix(ds.URL, "http://127.0.0.1:") {
			t.Errorf("Default(%s) = %+v, %v", typ, ds, ok)
		}
	}
	if _, ok := provision.Default("graphite"); ok {
		t.Error("Default(graphite): a datasource for a type amkit does not use")
	}
}

func TestPluginsAndCommand(t *testing.T) {
	prom, _ := provision.Default(provision.TypePrometheus)
	vl, _ := provision.Default(provision.TypeVictoriaLogs)
	if got := provision.Plugins([]provision.Datasource{prom, vl}); !slices.Equal(got, []string{provision.TypeVictoriaLogs}) {
		t.Errorf("Plugins = %v, want the VictoriaLogs plugin alone", got)
	}
	for dir, want := range map[string]string{
		"/tmp/amkit-stack-1/grafana": "GF_PATHS_PROVISIONING=/tmp/amkit-stack-1/grafana grafana server --homepath /usr/share/grafana",
		"/tmp/my dir/it's":           `GF_PATHS_PROVISIONING='/tmp/my dir/it'\''s' grafana server --homepath /usr/share/grafana`,
	} {
		if got := provision.Command(dir); got != want {
			t.Errorf("Command(%q) = %s, want %s", dir, got, want)
		}
	}
}
