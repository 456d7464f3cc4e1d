package amgrafana_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	"github.com/amkit-dev/amkit/internal/e2e"
	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	amloki "github.com/amkit-dev/amkit/pkg/telemetry/loki"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// scrapeInterval is the scrape interval of the test's Prometheus, and the
// "Scrape interval" a Grafana datasource for it would be configured with.
const scrapeInterval = time.Second

// TestIntegrationDashboardQueries runs every query of the generated
// dashboards, taken from their JSON, against a real Prometheus and a real
// VictoriaLogs fed by a workload of the dashboards' machines: every query of
// a machine with a workload returns data, and every query of a machine
// without one returns none, so the filters are checked too. The machines log
// both ways, over the Loki push API and over OTLP, and the log panel of the
// VictoriaLogs dashboard must find the lines of each.
//
// No Loki runs here (its licence keeps it out of the project), so the Loki
// log panel's LogQL runs on VictoriaLogs: a LogQL stream selector without a
// pipeline is also a LogsQL stream filter, with the same meaning, and the
// test refuses any other LogQL.
func TestIntegrationDashboardQueries(t *testing.T) {
	e2e.Require(t, e2e.Prometheus, e2e.VictoriaLogs)
	const source = "amgrafana-it"
	// the second ID checks the quoting of label values
	live := []string{"dash-orders", `dash "payments"`}
	const idle = "dash-idle"

	reg := prometheus.NewRegistry()
	metricsSrv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metricsSrv.Close()
	prom := e2e.StartPrometheus(t, e2e.PrometheusOptions{
		Targets:        []e2e.ScrapeTarget{{Job: source, Addr: metricsSrv.Listener.Addr().String()}},
		ScrapeInterval: scrapeInterval,
	})
	vl := e2e.StartVictoriaLogs(t)
	lokiClient, err := amloki.New(amloki.Options{
		URL:       vl.LokiPushURL,
		Labels:    map[string]string{"service_name": source},
		BatchWait: 50 * time.Millisecond,
		ErrorLog:  log.New(testErrorWriter{t}, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	// runs last: the workload and the loggers have stopped by then
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lokiClient.Close(ctx); err != nil {
			t.Errorf("close Loki client: %v", err)
		}
	})
	otelLogs := newOtelLogs(t, vl, source)

	stop := startWorkload(t, live, reg, lokiClient, otelLogs, source)
	defer stop()
	waitForWorkload(t, prom, vl, source, live)

	for _, logs := range []amgrafana.LogsBackend{amgrafana.LogsLoki, amgrafana.LogsVictoriaLogs} {
		t.Run(string(logs), func(t *testing.T) {
			_, dash := buildJSON(t, amgrafana.Opts{Name: "Integration", MachineIDs: append(live, idle), Source: source, Logs: logs})
			runDashboardQueries(t, dash, prom, vl, idle)
		})
	}
}

// runDashboardQueries runs every query of dash: those of the idle machine's
// row must return nothing, the others data.
func runDashboardQueries(t *testing.T, dash *jsonDashboard, prom *e2e.PrometheusBackend, vl *e2e.VictoriaLogsBackend, idle string) {
	vars := grafanaVars(t, dash, 5*time.Minute, 1000)
	targets := dash.targets()
	t.Logf("running the %d queries of the dashboard", len(targets))
	for _, tg := range targets {
		where := tg.row + " / " + tg.panel + " / " + tg.RefID
		query := vars.Replace(tg.Expr)
		if strings.Contains(query, "$") {
			t.Errorf("%s: variables left in %s", where, query)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var n int
		var err error
		switch tg.Datasource.Type {
		case "prometheus":
			n, err = promPoints(ctx, prom.URL, query)
		case "loki":
			if !streamSelector.MatchString(query) {
				err = errors.New("not a plain stream selector, which VictoriaLogs cannot stand in for Loki on")
				break
			}
			var entries []e2e.LogRecord
			entries, err = vl.Query(ctx, query)
			n = len(entries)
		case "victoriametrics-logs-datasource":
			var entries []e2e.LogRecord
			entries, err = vl.Query(ctx, query)
			n = len(entries)
			if err == nil && tg.row != idle {
				err = bothPaths(entries, tg.row)
			}
		default:
			err = fmt.Errorf("datasource %q", tg.Datasource.Type)
		}
		cancel()
		switch {
		case err != nil:
			t.Errorf("%s: %s: %v", where, query, err)
		case tg.row == idle && n > 0:
			t.Errorf("%s: %s returned %d points for a machine without a workload", where, query, n)
		case tg.row != idle && n == 0:
			t.Errorf("%s: no data for %s", where, query)
		}
	}
}

// bothPaths checks that entries hold lines of machineID that came over the
// Loki push API (machine_id in the stream) and records that came over OTLP
// (the am.machine.id attribute).
func bothPaths(entries []e2e.LogRecord, machineID string) error {
	var push, otlp int
	for _, e := range entries {
		if e.Stream["machine_id"] == machineID {
			push++
		}
		if e.Fields[amtele.LogAttrMachineID] == machineID {
			otlp++
		}
	}
	if push == 0 || otlp == 0 {
		return fmt.Errorf("%d lines over the Loki push API and %d over OTLP, want both", push, otlp)
	}
	return nil
}

// streamSelector matches a LogQL stream selector of equality matchers
// alone, such as {service_name="s", machine_id="m"}.
var streamSelector = regexp.MustCompile(`^\{\s*\w+\s*=\s*"(?:[^"\\]|\\.)*"(?:\s*,\s*\w+\s*=\s*"(?:[^"\\]|\\.)*")*\s*\}$`)

// newOtelLogs returns a logger provider that exports to VictoriaLogs over
// OTLP/HTTP, as service source, shut down when the test ends.
func newOtelLogs(t *testing.T, vl *e2e.VictoriaLogsBackend, source string) *sdklog.LoggerProvider {
	t.Helper()
	exp, err := otlploghttp.New(context.Background(), otlploghttp.WithEndpointURL(vl.OTLPLogsURL))
	if err != nil {
		t.Fatal(err)
	}
	p := amtele.NewOtelLoggerProvider(exp, sdklog.WithResource(resource.NewSchemaless(semconv.ServiceName(source))))
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("shut down the OTel logger provider: %v", err)
		}
	})
	return p
}

