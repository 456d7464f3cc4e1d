package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

const testToken = "glsa_cliTokenThatMustNeverBeShown_42"

var tokenEnvVars = map[string]string{tokenEnv: testToken}

// dashboardArgs are the flags that select a dashboard.
var dashboardArgs = []string{"grafana", "--name", "My Dashboard", "--ids", "MyMach1, MyMach2", "--source", "my-service"}

// wantJSON is what am-gen should print for dashboardArgs: the dashboard
// of package amgrafana, unchanged.
func wantJSON(t *testing.T) string {
	t.Helper()
	return dashboardJSON(t, "")
}

// dashboardJSON is the dashboard of dashboardArgs with the given log
// backend, as am-gen prints it.
func dashboardJSON(t *testing.T, logs amgrafana.LogsBackend) string {
	t.Helper()
	b, err := amgrafana.NewDashboard(amgrafana.Opts{
		Name: "My Dashboard", MachineIDs: []string{"MyMach1", "MyMach2"}, Source: "my-service", Logs: logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(js) + "\n"
}

func TestGrafanaStdout(t *testing.T) {
	r := amGen(t, nil, dashboardArgs...)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r.stdout != wantJSON(t) {
		t.Errorf("stdout is not the dashboard of amgrafana:\n%s", r.stdout)
	}
}

// TestGrafanaLogsVictoriaLogs checks that --logs victorialogs prints the
// dashboard of amgrafana with VictoriaLogs log panels, and that --logs
// loki is the default.
func TestGrafanaLogsVictoriaLogs(t *testing.T) {
	r := amGen(t, nil, append(dashboardArgs, "--logs", "loki")...)
	if r.code != exitOK || r.stdout != wantJSON(t) {
		t.Errorf("--logs loki: exit %d, stderr %q; want the default dashboard", r.code, r.stderr)
	}
	r = amGen(t, nil, append(dashboardArgs, "--logs", "victorialogs")...)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r.stdout != dashboardJSON(t, amgrafana.LogsVictoriaLogs) {
		t.Errorf("stdout is not the VictoriaLogs dashboard of amgrafana:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, `"type": "victoriametrics-logs-datasource"`) || strings.Contains(r.stdout, `"type": "loki"`) {
		t.Errorf("the dashboard does not query VictoriaLogs alone:\n%s", r.stdout)
	}
}

func TestGrafanaOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dash.json")
	r := amGen(t, nil, append(dashboardArgs, "--output", path)...)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("%+v, want exit 0 and nothing on stdout", r)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantJSON(t) {
		t.Errorf("%s is not the dashboard of amgrafana", path)
	}
	// the panels as Grafana sees them: top-level ones and those inside
	// collapsed rows, not the rows
	var dash struct {
		Panels []struct {
			Type   string
			Panels []json.RawMessage
		}
	}
	if err := json.Unmarshal(got, &dash); err != nil {
		t.Fatal(err)
	}
	panels := 0
	for _, p := range dash.Panels {
		if p.Type != "row" {
			panels++
		}
		panels += len(p.Panels)
	}
	if want := fmt.Sprintf("wrote %s: 2 machines, %d panels\n", path, panels); r.stderr != want || panels < 20 {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}

	r = amGen(t, nil, append(dashboardArgs, "--output", filepath.Join(path, "sub"))...)
	if r.code != exitFail || !strings.Contains(r.stderr, "am-gen grafana: write dashboard: ") {
		t.Errorf("unwritable output: %+v, want exit 1 naming the failed write", r)
	}
}

func TestGrafanaUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no flags", nil, []string{"grafana"}, "missing --name, --ids, --source"},
		{"no source", nil, []string{"grafana", "--name", "a", "--ids", "b"}, "missing --source"},
		{"unknown flag", nil, append(dashboardArgs, "--bogus"), "flag provided but not defined: -bogus"},
		{"argument", nil, append(dashboardArgs, "extra"), `unexpected argument "extra"`},
		{"duplicate ID", nil, []string{"grafana", "--name", "a", "--ids", "x,y,x", "--source", "s"}, `machine ID "x" given twice`},
		{"empty ID", nil, []string{"grafana", "--name", "a", "--ids", "x,", "--source", "s"}, "empty machine ID"},
		{"folder without URL", tokenEnvVars, append(dashboardArgs, "--folder", "f"), "--folder needs --grafana-url"},
		{"no token", nil, append(dashboardArgs, "--grafana-url", "http://127.0.0.1:3000"), tokenEnv + " is not set"},
		{"zero timeout", nil, append(dashboardArgs, "--timeout", "0s"), "--timeout must be positive"},
		{"unknown logs backend", nil, append(dashboardArgs, "--logs", "elastic"), `--logs "elastic": want loki or victorialogs`},
		{"bad URL", tokenEnvVars, append(dashboardArgs, "--grafana-url", "127.0.0.1:3000"), "--grafana-url: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := amGen(t, tc.vars, tc.args...)
			if r.code != exitUsage || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			if !strings.Contains(r.stderr, "am-gen grafana: ") || !strings.Contains(r.stderr, tc.want) ||
				!strings.Contains(r.stderr, "Run 'am-gen help grafana' for usage.") {
				t.Errorf("stderr %q, want %q and a pointer to the help", r.stderr, tc.want)
			}
		})
	}
}

