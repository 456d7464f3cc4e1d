package amprom_test

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

const (
	// pollTimeout bounds waiting for Prometheus, which applies its scrape
	// config seconds after start and scrapes once a second.
	pollTimeout = 60 * time.Second
	// e2eInterval is long enough for the workload to end within the first
	// interval, and for several scrapes to see that interval's gauges.
	e2eInterval = 4 * time.Second
)

// TestIntegrationPrometheusScrape has a real Prometheus scrape a registry
// with the metrics of a machine and its submachine, and reads every series
// of both back with PromQL.
func TestIntegrationPrometheusScrape(t *testing.T) {
	e2e.Require(t, e2e.Prometheus)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{{Job: "amprom", Addr: srv.Listener.Addr().String()}},
	})
	waitForScrape(t, prom, `up{job="amprom"}`)

	parent, child, rec := runE2EWorkload(t, func(m *amprom.Metrics) error { return m.BindToRegistry(reg) })
	checkInPrometheus(t, prom, parent, rec)
	checkInPrometheus(t, prom, child, rec)
}

// TestIntegrationPushgateway pushes the metrics of a machine and its
// submachine to a real Pushgateway, and reads every series of both back
// from a Prometheus that scrapes it.
func TestIntegrationPushgateway(t *testing.T) {
	e2e.Require(t, e2e.Prometheus, e2e.Pushgateway)
	pg := e2e.StartPushgateway(t)
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{Targets: []e2e.ScrapeTarget{pg.ScrapeTarget()}})
	waitForScrape(t, prom, `up{job="pushgateway"}`)

	var metrics *amprom.Metrics
	parent, child, rec := runE2EWorkload(t, func(m *amprom.Metrics) error {
		metrics = m
		return m.BindToPusher(amprom.NewPusher(pg.URL, "amprom_e2e"))
	})
	checkInPrometheus(t, prom, parent, rec)
	checkInPrometheus(t, prom, child, rec)
	if n := metrics.PushFailures(); n != 0 {
		t.Errorf("%d pushes failed", n)
	}
}

// waitForScrape waits until Prometheus has scraped a target, so that the
// workload's first interval falls within the scraped time.
func waitForScrape(t *testing.T, prom *e2e.PrometheusBackend, up string) {
	t.Helper()
	e2e.Eventually(t, pollTimeout, up, func(ctx context.Context) error {
		got, err := prom.Query(ctx, up)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Value != 1 {
			return fmt.Errorf("%s = %+v", up, got)
		}
		return nil
	})
}

// runE2EWorkload observes a parent and a submachine, binds the metrics with
// bind, and runs a different workload on each within the first interval.
func runE2EWorkload(t *testing.T, bind func(*amprom.Metrics) error) (parent, child *am.Machine, rec *recorder) {
	t.Helper()
	start := time.Now()
	parent = newMachine(t, "e2e-parent", nil)
	rec = newRecorder()
	if err := parent.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	if err := bind(amprom.TransitionsToPrometheus(parent, e2eInterval)); err != nil {
		t.Fatal(err)
	}
	child = newMachine(t, "e2e-child", parent)
	pw, cw := workload{ops: 11, errs: 4, cancels: 3}, workload{ops: 6, errs: 2, cancels: 7}
	pw.run(t, parent)
	cw.run(t, child)
	if d := time.Since(start); d >= e2eInterval {
		t.Fatalf("the workload took %v, longer than the interval", d)
	}
	for id, w := range map[string]workload{parent.ID(): pw, child.ID(): cw} {
		e := expect(rec.of(id))
		if int(e.transitions) != w.transitions() || int(e.errors) != w.errs || int(e.canceled) != w.cancels {
			t.Fatalf("%s: recorder saw %v transitions, %v errors, %v canceled; workload made %d, %d, %d",
				id, e.transitions, e.errors, e.canceled, w.transitions(), w.errs, w.cancels)
		}
	}
	return parent, child, rec
}

// checkInPrometheus reads every series of mach back with PromQL: the
// totals and machine gauges as they are now, and the interval gauges as
// the highest value they had, which is the first interval's (the later
// ones are empty).
func checkInPrometheus(t *testing.T, prom *e2e.PrometheusBackend, mach *am.Machine, rec *recorder) {
	t.Helper()
	e := expect(rec.of(mach.ID()))
	active := float64(len(mach.ActiveStates()))
	now := e.want(amprom.DefaultDurationBuckets, amprom.DefaultQueueBuckets)
	maps.Copy(now, series{
		"am_machines{}":          1,
		"am_states{}":            5,
		"am_relations{}":         3,
		"am_referenced_states{}": 3,
		"am_active_states{}":     active,
		"am_inactive_states{}":   5 - active,
	})
	first := e.wantInterval()

	label := fmt.Sprintf("machine_id=%q", mach.ID())
	e2e.Eventually(t, pollTimeout, mach.ID()+" series in prometheus", func(ctx context.Context) error {
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(now)) {
			diffs = append(diffs, queryDiff(ctx, prom, promQL(k, label), now[k])...)
		}
		for _, k := range slices.Sorted(maps.Keys(first)) {
			diffs = append(diffs, queryDiff(ctx, prom, "max_over_time("+promQL(k, label)+"[5m])", first[k])...)
		}
		if len(diffs) > 0 {
			return fmt.Errorf("%d of %d series differ:\n%s", len(diffs), len(now)+len(first), strings.Join(diffs, "\n"))
		}
		return nil
	})
}

// promQL turns a series key ("name{a=b}") into a selector with label added.
func promQL(k, label string) string {
	name, rest, _ := strings.Cut(k, "{")
	sel := []string{label}
	if rest = strings.TrimSuffix(rest, "}"); rest != "" {
		for _, l := range strings.Split(rest, ",") {
			n, v, _ := strings.Cut(l, "=")
			sel = append(sel, fmt.Sprintf("%s=%q", n, v))
		}
	}
	return name + "{" + strings.Join(sel, ",") + "}"
}

// queryDiff runs q and describes how its result differs from one sample
// of value want.
func queryDiff(ctx context.Context, prom *e2e.PrometheusBackend, q string, want float64) []string {
	got, err := prom.Query(ctx, q)
	switch {
	case err != nil:
		return []string{err.Error()}
	case len(got) != 1:
		return []string{fmt.Sprintf("%s: %d samples, want 1", q, len(got))}
	case got[0].Value != want:
		return []string{fmt.Sprintf("%s = %v, want %v", q, got[0].Value, want)}
	}
	return nil
}