// waitForWorkload waits until Prometheus has scraped the workload for a
// few seconds, enough for rates over $__rate_interval, and the logs of
// every machine are in VictoriaLogs, over both paths. It uses queries of its
// own, so that a broken dashboard query fails on its own line rather than
// as a timeout.
func waitForWorkload(t *testing.T, prom *e2e.PrometheusBackend, vl *e2e.VictoriaLogsBackend, source string, ids []string) {
	t.Helper()
	scrapes := fmt.Sprintf(`count_over_time(up{job=%q}[1m]) >= 8`, source)
	e2e.Eventually(t, 60*time.Second, "8 scrapes of the workload", func(ctx context.Context) error {
		samples, err := prom.Query(ctx, scrapes)
		if err == nil && len(samples) == 0 {
			err = errors.New("not yet")
		}
		return err
	})
	e2e.Eventually(t, 30*time.Second, "the workload's logs in VictoriaLogs", func(ctx context.Context) error {
		for _, path := range []struct{ name, query, field string }{
			{"the Loki push API", fmt.Sprintf(`{service_name=%q}`, source), "machine_id"},
			{"OTLP", fmt.Sprintf(`{service.name=%q}`, source), amtele.LogAttrMachineID},
		} {
			entries, err := vl.Query(ctx, path.query)
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, e := range entries {
				seen[e.Fields[path.field]] = true
			}
			for _, id := range ids {
				if !seen[id] {
					return fmt.Errorf("no lines of %s over %s", id, path.name)
				}
			}
		}
		return nil
	})
}

// testErrorWriter fails the test with each line written to it, for the
// Loki client's ErrorLog.
type testErrorWriter struct{ t *testing.T }

