package amgrafana_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

const testToken = "glsa_testTokenThatMustNeverBeShown_0123abcd"

func buildDashboard(t *testing.T, opts amgrafana.Opts) dashboard.Dashboard {
	t.Helper()
	b, err := amgrafana.NewDashboard(opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newClient(t *testing.T, url string) *amgrafana.Client {
	t.Helper()
	c, err := amgrafana.NewClient(url, testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSaveDashboard(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken, Folders: []string{"team"}, SubPath: "/grafana"})
	defer srv.Close()
	c := newClient(t, srv.GrafanaURL())
	d := buildDashboard(t, goldenOpts)
	uid := amgrafana.UID(goldenOpts.Name)
	ctx := context.Background()

	for version := int64(1); version <= 2; version++ {
		res, err := c.SaveDashboard(ctx, d, &amgrafana.SaveOpts{FolderUID: "team", Message: "generated"})
		if err != nil {
			t.Fatal(err)
		}
		want := amgrafana.SaveResult{UID: uid, URL: srv.URL + "/grafana/d/" + uid + "/my-dashboard", Version: version}
		if *res != want {
			t.Errorf("save %d: %+v, want %+v", version, *res, want)
		}
	}
	got, ok := srv.Dashboard(uid)
	if !ok || got.FolderUID != "team" || got.Version != 2 || got.Message != "generated" || got.Model["title"] != "My Dashboard" {
		t.Errorf("Grafana holds %+v, want version 2 of My Dashboard in folder team", got)
	}

	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/grafana/api/dashboards/db" {
		t.Errorf("request %s %s, want POST /grafana/api/dashboards/db", r.Method, r.Path)
	}
	for key, want := range map[string]string{
		"Authorization": "Bearer " + testToken,
		"Content-Type":  "application/json",
		"Accept":        "application/json",
	} {
		if got := r.Header.Get(key); got != want {
			t.Errorf("header %s: %q, want %q", key, got, want)
		}
	}
	if r.Body["overwrite"] != true || r.Body["folderUid"] != "team" {
		t.Errorf("body overwrite %v, folderUid %v; want true and team", r.Body["overwrite"], r.Body["folderUid"])
	}
	model, _ := r.Body["dashboard"].(map[string]any)
	if id, ok := model["id"]; !ok || id != nil {
		t.Errorf("dashboard id %v (sent: %v), want null", id, ok)
	}
	if model["uid"] != uid {
		t.Errorf("dashboard uid %v, want %s", model["uid"], uid)
	}
}

func TestSaveDashboardToRoot(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
	defer srv.Close()
	if _, err := newClient(t, srv.GrafanaURL()).SaveDashboard(context.Background(), buildDashboard(t, goldenOpts), nil); err != nil {
		t.Fatal(err)
	}
	body := srv.Requests()[0].Body
	if _, sent := body["folderUid"]; sent {
		t.Errorf("folderUid %v sent without a folder", body["folderUid"])
	}
}

func TestSaveDashboardErrors(t *testing.T) {
	d := buildDashboard(t, goldenOpts)
	for _, tc := range []struct {
		name string
		// token overrides the client's token
		token   string
		folder  string
		respond func(s *grafanatest.Server)
		// status is the APIError's StatusCode; 0 means not an APIError
		status int
		want   []string
	}{{
		name: "invalid token", token: "glsa_wrong", status: 401,
		want: []string{"401 Unauthorized", "Invalid API key"},
	}, {
		name: "unknown folder", folder: "nope", status: 404,
		want: []string{"404 Not Found", "folder not found"},
	}, {
		name:    "access denied",
		respond: func(s *grafanatest.Server) { s.Respond(403, `{"message":"Access denied to save dashboard"}`) },
		status:  403, want: []string{"403 Forbidden", "Access denied"},
	}, {
		name: "version mismatch",
		respond: func(s *grafanatest.Server) {
			s.Respond(412, `{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}`)
		},
		status: 412, want: []string{"412 Precondition Failed", "changed by someone else", "(version-mismatch)"},
	}, {
		name:    "server error page",
		respond: func(s *grafanatest.Server) { s.Respond(502, "<html><body>Bad Gateway</body></html>") },
		status:  502, want: []string{"502 Bad Gateway", "<html><body>Bad Gateway"},
	}, {
		name: "proxy echoes the token",
		respond: func(s *grafanatest.Server) {
			s.Respond(500, `{"message":"upstream failed for Authorization: Bearer `+testToken+`"}`)
		},
		status: 500, want: []string{"500 Internal Server Error", "Bearer [token]"},
	}, {
		name:    "not Grafana",
		respond: func(s *grafanatest.Server) { s.Respond(200, `<html>login</html>`) },
		want:    []string{"without Grafana's JSON (is it Grafana?)", "<html>login</html>"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
			defer srv.Close()
			if tc.respond != nil {
				tc.respond(srv)
			}
			token := testToken
			if tc.token != "" {
				token = tc.token
			}
			c, err := amgrafana.NewClient(srv.GrafanaURL(), token, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SaveDashboard(context.Background(), d, &amgrafana.SaveOpts{FolderUID: tc.folder})
			if err == nil {
				t.Fatal("no error")
			}
			var apiErr *amgrafana.APIError
			if got := errors.As(err, &apiErr); got != (tc.status != 0) || got && apiErr.StatusCode != tc.status {
				t.Errorf("error %T %v, want APIError with status %d", err, err, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

func TestSaveDashboardUnreachable(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
	url := srv.GrafanaURL()
	srv.Close()
	_, err := newClient(t, url).SaveDashboard(context.Background(), buildDashboard(t, goldenOpts), nil)
	var apiErr *amgrafana.APIError
	if err == nil || errors.As(err, &apiErr) || !strings.Contains(err.Error(), url) {
		t.Fatalf("error %v, want a network error naming %s", err, url)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestSaveDashboardWithoutUID(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: testToken})
	defer srv.Close()
	_, err := newClient(t, srv.GrafanaURL()).SaveDashboard(context.Background(), dashboard.Dashboard{}, nil)
	if err == nil || !strings.Contains(err.Error(), "no UID") {
		t.Errorf("error %v, want one about the missing UID", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for a dashboard without UID", n)
	}
}

func TestNewClientRejects(t *testing.T) {
	for _, tc := range []struct{ url, token, want string }{
		{"localhost:3000", testToken, "want http:// or https://"},
		{"ftp://grafana", testToken, "want http:// or https://"},
		{"http://", testToken, "want http:// or https://"},
		{"http://grafana:3000", "", "empty token"},
		{"http://grafana:3000", " \n", "empty token"},
		{"http://grafana:3000", "glsa_a b", "invalid token: it contains a space or a control character"},
		{"http://grafana:3000", "glsa_a\r\nX-Injected: 1", "invalid token: it contains a space or a control character"},
	} {
		_, err := amgrafana.NewClient(tc.url, tc.token, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q): %v, want an error containing %q", tc.url, err, tc.want)
		}
		if tok := strings.TrimSpace(tc.token); tok != "" && err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("NewClient error shows the token: %v", err)
		}
	}
}
