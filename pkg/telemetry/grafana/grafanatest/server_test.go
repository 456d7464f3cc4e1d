package grafanatest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

const token = "glsa_test"

// post sends a raw request and returns the status and Grafana's message.
func post(t *testing.T, method, url, contentType, auth, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %s is not JSON: %v", raw, err)
	}
	return resp.StatusCode, out
}

// TestGrafanaRules checks that the stand-in refuses what Grafana refuses,
// so that tests against it mean something.
func TestGrafanaRules(t *testing.T) {
	const (
		jsonType = "application/json"
		bearer   = "Bearer " + token
		path     = "/api/dashboards/db"
	)
	dash := func(fields string) string {
		return `{"dashboard": {` + fields + `}, "overwrite": false}`
	}
	for _, tc := range []struct {
		name                   string
		method, path, ctype    string
		auth, body             string
		status                 int
		message, grafanaStatus string
	}{
		{"create", "POST", path, jsonType, bearer, dash(`"uid":"a","title":"A"`), 200, "", "success"},
		{"unknown path", "POST", "/api/dashboards", jsonType, bearer, dash(`"uid":"a","title":"A"`), 404, "Not found", ""},
		{"GET", "GET", path, jsonType, bearer, "", 405, "Method not allowed", ""},
		{"no token", "POST", path, jsonType, "", dash(`"uid":"a","title":"A"`), 401, "Invalid API key", ""},
		{"wrong token", "POST", path, jsonType, "Bearer x", dash(`"uid":"a","title":"A"`), 401, "Invalid API key", ""},
		{"not JSON", "POST", path, "text/plain", bearer, dash(`"uid":"a","title":"A"`), 400, "bad request data", ""},
		{"no dashboard", "POST", path, jsonType, bearer, `{"overwrite": true}`, 400, "bad request data", ""},
		{"no title", "POST", path, jsonType, bearer, dash(`"uid":"a"`), 400, "Dashboard title cannot be empty", ""},
		{"long uid", "POST", path, jsonType, bearer, dash(`"uid":"` + strings.Repeat("u", 41) + `","title":"A"`), 400, "uid contains illegal characters or is longer than 40", ""},
		{"unknown id", "POST", path, jsonType, bearer, dash(`"id":7,"uid":"a","title":"A"`), 404, "Dashboard not found", ""},
		{"unknown folder", "POST", path, jsonType, bearer, `{"dashboard":{"uid":"a","title":"A"},"folderUid":"nope"}`, 404, "folder not found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := grafanatest.NewServer(grafanatest.Opts{Token: token})
			defer srv.Close()
			status, out := post(t, tc.method, srv.URL+tc.path, tc.ctype, tc.auth, tc.body)
			if status != tc.status || tc.message != "" && out["message"] != tc.message || tc.grafanaStatus != "" && out["status"] != tc.grafanaStatus {
				t.Errorf("answer %d %v, want %d with message %q, status %q", status, out, tc.status, tc.message, tc.grafanaStatus)
			}
		})
	}
}

func TestGrafanaOverwrite(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: token, Folders: []string{"f"}})
	defer srv.Close()
	url := srv.URL + "/api/dashboards/db"
	save := func(body string) (int, map[string]any) {
		return post(t, "POST", url, "application/json", "Bearer "+token, body)
	}

	if status, out := save(`{"dashboard":{"uid":"a","title":"A"},"folderUid":"f"}`); status != 200 || out["url"] != "/d/a/a" {
		t.Fatalf("create: %d %v", status, out)
	}
	// without overwrite, an old version and a taken title are refused
	if status, out := save(`{"dashboard":{"uid":"a","title":"A","version":0},"folderUid":"f"}`); status != 412 || out["status"] != "version-mismatch" {
		t.Errorf("stale version: %d %v, want 412 version-mismatch", status, out)
	}
	if status, out := save(`{"dashboard":{"uid":"b","title":"A"},"folderUid":"f"}`); status != 412 || out["status"] != "name-exists" {
		t.Errorf("taken title: %d %v, want 412 name-exists", status, out)
	}
	if status, out := save(`{"dashboard":{"uid":"a","title":"A","version":1},"folderUid":"f"}`); status != 200 || out["version"] != float64(2) {
		t.Errorf("current version: %d %v, want 200 and version 2", status, out)
	}
	// with overwrite, the version does not matter; no folder means the root
	if status, out := save(`{"dashboard":{"uid":"a","title":"A","id":null},"overwrite":true}`); status != 200 || out["version"] != float64(3) {
		t.Errorf("overwrite: %d %v, want 200 and version 3", status, out)
	}
	if d, _ := srv.Dashboard("a"); d.FolderUID != "" || d.Version != 3 {
		t.Errorf("dashboard in folder %q at version %d, want the root at 3", d.FolderUID, d.Version)
	}
}

func TestRespond(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: token})
	defer srv.Close()
	srv.Respond(503, `{"message":"maintenance"}`)
	body := `{"dashboard":{"uid":"a","title":"A"}}`
	if status, out := post(t, "POST", srv.URL+"/api/dashboards/db", "application/json", "Bearer "+token, body); status != 503 || out["message"] != "maintenance" {
		t.Errorf("scripted answer: %d %v", status, out)
	}
	if status, _ := post(t, "POST", srv.URL+"/api/dashboards/db", "application/json", "Bearer "+token, body); status != 200 {
		t.Errorf("answer after the scripted one: %d, want 200", status)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests recorded, want 2", n)
	}
}

func TestRedirect(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: token})
	defer srv.Close()
	srv.Redirect(http.StatusTemporaryRedirect, "https://grafana.example.com/api/dashboards/db")
	req, err := http.NewRequest("POST", srv.URL+"/api/dashboards/db", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != "https://grafana.example.com/api/dashboards/db" {
		t.Errorf("answer %d to %q, want 307 to the scripted location", resp.StatusCode, resp.Header.Get("Location"))
	}
}
