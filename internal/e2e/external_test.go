package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// fakeBackend answers 200 on the given paths, like a backend's readiness
// endpoints, and 404 elsewhere.
func fakeBackend(t *testing.T, paths ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range paths {
			if r.URL.Path == p {
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// emptyDir fails when dir holds anything: a started backend would have
// made its data directory there.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the session started something: %s", e.Name())
	}
}

// With AMKIT_E2E_PROMETHEUS_URL, the existing Prometheus is returned for
// no targets or the existing Pushgateway, and refused for targets it cannot
// be told to scrape: a test then skips, even under CI=true.
func TestExternalPrometheus(t *testing.T) {
	t.Setenv("CI", "true")
	prom := fakeBackend(t, "/-/ready")
	gw := fakeBackend(t, "/-/ready")
	t.Setenv(e2e.EnvPrometheusURL, prom.URL+"/")
	t.Setenv(e2e.EnvPushgatewayURL, gw.URL)
	dir := t.TempDir()
	s := e2e.NewSession(dir, t.Logf)
	defer s.Close()
	ctx := context.Background()

	pg, err := s.StartPushgateway(ctx)
	if err != nil || pg.URL != gw.URL || pg.Addr != strings.TrimPrefix(gw.URL, "http://") || pg.Dir != "" {
		t.Fatalf("StartPushgateway = %+v, %v; want the existing one", pg, err)
	}
	for _, targets := range [][]e2e.ScrapeTarget{nil, {pg.ScrapeTarget()}} {
		p, err := s.StartPrometheus(ctx, e2e.PrometheusOptions{Targets: targets})
		if err != nil || p.URL != prom.URL || p.Dir != "" {
			t.Errorf("StartPrometheus(%v) = %+v, %v; want the existing one", targets, p, err)
		}
	}
	own := e2e.ScrapeTarget{Job: "demo", Addr: "127.0.0.1:1"}
	if _, err := s.StartPrometheus(ctx, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{own}}); err == nil ||
		!strings.Contains(err.Error(), e2e.EnvPrometheusURL+"="+prom.URL+" cannot be told to scrape 127.0.0.1:1") {
		t.Errorf("a target of its own: %v, want an error naming the variable and the target", err)
	}
	emptyDir(t, dir)

	var skipped bool
	t.Run("test", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		e2e.StartPrometheus(t, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{own}})
		t.Error("StartPrometheus returned for a target it cannot scrape")
	})
	if !skipped {
		t.Error("the test did not skip under CI=true with an existing Prometheus")
	}
}

// A variable naming an existing backend stands for its binary, and one
// that is down or malformed fails with the variable named.
func TestExternalBackends(t *testing.T) {
	t.Setenv("AMKIT_E2E_CACHE", t.TempDir()) // no Jaeger or VictoriaLogs binary
	jaeger := fakeBackend(t, "/api/services")
	otlp := fakeBackend(t)
	vl := fakeBackend(t, "/health")
	t.Setenv(e2e.EnvJaegerURL, jaeger.URL)
	t.Setenv(e2e.EnvJaegerOTLPGRPC, strings.TrimPrefix(otlp.URL, "http://"))
	t.Setenv(e2e.EnvJaegerOTLPHTTP, strings.TrimPrefix(otlp.URL, "http://"))
	t.Setenv(e2e.EnvVictoriaLogsURL, vl.URL)

	var skipped bool
	t.Run("require", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		e2e.Require(t, e2e.Jaeger, e2e.VictoriaLogs)
	})
	if skipped {
		t.Error("Require skipped for backends the environment names")
	}
	dir := t.TempDir()
	s := e2e.NewSession(dir, t.Logf)
	defer s.Close()
	ctx := context.Background()
	j, err := s.StartJaeger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (e2e.JaegerBackend{QueryURL: jaeger.URL, OTLPGRPCAddr: otlp.Listener.Addr().String(), OTLPHTTPAddr: otlp.Listener.Addr().String()}); *j != want {
		t.Errorf("StartJaeger = %+v, want %+v", *j, want)
	}
	v, err := s.StartVictoriaLogs(ctx)
	if err != nil || v.URL != vl.URL || v.LokiPushURL != vl.URL+"/insert/loki/api/v1/push" || v.Dir != "" {
		t.Errorf("StartVictoriaLogs = %+v, %v; want the existing one", v, err)
	}
	if err := v.Stop(); err == nil || !strings.Contains(err.Error(), e2e.EnvVictoriaLogsURL+" names it") {
		t.Errorf("Stop of an existing VictoriaLogs: %v, want a refusal", err)
	}
	emptyDir(t, dir)

	// the OTLP ports default to the query service's host
	t.Setenv(e2e.EnvJaegerOTLPGRPC, "")
	t.Setenv(e2e.EnvJaegerURL, "http://127.0.0.1:1")
	if _, err := s.StartJaeger(ctx); err == nil || !strings.Contains(err.Error(), "the existing jaeger at "+e2e.EnvJaegerURL+"=http://127.0.0.1:1 is not ready") {
		t.Errorf("a Jaeger that is down: %v, want its variable named", err)
	}
	t.Setenv(e2e.EnvVictoriaLogsURL, "127.0.0.1:9428")
	if _, err := s.StartVictoriaLogs(ctx); err == nil || !strings.Contains(err.Error(), e2e.EnvVictoriaLogsURL+`="127.0.0.1:9428": want http://`) {
		t.Errorf("a URL without scheme: %v", err)
	}
}

// RequireOwn skips a test that controls its backends' processes when one
// is an existing backend, under CI=true too.
func TestRequireOwn(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv(e2e.EnvPushgatewayURL, "http://127.0.0.1:9091")
	var skipped bool
	t.Run("own", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		e2e.RequireOwn(t, e2e.Pushgateway)
	})
	if !skipped {
		t.Error("RequireOwn did not skip with an existing Pushgateway")
	}
}
