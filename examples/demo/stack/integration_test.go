package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/amkit-dev/amkit/examples/demo/internal/readme"
	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/internal/e2e/browser"
)

// pollTimeout bounds each wait for the stack: the first run builds the demo
// and am-gen, and Prometheus scrapes about 5s after it starts.
const pollTimeout = 3 * time.Minute

// TestIntegrationStack runs the stack as `make stack` does, follows the
// links it prints to see the demo's data in each backend, checks the
// dashboard file, and checks that stopping it leaves no process behind.
func TestIntegrationStack(t *testing.T) {
	// the stack starts and stops its backends, and has Prometheus scrape
	// the demo
	e2e.RequireOwn(t, e2e.Jaeger, e2e.VictoriaLogs, e2e.Pushgateway, e2e.Prometheus, e2e.Collector)
	dir := t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out := &e2e.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--dir", dir}, out, out) }()

	e2e.Eventually(t, pollTimeout, "the stack's banner", func(context.Context) error {
		select {
		case err := <-done:
			t.Fatalf("stack stopped: %v\n%s", err, out)
		default:
		}
		if !strings.Contains(out.String(), "Press Ctrl-C to stop everything.") {
			return fmt.Errorf("not up yet:\n%s", out)
		}
		return nil
	})
	banner := out.String()
	link := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("no %s in the banner:\n%s", re, banner)
		}
		return m[1]
	}

	// README.md shows the start of this banner for `make stack`
	sample, err := readme.Output("../../../README.md", "make stack")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := readme.Normalize(banner), readme.Normalize(sample); !strings.Contains(got, want) {
		t.Errorf("banner:\n%s\nREADME.md shows:\n%s", banner, sample)
	}

	for _, u := range []string{
		link(`traces\s+Jaeger\s+(\S+)`),
		link(`metrics\s+Prometheus\s+(\S+)`),
		link(`pushed metrics\s+Pushgateway\s+(\S+)`),
	} {
		if body, err := get(u); err != nil {
			t.Errorf("%s: %v", u, err)
		} else if len(body) == 0 {
			t.Errorf("%s: empty page", u)
		}
	}
	prom := link(`Prometheus (http://\S+) and VictoriaLogs`)
	for _, job := range []string{demoService, demoService + "-push"} {
		e2e.Eventually(t, pollTimeout, "job "+job+" in Prometheus", func(ctx context.Context) error {
			q := fmt.Sprintf(`count(am_transitions_total{job=%q} > 0)`, job)
			body, err := get(prom + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
			if err != nil {
				return err
			}
			if want := fmt.Sprintf(`"%d"]`, len(machineIDs())); !strings.Contains(string(body), want) {
				return fmt.Errorf("%s: %s, want %d machines", q, body, len(machineIDs()))
			}
			return nil
		})
	}
	// the transition time panel's exemplars: trace IDs that Jaeger knows
	jaegerUI, err := url.Parse(link(`traces\s+Jaeger\s+(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	e2e.Eventually(t, pollTimeout, "exemplars of the demo's transition durations, in Jaeger", func(ctx context.Context) error {
		q := fmt.Sprintf(`am_transition_duration_seconds_bucket{job=%q}`, demoService)
		now := time.Now().Unix()
		body, err := get(prom + "/api/v1/query_exemplars?" + url.Values{
			"query": {q}, "start": {strconv.FormatInt(now-3600, 10)}, "end": {strconv.FormatInt(now+1, 10)},
		}.Encode())
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`"trace_id":"([0-9a-f]{32})"`).FindSubmatch(body)
		if m == nil {
			return fmt.Errorf("no exemplar with a trace_id: %.300s", body)
		}
		_, err = get(jaegerUI.Scheme + "://" + jaegerUI.Host + "/api/traces/" + string(m[1]))
		return err
	})
	uiLink := link(`logs\s+VictoriaLogs\s+(\S+)`)
	uiCtx, uiDone := context.WithTimeout(ctx, time.Minute)
	if err := e2e.CheckVictoriaLogsUI(uiCtx, uiLink); err != nil {
		t.Error(err)
	}
	uiDone()
	logsLink := link(`LogsQL \(JSON\)\s+(\S+)`)
	e2e.Eventually(t, pollTimeout, "the demo's logs behind the LogsQL link", func(ctx context.Context) error {
		body, err := get(logsLink)
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), "[state] +Assigned") {
			return fmt.Errorf("no +Assigned line in %.300s", body)
		}
		return nil
	})
	// a person opens the UI link: it runs the demo's query and lists the
	// lines of worker-1
	tab := browser.Open(t, uiLink, nil)
	tab.WaitText("body", "Total logs returned", "[state] +Assigned")
	if n := tab.Dialogs(); n > 0 {
		t.Errorf("the UI opened %d dialogs", n)
	}
	jaegerBase := strings.TrimSuffix(link(`traces\s+Jaeger\s+(http://[^/]+)`), "/")
	e2e.Eventually(t, pollTimeout, "the demo's traces in Jaeger", func(ctx context.Context) error {
		body, err := get(jaegerBase + "/api/traces?" + url.Values{"service": {demoService}, "limit": {"5"}}.Encode())
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), `"operationName":"mach:worker-1"`) {
			return fmt.Errorf("no mach:worker-1 span in %.300s", body)
		}
		return nil
	})
	checkDashboard(t, link(`dashboard\s+Grafana\s+(\S+)`), link(`and VictoriaLogs (http://\S+)`))
	checkProvisioning(t, link(`provisioned\s+GF_PATHS_PROVISIONING=(\S+) grafana server`), prom, link(`and VictoriaLogs (http://\S+)`), jaegerBase)
	if _, err := os.Stat(link(`tail -f (\S+)`)); err != nil {
		t.Errorf("demo log: %v", err)
	}
	inspector := link(`debugger\s+am-dbg \(web\)\s+(\S+)`)
	if page, err := get(inspector); err != nil || !strings.Contains(string(page), "/static/app.js") {
		t.Errorf("am-dbg's web inspector at %s: %v %.300s", inspector, err, page)
	}
	e2e.Eventually(t, pollTimeout, "the demo's machines in am-dbg's web inspector", func(ctx context.Context) error {
		body, err := get(inspector + "api/view?m=worker-1")
		if err != nil {
			return err
		}
		for _, want := range []string{`"id":"supervisor"`, `"id":"worker-1","depth":1,"life":"running"`} {
			if !strings.Contains(string(body), want) {
				return fmt.Errorf("no %s in %.300s", want, body)
			}
		}
		return nil
	})

	// the detector of leftovers sees the running stack: four backends,
	// am-dbg and the demo
	if procs := processesUsing(t, dir); len(procs) < 6 {
		t.Errorf("%d processes in %s while the stack runs, want 6 or more:\n%s", len(procs), dir, strings.Join(procs, "\n"))
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stack: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the stack did not stop")
	}
	if procs := processesUsing(t, dir); len(procs) > 0 {
		t.Errorf("processes left behind:\n%s", strings.Join(procs, "\n"))
	}
}

// get returns the body of a 200 response to GET u.
func get(u string) ([]byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	return body, nil
}

// checkDashboard checks that am-gen made the demo's dashboard: a row per
// machine, with the demo's service as its source, and log views whose
// LogsQL finds the demo's lines in the stack's VictoriaLogs at vlogs.
func checkDashboard(t *testing.T, path, vlogs string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Datasource struct {
					Type string `json:"type"`
				} `json:"datasource"`
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if dash.Title != "amkit demo" {
		t.Errorf("dashboard title %q", dash.Title)
	}
	var rows []string
	for _, p := range dash.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	for _, id := range machineIDs() {
		if !strings.Contains(strings.Join(rows, "\n"), id) {
			t.Errorf("dashboard rows %q: none for %s", rows, id)
		}
	}
	if !bytes.Contains(b, []byte(`"`+demoService+`"`)) {
		t.Errorf("dashboard does not name the source %s", demoService)
	}
	// the first row is open, so its log view is a top-level panel
	var logView string
	for _, p := range dash.Panels {
		if p.Title == "Log view" && len(p.Targets) == 1 && p.Targets[0].Datasource.Type == "victoriametrics-logs-datasource" {
			logView = strings.ReplaceAll(p.Targets[0].Expr, "$source", demoService)
			break
		}
	}
	if logView == "" {
		t.Fatalf("no log view on VictoriaLogs in the open row of %s", path)
	}
	e2e.Eventually(t, pollTimeout, "the log view's lines in VictoriaLogs", func(ctx context.Context) error {
		body, err := get(vlogs + "/select/logsql/query?" + url.Values{"query": {logView}, "limit": {"50"}}.Encode())
		if err != nil {
			return err
		}
		if !bytes.Contains(body, []byte(`"machine_id":"supervisor"`)) {
			return fmt.Errorf("%s: no line of the supervisor in %.300s", logView, body)
		}
		return nil
	})
}

// processesUsing lists the processes that run in dir or name it on their
// command line: the stack starts every backend and the demo in a directory
// of its own inside its dir.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil || len(procs) == 0 {
		t.Log("no /proc: cannot look for leftover processes")
		return nil
	}
	var out []string
	for _, p := range procs {
		// errors mean the process exited meanwhile
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		b, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		cmd := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		if strings.HasPrefix(cwd, dir) || strings.Contains(cmd, dir) {
			out = append(out, filepath.Base(p)+": "+cmd)
		}
	}
	return out
}

