package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ScrapeTarget is one endpoint Prometheus scrapes.
type ScrapeTarget struct {
	// Job becomes the job label (unless HonorLabels keeps the target's own).
	Job string
	// Addr is host:port, e.g. an httptest server's Listener.Addr().String().
	Addr string
	// MetricsPath defaults to /metrics.
	MetricsPath string
	// HonorLabels keeps job/instance labels exposed by the target instead of
	// overwriting them; needed for the Pushgateway, whose metrics carry the
	// job of whoever pushed them.
	HonorLabels bool
	// Labels are added to every series scraped from this target.
	Labels map[string]string
}

// PrometheusOptions configures StartPrometheus.
type PrometheusOptions struct {
	// Targets are scraped every ScrapeInterval.
	Targets []ScrapeTarget
	// ScrapeInterval defaults to 1s. Prometheus 2.42 applies its scrape
	// config about 5s after start, so the first sample takes that long.
	ScrapeInterval time.Duration
	// Exemplars starts Prometheus with --enable-feature=exemplar-storage,
	// so that it scrapes OpenMetrics exemplars and answers
	// QueryExemplars.
	Exemplars bool
}

// PrometheusBackend is a running Prometheus server.
type PrometheusBackend struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Dir holds the generated config, the TSDB and Prometheus' log; empty
	// for an existing Prometheus (EnvPrometheusURL).
	Dir string
}

// StartPrometheus starts the Debian-packaged Prometheus on a free loopback
// port with a fresh TSDB, scraping opts.Targets, or returns the one
// EnvPrometheusURL names, skipping the test when that one is not known to
// scrape opts.Targets. It skips or fails like Require when the binary is
// missing.
func StartPrometheus(t testing.TB, opts PrometheusOptions) *PrometheusBackend {
	t.Helper()
	b, err := startPrometheus(context.Background(), testHost{t}, opts)
	mustStart(t, Prometheus, err)
	return b
}

// startPrometheus starts Prometheus for h; ctx bounds the wait until it is ready.
func startPrometheus(ctx context.Context, h host, opts PrometheusOptions) (*PrometheusBackend, error) {
	if u := External(Prometheus); u != "" {
		return externalPrometheus(ctx, u, opts)
	}
	interval := opts.ScrapeInterval
	if interval <= 0 {
		interval = time.Second
	}
	p := &PrometheusBackend{}
	if _, err := startBackend(ctx, h, Prometheus, func(dir string) (launchSpec, error) {
		ports, err := freePorts(1)
		if err != nil {
			return launchSpec{}, err
		}
		cfgPath := filepath.Join(dir, "prometheus.yml")
		b, err := json.MarshalIndent(prometheusConfig(opts.Targets, interval), "", "  ")
		if err != nil {
			return launchSpec{}, fmt.Errorf("encoding prometheus config: %w", err)
		}
		// JSON is YAML, and encoding/json gets the quoting right for free.
		if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
			return launchSpec{}, fmt.Errorf("writing prometheus config: %w", err)
		}
		addr := hostPort(ports[0])
		*p = PrometheusBackend{URL: "http://" + addr, Dir: dir}
		args := []string{
			"--config.file=" + cfgPath,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
			"--log.level=warn",
		}
		if opts.Exemplars {
			args = append(args, "--enable-feature=exemplar-storage")
		}
		return launchSpec{
			args:  args,
			ready: httpOK(p.URL + "/-/ready"),
		}, nil
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// prometheusConfig renders the scrape config for targets.
func prometheusConfig(targets []ScrapeTarget, interval time.Duration) map[string]any {
	jobs := []any{}
	for _, tg := range targets {
		static := map[string]any{"targets": []string{tg.Addr}}
		if len(tg.Labels) > 0 {
			static["labels"] = tg.Labels
		}
		job := map[string]any{
			"job_name":        tg.Job,
			"honor_labels":    tg.HonorLabels,
			"scrape_interval": interval.String(),
			"static_configs":  []any{static},
		}
		if tg.MetricsPath != "" {
			job["metrics_path"] = tg.MetricsPath
		}
		jobs = append(jobs, job)
	}
	return map[string]any{
		"global": map[string]any{
			"scrape_interval":     interval.String(),
			"evaluation_interval": interval.String(),
			// Must not exceed the interval, which Prometheus refuses.
			"scrape_timeout": interval.String(),
		},
		"scrape_configs": jobs,
	}
}

// Sample is one series' value from an instant query.
type Sample struct {
	// Metric holds the labels, including __name__ when the query keeps it.
	Metric map[string]string
	Value  float64
	Time   time.Time
}

// Query runs an instant PromQL query at the current time and returns the
// resulting vector (a scalar result comes back as one sample without
// labels). An empty result is not an error, so callers can poll.
func (p *PrometheusBackend) Query(ctx context.Context, promql string) ([]Sample, error) {
	var resp struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	u := p.URL + "/api/v1/query?" + url.Values{"query": {promql}}.Encode()
	status, err := getJSON(ctx, u, &resp)
	if err != nil {
		return nil, fmt.Errorf("prometheus query %q: %w", promql, err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("prometheus query %q: status %d, %s: %s", promql, status, resp.ErrorType, resp.Error)
	}
	switch resp.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string  `json:"metric"`
			Value  [2]json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(resp.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("prometheus query %q: decoding vector: %w", promql, err)
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			s, err := parsePoint(v.Value)
			if err != nil {
				return nil, fmt.Errorf("prometheus query %q: %w", promql, err)
			}
			s.Metric = v.Metric
			out = append(out, s)
		}
		return out, nil
	case "scalar":
		var pt [2]json.RawMessage
		if err := json.Unmarshal(resp.Data.Result, &pt); err != nil {
			return nil, fmt.Errorf("prometheus query %q: decoding scalar: %w", promql, err)
		}
		s, err := parsePoint(pt)
		if err != nil {
			return nil, fmt.Errorf("prometheus query %q: %w", promql, err)
		}
		return []Sample{s}, nil
	default:
		return nil, fmt.Errorf("prometheus query %q: result type %q not supported", promql, resp.Data.ResultType)
	}
}

// parsePoint decodes Prometheus' [unix seconds, "value"] pair; the value is
// a string so that NaN and ±Inf survive JSON.
func parsePoint(pt [2]json.RawMessage) (Sample, error) {
	var ts float64
	if err := json.Unmarshal(pt[0], &ts); err != nil {
		return Sample{}, fmt.Errorf("decoding sample time %s: %w", pt[0], err)
	}
	var vs string
	if err := json.Unmarshal(pt[1], &vs); err != nil {
		return Sample{}, fmt.Errorf("decoding sample value %s: %w", pt[1], err)
	}
	v, err := strconv.ParseFloat(vs, 64)
	if err != nil {
		return Sample{}, fmt.Errorf("parsing sample value %q: %w", vs, err)
	}
	sec := int64(ts)
	nsec := int64((ts - float64(sec)) * 1e9)
	return Sample{Value: v, Time: time.Unix(sec, nsec)}, nil
}
