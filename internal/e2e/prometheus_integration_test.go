package e2e_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationPrometheusScrape exposes a gauge with client_golang, has a
// real Prometheus scrape it, and reads the value back with PromQL.
func TestIntegrationPrometheusScrape(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Prometheus)

	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "amkit_e2e_smoke_value",
		Help: "Value set by the Prometheus smoke test.",
	}, []string{"color"})
	reg.MustRegister(g)
	g.WithLabelValues("teal").Set(42.5)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	target := srv.Listener.Addr().String()

	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{{Job: "smoke", Addr: target, Labels: map[string]string{"suite": "e2e"}}},
	})

	var got []e2e.Sample
	e2e.Eventually(t, pollTimeout, "gauge scraped by prometheus", func(ctx context.Context) error {
		var err error
		got, err = prom.Query(ctx, `amkit_e2e_smoke_value{job="smoke"}`)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no samples yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d series, want 1: %+v", len(got), got)
	}
	s := got[0]
	if s.Value != 42.5 {
		t.Errorf("value = %v, want 42.5", s.Value)
	}
	want := map[string]string{
		"__name__": "amkit_e2e_smoke_value",
		"color":    "teal",
		"job":      "smoke",
		"instance": target,
		"suite":    "e2e",
	}
	for k, v := range want {
		if s.Metric[k] != v {
			t.Errorf("label %s = %q, want %q (all: %v)", k, s.Metric[k], v, s.Metric)
		}
	}
	if d := time.Since(s.Time); d < 0 || d > time.Minute {
		t.Errorf("sample time %v is %v from now", s.Time, d)
	}

	// A changed value must show up too, or the query could be reading a
	// stale first scrape by accident.
	g.WithLabelValues("teal").Set(-7)
	e2e.Eventually(t, pollTimeout, "updated gauge scraped", func(ctx context.Context) error {
		got, err := prom.Query(ctx, `amkit_e2e_smoke_value{job="smoke",color="teal"}`)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Value != -7 {
			return fmt.Errorf("got %+v, want one sample of -7", got)
		}
		return nil
	})
}

// TestIntegrationPushgateway pushes a gauge with client_golang/push and reads
// it back through a Prometheus that scrapes the Pushgateway.
func TestIntegrationPushgateway(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Prometheus, e2e.Pushgateway)

	pg := e2e.StartPushgateway(t)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{pg.ScrapeTarget()},
	})

	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "amkit_e2e_pushed_value",
		Help: "Value pushed by the Pushgateway smoke test.",
	})
	g.Set(1234)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := push.New(pg.URL, "smoke_batch").
		Grouping("shard", "s1").
		Collector(g).
		PushContext(ctx); err != nil {
		t.Fatalf("pushing to %s: %v", pg.URL, err)
	}

	var got []e2e.Sample
	e2e.Eventually(t, pollTimeout, "pushed gauge visible in prometheus", func(ctx context.Context) error {
		var err error
		got, err = prom.Query(ctx, `amkit_e2e_pushed_value`)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no samples yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d series, want 1: %+v", len(got), got)
	}
	if got[0].Value != 1234 {
		t.Errorf("value = %v, want 1234", got[0].Value)
	}
	// honor_labels keeps the pusher's job and grouping labels; without it
	// job would be "pushgateway".
	if j := got[0].Metric["job"]; j != "smoke_batch" {
		t.Errorf("job = %q, want smoke_batch (labels %v)", j, got[0].Metric)
	}
	if s := got[0].Metric["shard"]; s != "s1" {
		t.Errorf("shard = %q, want s1 (labels %v)", s, got[0].Metric)
	}
}