// checkProvisioning checks the Grafana provisioning directory the banner
// names: datasources at the stack's live URLs, and the demo's dashboard,
// its datasource variables set to them (package provision tests the
// format itself).
func checkProvisioning(t *testing.T, dir, prom, vlogs, jaeger string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "datasources", "amkit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Datasources []struct{ UID, Type, URL string }
	}
	if err := yaml.Unmarshal(b, &ds); err != nil {
		t.Fatalf("%s/datasources/amkit.yaml: %v", dir, err)
	}
	uids := map[string]string{}
	for _, d := range ds.Datasources {
		uids[d.Type] = d.UID
		if want := map[string]string{"prometheus": prom, "victoriametrics-logs-datasource": vlogs, "jaeger": jaeger}[d.Type]; d.URL != want {
			t.Errorf("provisioned %s datasource at %s, want the stack's %s", d.Type, d.URL, want)
		}
	}
	if len(uids) != 3 {
		t.Errorf("provisioned datasources %+v, want Prometheus, VictoriaLogs and Jaeger", ds.Datasources)
	}
	dashboards, err := filepath.Glob(filepath.Join(dir, "dashboards", "amkit", "*.json"))
	if err != nil || len(dashboards) != 1 {
		t.Fatalf("provisioned dashboards %v, %v; want the demo's", dashboards, err)
	}
	b, err = os.ReadFile(dashboards[0])
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string
		Templating struct {
			List []struct {
				Type, Query string
				Current     struct{ Value string }
			}
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	pinned := 0
	for _, v := range dash.Templating.List {
		if v.Type != "datasource" {
			continue
		}
		pinned++
		if v.Current.Value == "" || v.Current.Value != uids[v.Query] {
			t.Errorf("dashboard variable of %s set to %q, want the provisioned %q", v.Query, v.Current.Value, uids[v.Query])
		}
	}
	if dash.Title != "amkit demo" || pinned != 2 {
		t.Errorf("provisioned dashboard %q with %d datasource variables, want amkit demo with 2", dash.Title, pinned)
	}
}
