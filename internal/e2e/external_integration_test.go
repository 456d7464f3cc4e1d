package e2e_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationExistingBackends starts each backend the harness's own
// way once, then points the environment at it, as a user with backends of
// their own does: a second session gets those backends without starting
// any process, and closing it leaves them running.
func TestIntegrationExistingBackends(t *testing.T) {
	e2e.RequireOwn(t, e2e.Prometheus, e2e.Pushgateway, e2e.Jaeger, e2e.VictoriaLogs)
	gw := e2e.StartPushgateway(t)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{gw.ScrapeTarget()}})
	jaeger := e2e.StartJaeger(t)
	vl := e2e.StartVictoriaLogs(t)
	t.Setenv(e2e.EnvPushgatewayURL, gw.URL)
	t.Setenv(e2e.EnvPrometheusURL, prom.URL)
	t.Setenv(e2e.EnvJaegerURL, jaeger.QueryURL)
	t.Setenv(e2e.EnvJaegerOTLPGRPC, jaeger.OTLPGRPCAddr)
	t.Setenv(e2e.EnvJaegerOTLPHTTP, jaeger.OTLPHTTPAddr)
	t.Setenv(e2e.EnvVictoriaLogsURL, vl.URL)

	dir := t.TempDir()
	s := e2e.NewSession(dir, t.Logf)
	ctx := context.Background()
	gw2, err := s.StartPushgateway(ctx)
	if err != nil || gw2.URL != gw.URL || gw2.Addr != gw.Addr {
		t.Errorf("second Pushgateway %+v, %v; want %s", gw2, err, gw.URL)
	}
	// the existing Prometheus scrapes the existing Pushgateway, as
	// EnvPrometheusURL asks of it
	prom2, err := s.StartPrometheus(ctx, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{gw.ScrapeTarget()}})
	if err != nil || prom2.URL != prom.URL {
		t.Errorf("second Prometheus %+v, %v; want %s", prom2, err, prom.URL)
	}
	j2, err := s.StartJaeger(ctx)
	if err != nil || j2.QueryURL != jaeger.QueryURL || j2.OTLPGRPCAddr != jaeger.OTLPGRPCAddr || j2.OTLPHTTPAddr != jaeger.OTLPHTTPAddr {
		t.Errorf("second Jaeger %+v, %v; want %+v", j2, err, jaeger)
	}
	vl2, err := s.StartVictoriaLogs(ctx)
	if err != nil || vl2.URL != vl.URL || vl2.OTLPLogsURL != vl.OTLPLogsURL {
		t.Errorf("second VictoriaLogs %+v, %v; want %s", vl2, err, vl.URL)
	}
	emptyDir(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// the second session stopped nothing, and the test's own functions
	// return the same backends
	for _, u := range []string{gw.URL + "/-/ready", prom.URL + "/-/ready", jaeger.QueryURL + "/api/services", vl.URL + "/health"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Errorf("after the second session's Close: %v", err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s after the second session's Close", u, resp.Status)
		}
	}
	if got := e2e.StartVictoriaLogs(t); got.URL != vl.URL {
		t.Errorf("StartVictoriaLogs in the test: %s, want the existing %s", got.URL, vl.URL)
	}
}
