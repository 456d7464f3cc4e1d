package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment variables that point the harness at backends that already
// run, for a machine where deps.sh cannot install them (macOS, Fedora) or
// that runs them anyway. Each one replaces starting that backend: the Start
// functions and Session methods return the existing one, start no process,
// and stop nothing at the end.
const (
	// EnvPrometheusURL is a Prometheus base URL, e.g. http://127.0.0.1:9090.
	// It must scrape the Pushgateway of EnvPushgatewayURL, job
	// "pushgateway" with honor_labels, for the tests that push; tests that
	// need it to scrape targets of their own skip.
	EnvPrometheusURL = "AMKIT_E2E_PROMETHEUS_URL"
	// EnvPushgatewayURL is a Pushgateway base URL, e.g. http://127.0.0.1:9091.
	EnvPushgatewayURL = "AMKIT_E2E_PUSHGATEWAY_URL"
	// EnvJaegerURL is the base URL of a Jaeger v2 query service, e.g.
	// http://127.0.0.1:16686. Its OTLP receivers are on the same host at
	// the standard ports 4317 (gRPC) and 4318 (HTTP), or where
	// EnvJaegerOTLPGRPC and EnvJaegerOTLPHTTP say.
	EnvJaegerURL = "AMKIT_E2E_JAEGER_URL"
	// EnvJaegerOTLPGRPC is host:port of that Jaeger's OTLP/gRPC receiver.
	EnvJaegerOTLPGRPC = "AMKIT_E2E_JAEGER_OTLP_GRPC"
	// EnvJaegerOTLPHTTP is host:port of that Jaeger's OTLP/HTTP receiver.
	EnvJaegerOTLPHTTP = "AMKIT_E2E_JAEGER_OTLP_HTTP"
	// EnvVictoriaLogsURL is a VictoriaLogs base URL, e.g.
	// http://127.0.0.1:9428.
	EnvVictoriaLogsURL = "AMKIT_E2E_VICTORIALOGS_URL"
)

// externalEnv is the variable naming an existing backend of each kind.
var externalEnv = map[string]string{
	Prometheus:   EnvPrometheusURL,
	Pushgateway:  EnvPushgatewayURL,
	Jaeger:       EnvJaegerURL,
	VictoriaLogs: EnvVictoriaLogsURL,
}

// errExternal marks what an existing backend cannot do for a test, which
// then skips, even under CI=true: the run asked for that backend.
var errExternal = errors.New("not possible with an existing backend")

// External returns the base URL of the existing backend that the
// environment names for a backend name, or "" when the harness starts its
// own.
func External(name string) string {
	return strings.TrimRight(strings.TrimSpace(os.Getenv(externalEnv[name])), "/")
}

// RequireOwn skips the test, with one line, when any of the named backends
// is an existing one (see EnvPrometheusURL and the others): the test stops,
// restarts or counts the processes it starts, which it cannot do to a
// backend it did not start. It skips even under CI=true, since the run asked
// for existing backends. Otherwise it is Require.
func RequireOwn(t testing.TB, names ...string) {
	t.Helper()
	var ext []string
	for _, n := range names {
		if u := External(n); u != "" {
			ext = append(ext, externalEnv[n]+"="+u)
		}
	}
	if len(ext) > 0 {
		t.Skipf("e2e: this test controls the processes of its backends, and %s names an existing one", strings.Join(ext, ", "))
	}
	Require(t, names...)
}

// externalURL parses the URL of an existing backend, named by env.
func externalURL(env, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("e2e: %s=%q: want http:// or https:// and a host", env, raw)
	}
	return u, nil
}

// checkExternal waits for an existing backend to answer ready, as long as
// StartTimeout, so that a backend that is down fails with its variable
// named rather than in the middle of a test.
func checkExternal(ctx context.Context, name, env string, ready func(ctx context.Context) error) error {
	limit, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	if err := ready(limit); err != nil {
		return fmt.Errorf("e2e: the existing %s at %s=%s is not ready: %w", name, env, External(name), err)
	}
	return nil
}

