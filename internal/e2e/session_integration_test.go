package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationSession starts backends the way the local stack does,
// checks that Prometheus scrapes the Pushgateway, and that Close leaves
// nothing listening.
func TestIntegrationSession(t *testing.T) {
	t.Parallel()
	// Close must stop processes the session started
	e2e.RequireOwn(t, e2e.Prometheus, e2e.Pushgateway)
	s := e2e.NewSession(t.TempDir(), t.Logf)
	ctx := context.Background()
	gw, err := s.StartPushgateway(ctx)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	prom, err := s.StartPrometheus(ctx, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{gw.ScrapeTarget()}})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	e2e.Eventually(t, pollTimeout, "pushgateway scraped", func(ctx context.Context) error {
		got, err := prom.Query(ctx, `up{job="pushgateway"}`)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Value != 1 {
			return fmt.Errorf("up = %+v, want one sample of 1", got)
		}
		return nil
	})

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, u := range []string{gw.URL + "/-/ready", prom.URL + "/-/ready"} {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("GET %s answered %s after Close", u, resp.Status)
		}
	}
}