func TestGrafanaSync(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken, Folders: []string{"team"}})
	defer srv.Close()
	uid := amgrafana.UID("My Dashboard")
	args := append(dashboardArgs, "--grafana-url", srv.GrafanaURL(), "--folder", "team")

	for _, version := range []string{"1", "2"} {
		r := amGen(t, tokenEnvVars, args...)
		want := `saved dashboard "My Dashboard" (uid ` + uid + ", version " + version + "): " + srv.URL + "/d/" + uid + "/my-dashboard\n"
		if r.code != exitOK || r.stdout != want || r.stderr != "" {
			t.Errorf("run %s: %+v, want exit 0 and %q", version, r, want)
		}
	}
	d, ok := srv.Dashboard(uid)
	if !ok || d.FolderUID != "team" || d.Version != 2 || d.Message != "am-gen grafana: MyMach1, MyMach2" {
		t.Errorf("Grafana holds %+v, want version 2 in folder team", d)
	}
	for _, req := range srv.Requests() {
		if req.Body["overwrite"] != true || req.Body["folderUid"] != "team" {
			t.Errorf("request body overwrite %v, folderUid %v; want true and team", req.Body["overwrite"], req.Body["folderUid"])
		}
	}

	// with --output, the JSON is written too
	path := filepath.Join(t.TempDir(), "dash.json")
	if r := amGen(t, tokenEnvVars, append(args, "--output", path)...); r.code != exitOK {
		t.Fatalf("sync with --output: %+v", r)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != wantJSON(t) {
		t.Errorf("--output while syncing: %v", err)
	}
}

func TestGrafanaSyncErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		token   string
		folder  string
		subPath string
		respond func(s *grafanatest.Server)
		want    []string
	}{{
		name:  "invalid token",
		token: "glsa_revoked",
		want:  []string{"401 Unauthorized: Invalid API key", tokenEnv + " was rejected"},
	}, {
		name:    "access denied",
		respond: func(s *grafanatest.Server) { s.Respond(403, `{"message":"Access denied to save dashboard"}`) },
		want:    []string{"403 Forbidden: Access denied to save dashboard", "Editor role"},
	}, {
		name:   "unknown folder",
		folder: "nope",
		want:   []string{"404 Not Found: folder not found", `folder "nope" does not exist`},
	}, {
		name:    "unknown folder, older Grafana",
		folder:  "nope",
		respond: func(s *grafanatest.Server) { s.Respond(400, `{"message":"Folder not found"}`) },
		want:    []string{"400 Bad Request: Folder not found", `folder "nope" does not exist`},
	}, {
		name:    "not the API, with a folder",
		subPath: "/grafana",
		folder:  "team",
		want:    []string{"404 Not Found", "no dashboard API at"},
	}, {
		name:    "not the API",
		subPath: "/grafana",
		want:    []string{"404 Not Found", "no dashboard API at", "sub path"},
	}, {
		name: "version mismatch",
		respond: func(s *grafanatest.Server) {
			s.Respond(412, `{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}`)
		},
		want: []string{"412 Precondition Failed", "(version-mismatch)", "run the command again"},
	}, {
		name: "plugin dashboard",
		respond: func(s *grafanatest.Server) {
			s.Respond(412, `{"message":"The dashboard belongs to plugin Foo.","status":"plugin-dashboard"}`)
		},
		want: []string{"(plugin-dashboard)", "a plugin provides a dashboard with this UID"},
	}, {
		name:    "server error",
		respond: func(s *grafanatest.Server) { s.Respond(500, `{"message":"Internal Server Error"}`) },
		want:    []string{"500 Internal Server Error", "try again"},
	}, {
		name: "server error echoing the token",
		respond: func(s *grafanatest.Server) {
			s.Respond(502, `<html>proxy error: Authorization: Bearer `+testToken+`</html>`)
		},
		want: []string{"502 Bad Gateway", "Bearer [token]", "try again"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
			defer srv.Close()
			if tc.respond != nil {
				tc.respond(srv)
			}
			vars := tokenEnvVars
			if tc.token != "" {
				vars = map[string]string{tokenEnv: tc.token}
			}
			args := append(dashboardArgs, "--grafana-url", srv.URL+tc.subPath)
			if tc.folder != "" {
				args = append(args, "--folder", tc.folder)
			}
			checkSyncFailure(t, amGen(t, vars, args...), tc.want)
		})
	}
}

func TestGrafanaSyncUnreachable(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
	url := srv.URL
	srv.Close()
	// a password in the URL is hidden like the token
	withPassword := strings.Replace(url, "http://", "http://admin:"+testToken+"@", 1)
	r := amGen(t, tokenEnvVars, append(dashboardArgs, "--grafana-url", withPassword)...)
	checkSyncFailure(t, r, []string{"cannot reach Grafana at http://admin:xxxxx@" + strings.TrimPrefix(url, "http://")})
}

func TestGrafanaSyncTimeout(t *testing.T) {
	// a Grafana that never answers; the body is read so that the server
	// notices when the client gives up and hangs up
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	r := amGen(t, tokenEnvVars, append(dashboardArgs, "--grafana-url", srv.URL, "--timeout", "50ms")...)
	checkSyncFailure(t, r, []string{"did not answer within 50ms", "--timeout"})
}

// checkSyncFailure checks a failed sync: exit 1, the messages, and no
// token anywhere.
func checkSyncFailure(t *testing.T, r result, want []string) {
	t.Helper()
	if r.code != exitFail || r.stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if strings.Contains(r.stdout+r.stderr, testToken) {
		t.Errorf("the token was shown:\n%s%s", r.stdout, r.stderr)
	}
}

func TestGrafanaSyncInterrupted(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
	defer srv.Close()
	// as after Ctrl-C: main cancels the context on os.Interrupt
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	args := append(dashboardArgs, "--grafana-url", srv.URL)
	code := run(ctx, args, &stdout, &stderr, func(k string) string { return tokenEnvVars[k] })
	checkSyncFailure(t, result{code, stdout.String(), stderr.String()}, []string{"interrupted before Grafana answered"})
}