func externalPrometheus(ctx context.Context, raw string, opts PrometheusOptions) (*PrometheusBackend, error) {
	if _, err := externalURL(EnvPrometheusURL, raw); err != nil {
		return nil, err
	}
	// the only target an existing Prometheus is known to scrape is the
	// existing Pushgateway, by the contract of EnvPrometheusURL
	gw := External(Pushgateway)
	for _, tg := range opts.Targets {
		if gw == "" || !isScrapeOf(tg, externalPushgateway(gw).ScrapeTarget()) {
			return nil, fmt.Errorf("e2e: %s=%s cannot be told to scrape %s (job %q): %w",
				EnvPrometheusURL, raw, tg.Addr, tg.Job, errExternal)
		}
	}
	p := &PrometheusBackend{URL: raw}
	if err := checkExternal(ctx, Prometheus, EnvPrometheusURL, httpOK(p.URL+"/-/ready")); err != nil {
		return nil, err
	}
	return p, nil
}

// isScrapeOf reports whether tg asks for what the existing Prometheus
// does with want: the same job, address and label handling.
func isScrapeOf(tg, want ScrapeTarget) bool {
	return tg.Job == want.Job && tg.Addr == want.Addr && tg.HonorLabels == want.HonorLabels &&
		len(tg.Labels) == 0 && (tg.MetricsPath == "" || tg.MetricsPath == "/metrics")
}

// externalPushgateway describes the Pushgateway at raw, a checked URL.
func externalPushgateway(raw string) *PushgatewayBackend {
	u, _ := url.Parse(raw)
	return &PushgatewayBackend{URL: raw, Addr: u.Host}
}

func startExternalPushgateway(ctx context.Context, raw string) (*PushgatewayBackend, error) {
	if _, err := externalURL(EnvPushgatewayURL, raw); err != nil {
		return nil, err
	}
	g := externalPushgateway(raw)
	if err := checkExternal(ctx, Pushgateway, EnvPushgatewayURL, httpOK(g.URL+"/-/ready")); err != nil {
		return nil, err
	}
	return g, nil
}

func externalJaeger(ctx context.Context, raw string) (*JaegerBackend, error) {
	u, err := externalURL(EnvJaegerURL, raw)
	if err != nil {
		return nil, err
	}
	addr := func(env, port string) string {
		if a := strings.TrimSpace(os.Getenv(env)); a != "" {
			return a
		}
		return net.JoinHostPort(u.Hostname(), port)
	}
	j := &JaegerBackend{
		OTLPGRPCAddr: addr(EnvJaegerOTLPGRPC, "4317"),
		OTLPHTTPAddr: addr(EnvJaegerOTLPHTTP, "4318"),
		QueryURL:     raw,
	}
	ready := allOf(httpOK(j.QueryURL+"/api/services"), tcpOpen(j.OTLPGRPCAddr), tcpOpen(j.OTLPHTTPAddr))
	if err := checkExternal(ctx, Jaeger, EnvJaegerURL, ready); err != nil {
		return nil, err
	}
	return j, nil
}

func externalVictoriaLogs(ctx context.Context, raw string) (*VictoriaLogsBackend, error) {
	if _, err := externalURL(EnvVictoriaLogsURL, raw); err != nil {
		return nil, err
	}
	v := victoriaLogsAt(raw, "")
	if err := checkExternal(ctx, VictoriaLogs, EnvVictoriaLogsURL, httpOK(raw+"/health")); err != nil {
		return nil, err
	}
	return v, nil
}

// runID tells this test process's writes from those of other runs.
var runID = strconv.FormatInt(time.Now().UnixNano(), 36)

// Unique returns prefix and an ID of this test process, for the service
// names and labels that a test writes under and then queries: an existing
// backend (EnvJaegerURL and the others) still holds what earlier runs
// wrote, which a test must not count as its own.
func Unique(prefix string) string { return prefix + "-" + runID }
