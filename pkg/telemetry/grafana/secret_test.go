package amgrafana_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

// specialToken has the characters of an old base64 API key, so that its
// escaped forms differ from it.
const specialToken = "eyJrIjoi+Tok/en<&>=="

// tokenForms are the texts that must never be shown for token given as
// raw: as given, trimmed, URL-escaped both ways, JSON-escaped, and in an
// Authorization header.
func tokenForms(raw string) []string {
	tok := strings.TrimSpace(raw)
	return []string{raw, tok, url.QueryEscape(tok), url.PathEscape(tok), (&url.URL{Path: tok}).EscapedPath(), "Bearer " + tok,
		strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(tok)}
}

// noToken fails for any form of the token in texts.
func noToken(t *testing.T, raw string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, f := range tokenForms(raw) {
			if strings.Contains(text, f) {
				t.Errorf("%q shows the token as %q", text, f)
			}
		}
	}
}

// A token read with a trailing newline or spaces is sent trimmed, and hidden
// in every form from Grafana's answers, a successful one included.
func TestTokenTrimmedAndRedacted(t *testing.T) {
	raw := " " + specialToken + " \n"
	d := buildDashboard(t, goldenOpts)
	echo := strings.Join([]string{raw, specialToken, url.QueryEscape(specialToken), url.PathEscape(specialToken),
		"Bearer " + specialToken}, " | ")
	echoJSON := strings.ReplaceAll(strings.ReplaceAll(echo, "\n", `\n`), `"`, `\"`)
	for _, tc := range []struct {
		name    string
		respond func(s *grafanatest.Server)
		check   func(t *testing.T, res *amgrafana.SaveResult, err error)
	}{{
		name: "sent trimmed",
		check: func(t *testing.T, res *amgrafana.SaveResult, err error) {
			if err != nil || res.Version != 1 {
				t.Errorf("save with a padded token: %+v, %v", res, err)
			}
		},
	}, {
		name: "200 echoing it in uid and url",
		respond: func(s *grafanatest.Server) {
			s.Respond(200, `{"uid":"`+echoJSON+`","url":"/d/`+url.PathEscape(specialToken)+`/x?t=`+url.QueryEscape(specialToken)+`","version":1}`)
		},
		check: func(t *testing.T, res *amgrafana.SaveResult, err error) {
			if err != nil {
				t.Fatal(err)
			}
			noToken(t, raw, res.UID, res.URL)
			if !strings.Contains(res.UID, "[token]") || !strings.Contains(res.URL, "[token]") {
				t.Errorf("result %+v, want [token] where the token was", res)
			}
		},
	}, {
		name:    "JSON error echoing it",
		respond: func(s *grafanatest.Server) { s.Respond(500, `{"message":"`+echoJSON+`","status":"`+echoJSON+`"}`) },
		check: func(t *testing.T, _ *amgrafana.SaveResult, err error) {
			var apiErr *amgrafana.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v, want an APIError", err)
			}
			noToken(t, raw, err.Error(), apiErr.Message, apiErr.Status)
		},
	}, {
		name:    "page echoing it",
		respond: func(s *grafanatest.Server) { s.Respond(502, "<pre>"+echo+"</pre>") },
		check: func(t *testing.T, _ *amgrafana.SaveResult, err error) {
			if err == nil {
				t.Fatal("no error")
			}
			noToken(t, raw, err.Error())
		},
	}, {
		name:    "200 page echoing it",
		respond: func(s *grafanatest.Server) { s.Respond(200, "<pre>"+echo+"</pre>") },
		check: func(t *testing.T, _ *amgrafana.SaveResult, err error) {
			if err == nil || !strings.Contains(err.Error(), "is it Grafana?") {
				t.Fatalf("error %v, want one about a non-Grafana answer", err)
			}
			noToken(t, raw, err.Error())
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
			defer srv.Close()
			if tc.respond != nil {
				tc.respond(srv)
			}
			c, err := amgrafana.NewClient(srv.GrafanaURL(), raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.SaveDashboard(context.Background(), d, nil)
			tc.check(t, res, err)
			if got := srv.Requests()[0].Header.Get("Authorization"); got != "Bearer "+specialToken {
				t.Errorf("Authorization %q, want the trimmed token", got)
			}
		})
	}
}

// A token in the Grafana URL itself (a user's mistake) is hidden from
// transport errors too.
func TestTokenRedactedFromTransportErrors(t *testing.T) {
	srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
	addr := srv.URL
	srv.Close()
	c, err := amgrafana.NewClient(addr+"/"+url.PathEscape(specialToken), specialToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SaveDashboard(context.Background(), buildDashboard(t, goldenOpts), nil)
	if err == nil || !strings.Contains(err.Error(), "[token]") {
		t.Fatalf("error %v, want a transport error with the token hidden", err)
	}
	noToken(t, specialToken, err.Error())
}

// A redirect, to another port of the same host here, is not followed: the
// token would go with it. The error names where it pointed.
func TestSaveDashboardRefusesRedirects(t *testing.T) {
	d := buildDashboard(t, goldenOpts)
	for _, tc := range []struct {
		name     string
		status   int
		location func(target string) string
		want     func(front, target string) string
		// own is a caller's HTTP client, which must be left as it was
		own *http.Client
	}{{
		name: "307 to another port", status: 307,
		location: func(target string) string { return target + "/api/dashboards/db" },
		want:     func(_, target string) string { return target + "/api/dashboards/db" },
	}, {
		name: "308 with the caller's client", status: 308, own: &http.Client{},
		location: func(target string) string { return target + "/api/dashboards/db" },
		want:     func(_, target string) string { return target + "/api/dashboards/db" },
	}, {
		name: "302 to a login page", status: 302,
		location: func(string) string { return "/login" },
		want:     func(front, _ string) string { return front + "/login" },
	}, {
		name: "301 echoing the token", status: 301,
		location: func(target string) string { return target + "/?auth=" + url.QueryEscape(specialToken) },
		want:     func(_, target string) string { return target + "/?auth=[token]" },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			target := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
			defer target.Close()
			front := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
			defer front.Close()
			front.Redirect(tc.status, tc.location(target.URL))
			var opts *amgrafana.ClientOpts
			if tc.own != nil {
				opts = &amgrafana.ClientOpts{HTTPClient: tc.own}
			}
			c, err := amgrafana.NewClient(front.URL, specialToken, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SaveDashboard(context.Background(), d, nil)
			var redirect *amgrafana.RedirectError
			if !errors.As(err, &redirect) {
				t.Fatalf("error %T %v, want a RedirectError", err, err)
			}
			want := tc.want(front.URL, target.URL)
			if redirect.StatusCode != tc.status || redirect.Location != want || redirect.URL != front.URL+"/api/dashboards/db" {
				t.Errorf("%+v, want %d from %s/api/dashboards/db to %s", *redirect, tc.status, front.URL, want)
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not followed") {
				t.Errorf("error %q does not name %s and say it was not followed", err, want)
			}
			noToken(t, specialToken, err.Error())
			if n := len(target.Requests()); n != 0 {
				t.Errorf("the redirect target got %d requests", n)
			}
			if tc.own != nil && tc.own.CheckRedirect != nil {
				t.Error("the caller's HTTP client was changed")
			}
		})
	}
}
