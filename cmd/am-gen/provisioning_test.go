package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/provision"
)

func TestGrafanaProvisioning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "grafana")
	r := amGen(t, nil, append(dashboardArgs, "--provisioning", dir,
		"--prometheus-url", "http://127.0.0.1:35987", "--logs-url", "http://127.0.0.1:36205")...)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("%+v, want exit 0 and nothing on stdout", r)
	}
	dashFile := filepath.Join(dir, "dashboards", "amkit", amgrafana.UID("My Dashboard")+".json")
	for _, want := range []string{
		"wrote " + dashFile + ": 2 machines, ",
		"wrote " + filepath.Join(dir, "datasources", "amkit.yaml") + ": amkit Prometheus at http://127.0.0.1:35987, amkit Loki at http://127.0.0.1:36205\n",
		"wrote " + filepath.Join(dir, "dashboards", "amkit.yaml") + ": the dashboard provider of folder amkit\n",
		"start a Grafana on it: GF_PATHS_PROVISIONING=" + dir + " grafana server --homepath /usr/share/grafana\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(dashFile); err != nil {
		t.Error(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "datasources", "amkit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Datasources []struct{ Type, URL string }
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ds := range doc.Datasources {
		got[ds.Type] = ds.URL
	}
	if got[provision.TypePrometheus] != "http://127.0.0.1:35987" || got[provision.TypeLoki] != "http://127.0.0.1:36205" || len(got) != 2 {
		t.Errorf("datasources %v, want the flags' URLs", got)
	}

	// --traces-url adds Jaeger, for the exemplars
	r = amGen(t, nil, append(dashboardArgs, "--provisioning", dir, "--traces-url", "http://127.0.0.1:16686")...)
	if r.code != exitOK || !strings.Contains(r.stderr, ", amkit Jaeger at http://127.0.0.1:16686\n") {
		t.Errorf("--traces-url: %+v", r)
	}

	// with --output as well, both are written; the JSON is amgrafana's
	out := filepath.Join(t.TempDir(), "dash.json")
	if r := amGen(t, nil, append(dashboardArgs, "--provisioning", dir, "--output", out)...); r.code != exitOK {
		t.Fatalf("--provisioning with --output: %+v", r)
	}
	if js, err := os.ReadFile(out); err != nil || string(js) != wantJSON(t) {
		t.Errorf("--output next to --provisioning: %v", err)
	}
}

func TestGrafanaProvisioningErrors(t *testing.T) {
	for _, args := range [][]string{{"--prometheus-url", "http://p:9090"}, {"--logs-url", "http://l:3100"}, {"--traces-url", "http://j:16686"}} {
		r := amGen(t, nil, append(dashboardArgs, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--prometheus-url, --logs-url and --traces-url need --provisioning") {
			t.Errorf("%s without --provisioning: %+v", args[0], r)
		}
	}
	dir := t.TempDir()
	r := amGen(t, nil, append(dashboardArgs, "--provisioning", dir, "--prometheus-url", "127.0.0.1:9090")...)
	if r.code != exitFail || !strings.Contains(r.stderr, `--provisioning: provision: datasource "amkit Prometheus": URL "127.0.0.1:9090"`) {
		t.Errorf("a URL without scheme: %+v", r)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed --provisioning wrote %d entries", len(entries))
	}
}
