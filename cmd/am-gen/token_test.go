package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

// padToken is GRAFANA_TOKEN as read from a file: with a newline, and the
// characters of an old base64 API key, so its escaped forms differ.
const (
	specialToken = "eyJrIjoi+cli/Tok<en>=="
	padToken     = specialToken + " \n"
)

// checkNoToken fails for any form of the token in am-gen's output.
func checkNoToken(t *testing.T, r result) {
	t.Helper()
	for _, f := range []string{padToken, specialToken, url.QueryEscape(specialToken), url.PathEscape(specialToken),
		(&url.URL{Path: specialToken}).EscapedPath(),
		"Bearer " + specialToken, strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(specialToken)} {
		if strings.Contains(r.stdout+r.stderr, f) {
			t.Errorf("output shows the token as %q:\n%s%s", f, r.stdout, r.stderr)
		}
	}
}

// The attacks of issue 18, each against the stand-in Grafana: a padded
// token, replies that echo it, a redirect to another port, and names
// holding Grafana variable syntax.
func TestGrafanaTokenSafety(t *testing.T) {
	padded := map[string]string{tokenEnv: padToken}
	echo := strings.Join([]string{specialToken, url.QueryEscape(specialToken), url.PathEscape(specialToken)}, " ")

	t.Run("padded token, echoed in a 200", func(t *testing.T) {
		srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
		defer srv.Close()
		srv.Respond(200, `{"uid":"`+echo+`","url":"/d/`+url.PathEscape(specialToken)+`","version":3}`)
		r := amGen(t, padded, append(dashboardArgs, "--grafana-url", srv.URL)...)
		if r.code != exitOK || !strings.Contains(r.stdout, "(uid [token] [token] [token], version 3): "+srv.URL+"/d/[token]") {
			t.Errorf("%+v, want the save reported with the token hidden", r)
		}
		if got := srv.Requests()[0].Header.Get("Authorization"); got != "Bearer "+specialToken {
			t.Errorf("Authorization %q, want the trimmed token", got)
		}
		checkNoToken(t, r)
	})

	t.Run("padded token, echoed in an error", func(t *testing.T) {
		srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
		defer srv.Close()
		srv.Respond(500, `{"message":"bad header Authorization: Bearer `+echo+`"}`)
		r := amGen(t, padded, append(dashboardArgs, "--grafana-url", srv.URL)...)
		if r.code != exitFail || !strings.Contains(r.stderr, "Bearer [token] [token] [token]") {
			t.Errorf("%+v, want exit 1 and Grafana's message with the token hidden", r)
		}
		checkNoToken(t, r)
	})

	t.Run("redirect to another port", func(t *testing.T) {
		target := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
		defer target.Close()
		front := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
		defer front.Close()
		front.Redirect(307, target.URL+"/api/dashboards/db")
		r := amGen(t, padded, append(dashboardArgs, "--grafana-url", front.URL)...)
		checkSyncFailure(t, r, []string{
			"answered 307 Temporary Redirect, a redirect to " + target.URL + "/api/dashboards/db; not followed",
			"pass that address as --grafana-url",
		})
		checkNoToken(t, r)
		if n := len(target.Requests()); n != 0 {
			t.Errorf("the redirect target got %d requests", n)
		}
	})

	t.Run("token written into the URL", func(t *testing.T) {
		srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
		addr := srv.URL
		srv.Close()
		r := amGen(t, padded, append(dashboardArgs, "--grafana-url", addr+"/?auth="+url.QueryEscape(specialToken))...)
		checkSyncFailure(t, r, []string{"cannot reach Grafana at " + addr + "/?auth=[token]"})
		checkNoToken(t, r)
		r = amGen(t, padded, append(dashboardArgs, "--grafana-url", "ftp://grafana/"+specialToken)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `grafana URL "ftp://grafana/[token]"`) {
			t.Errorf("%+v, want exit 2 and the URL with the token hidden", r)
		}
		checkNoToken(t, r)
	})

	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"token with a space inside", map[string]string{tokenEnv: "glsa_a b"}, nil, tokenEnv + ": amgrafana: invalid token: it contains a space"},
		{"blank token", map[string]string{tokenEnv: " \n"}, nil, tokenEnv + " is not set"},
		{"old variable syntax in an ID", padded, []string{"--ids", "a,w-[[source]]"}, `machine ID "w-[[source]]": [[source]] is a Grafana variable reference`},
		{"variable in the name", padded, []string{"--name", "x ${__user.login}"}, `name "x ${__user.login}": ${__user.login} is a Grafana variable reference`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := grafanatest.NewServer(grafanatest.Opts{Token: specialToken})
			defer srv.Close()
			// later flags win, so tc.args override dashboardArgs
			args := append(append(append([]string{}, dashboardArgs...), "--grafana-url", srv.URL), tc.args...)
			r := amGen(t, tc.vars, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%+v, want exit 2 and %q", r, tc.want)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			checkNoToken(t, r)
		})
	}
}