func (w testErrorWriter) Write(p []byte) (int, error) {
	w.t.Errorf("%s", p)
	return len(p), nil
}

// startWorkload runs machines with the given IDs, exporting their metrics
// to reg and their logs over the Loki push API and to otelLogs as service
// source, until the returned function is called.
func startWorkload(t *testing.T, ids []string, reg *prometheus.Registry, client amtele.LokiClient,
	otelLogs *sdklog.LoggerProvider, source string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var loggers []*amtele.LokiLogger
	for _, id := range ids {
		mach, h := machtest.NewMutationsMachine(t, &am.Opts{ID: id, LogLevel: am.LogLevelChanges})
		if err := amprom.TransitionsToPrometheus(mach, time.Second).BindToRegistry(reg); err != nil {
			t.Fatal(err)
		}
		logger, err := amtele.BindLokiLogger(mach, client)
		if err != nil {
			t.Fatal(err)
		}
		loggers = append(loggers, logger)
		if err := amtele.BindOtelLogger(mach, otelLogs, source); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			runOps(ctx, mach, h)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
		flushCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		for _, l := range loggers {
			if err := l.Flush(flushCtx); err != nil {
				t.Errorf("flush Loki logger: %v", err)
			}
		}
		if err := otelLogs.ForceFlush(flushCtx); err != nil {
			t.Errorf("flush OTel logs: %v", err)
		}
	}
}

// runOps makes the ops of the machine benchmark every few milliseconds,
// so that rates stay above zero, and an error now and then, until ctx
// ends. Pacing keeps the 2-core test machine free for the backends.
func runOps(ctx context.Context, mach *am.Machine, h *machtest.Handlers) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		mach.Add(am.S{"A", "B"}, nil)
		mach.Add1("D", nil)
		mach.Remove(am.S{"A", "C", "D"}, nil)
		if i%20 == 0 {
			mach.AddErr(fmt.Errorf("failure %d", i), nil)
			mach.Remove1(am.Exception, nil)
		}
	}
}

// grafanaVars substitutes the dashboard's variables the way Grafana does
// for a panel showing rng over maxDataPoints pixels: $source from its
// constant, $__interval as rng per point but at least the datasource's
// scrape interval, and $__rate_interval as the larger of $__interval plus
// one scrape interval and four scrape intervals.
func grafanaVars(t *testing.T, d *jsonDashboard, rng time.Duration, maxDataPoints int) *strings.Replacer {
	t.Helper()
	interval := max(rng/time.Duration(maxDataPoints), scrapeInterval)
	rate := max(interval+scrapeInterval, 4*scrapeInterval)
	source := d.variable(t, "source")
	return strings.NewReplacer(
		"$__rate_interval", promDuration(rate),
		"${__rate_interval}", promDuration(rate),
		"$__interval", promDuration(interval),
		"${__interval}", promDuration(interval),
		"${source}", source,
		"$source", source,
	)
}

// promDuration formats d as a PromQL duration, which Go's
// time.Duration.String is not ("1m0s").
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

// promPoints runs a range query over the last minute, as a time series
// panel does, and counts its finite points: a rate over too few samples
// or a division by zero gives NaN, which Grafana draws as a gap.
func promPoints(ctx context.Context, promURL, query string) (int, error) {
	end := time.Now()
	params := url.Values{
		"query": {query},
		"start": {strconv.FormatInt(end.Add(-time.Minute).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {promDuration(scrapeInterval)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, promURL+"/api/v1/query_range?"+params.Encode(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				// Values are [unix time, "value"] pairs.
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("decode query_range answer (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("query_range: %s: %s", resp.Status, body.Error)
	}
	if body.Data.ResultType != "matrix" {
		return 0, fmt.Errorf("query_range: result is a %s, not a matrix", body.Data.ResultType)
	}
	n := 0
	for _, series := range body.Data.Result {
		for _, point := range series.Values {
			s, _ := point[1].(string)
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				n++
			}
		}
	}
	return n, nil
}
