package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// What the stack runs the demo as. The demo is a main package, so these
// repeat its names: its service name (the Prometheus job and the
// service_name of its log lines) and the IDs of its machines.
const (
	demoService = "amkit-demo"
	demoWorkers = 3
)

// The packages the stack builds and runs.
const (
	demoPkg  = "github.com/amkit-dev/amkit/examples/demo"
	amGenPkg = "github.com/amkit-dev/amkit/cmd/am-gen"
	amDbgPkg = "github.com/amkit-dev/amkit/cmd/am-dbg"
)

// stack is a running demo with its backends.
type stack struct {
	session *e2e.Session
	dir     string

	jaeger *e2e.JaegerBackend
	// collector forwards the demo's traces to jaeger
	collector *e2e.CollectorBackend
	vlogs     *e2e.VictoriaLogsBackend
	gw        *e2e.PushgatewayBackend
	prom      *e2e.PrometheusBackend
	demo      *e2e.Program
	// dbgAddr is where am-dbg takes the demo's transitions, inspector
	// where its web inspector is.
	dbgAddr, inspector string
	// demoEnv is the environment the demo runs with, on top of ours.
	demoEnv []string
	// dashboard is the Grafana dashboard file.
	dashboard string
	// provisioning is the Grafana provisioning directory: the dashboard and
	// its datasources at the stack's URLs.
	provisioning string
}

// checkBackends tells how to install the backends when one is missing.
func checkBackends() error {
	// an existing Prometheus cannot be told to scrape the demo; the other
	// backends the environment names (e2e.EnvJaegerURL...) serve as they are
	if u := e2e.External(e2e.Prometheus); u != "" {
		return fmt.Errorf("%s=%s: the stack runs a Prometheus of its own, which scrapes the demo; unset it", e2e.EnvPrometheusURL, u)
	}
	var errs []error
	for _, name := range []string{e2e.Jaeger, e2e.VictoriaLogs, e2e.Pushgateway, e2e.Prometheus, e2e.Collector} {
		if e2e.External(name) != "" {
			continue
		}
		if _, _, err := e2e.BinaryPath(name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w\nrun \"make e2e-deps\" to install the backends", errors.Join(errs...))
	}
	return nil
}

// start builds the demo and am-gen while the backends start, then starts
// Prometheus with the demo as a target and the demo, and generates the
// dashboard and the Grafana provisioning of the stack's URLs. The stack it
// returns must be closed, even with an error.
func start(ctx context.Context, dir string, logf func(format string, args ...any)) (*stack, error) {
	s := &stack{session: e2e.NewSession(dir, logf), dir: dir}
	bin := filepath.Join(dir, "bin")
	err := parallel(ctx,
		func(ctx context.Context) error { return goBuild(ctx, bin, demoPkg, amGenPkg, amDbgPkg) },
		func(ctx context.Context) (err error) { s.jaeger, err = s.session.StartJaeger(ctx); return err },
		func(ctx context.Context) (err error) { s.vlogs, err = s.session.StartVictoriaLogs(ctx); return err },
		func(ctx context.Context) (err error) { s.gw, err = s.session.StartPushgateway(ctx); return err },
	)
	if err != nil {
		return s, err
	}
	// traces go through an OpenTelemetry Collector, as where one process
	// does not send to each backend itself
	if s.collector, err = s.session.StartCollector(ctx, e2e.CollectorOptions{TracesOTLPGRPC: s.jaeger.OTLPGRPCAddr}); err != nil {
		return s, err
	}
	// the demo reports to am-dbg from its start
	if err := s.startDebugger(ctx, bin); err != nil {
		return s, err
	}
	// Prometheus needs the demo's address before the demo starts
	demoAddr, err := e2e.FreeAddr()
	if err != nil {
		return s, err
	}
	s.demoEnv = []string{
		"AM_LOG_LEVEL=ops",
		"AM_PROM_ADDR=" + demoAddr,
		"AM_PUSHGATEWAY_URL=" + s.gw.URL,
		// VictoriaLogs takes Loki's push API under /insert
		"AM_LOKI_ADDR=" + s.vlogs.LokiPushURL,
		"AM_DBG_ADDR=" + s.dbgAddr,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://" + s.collector.OTLPHTTPAddr + "/v1/traces",
		// VictoriaLogs gets the logs over the Loki push API; Jaeger takes
		// no logs
		"OTEL_LOGS_EXPORTER=none",
		// Jaeger has the traces
		"AM_TRACE_FILE=off",
	}
	s.dashboard = filepath.Join(dir, demoService+"-dashboard.json")
	s.provisioning = filepath.Join(dir, "grafana")
	err = parallel(ctx,
		func(ctx context.Context) (err error) {
			s.prom, err = s.session.StartPrometheus(ctx, e2e.PrometheusOptions{
				Targets: []e2e.ScrapeTarget{{Job: demoService, Addr: demoAddr}, s.gw.ScrapeTarget()},
				// the demo's transition durations carry trace IDs, which
				// the dashboard's transition time panel shows
				Exemplars: true,
			})
			return err
		},
		func(ctx context.Context) (err error) {
			s.demo, err = s.session.Start(ctx, e2e.Command{
				Name:  "demo",
				Path:  filepath.Join(bin, "demo"),
				Args:  []string{"--workers", strconv.Itoa(demoWorkers)},
				Env:   s.demoEnv,
				Ready: httpOK("http://" + demoAddr + "/metrics"),
			})
			return err
		},
	)
	if err != nil {
		return s, err
	}
	// the provisioning holds Prometheus' URL
	return s, s.generateDashboard(ctx, bin)
}

// startDebugger runs am-dbg --headless with its web inspector, on free
// ports.
func (s *stack) startDebugger(ctx context.Context, bin string) error {
	var err error
	if s.dbgAddr, err = e2e.FreeAddr(); err != nil {
		return err
	}
	webAddr, err := e2e.FreeAddr()
	if err != nil {
		return err
	}
	s.inspector = "http://" + webAddr + "/"
	_, err = s.session.Start(ctx, e2e.Command{
		Name:  "am-dbg",
		Path:  filepath.Join(bin, "am-dbg"),
		Args:  []string{"--headless", "--listen", s.dbgAddr, "--web", webAddr},
		Ready: httpOK(s.inspector + "api/view"),
	})
	return err
}

// close stops the demo and the backends.
func (s *stack) close() error { return s.session.Close() }

// machineIDs are the IDs of the demo's machines.
func machineIDs() []string {
	ids := []string{"supervisor"}
	for i := range demoWorkers {
		ids = append(ids, fmt.Sprintf("worker-%d", i+1))
	}
	return ids
}

// dashboardArgs are the am-gen arguments that generate the demo's
// dashboard into file, its log view on the stack's VictoriaLogs.
func dashboardArgs(file string) []string {
	return []string{"grafana", "--name", "amkit demo", "--ids", strings.Join(machineIDs(), ","),
		"--source", demoService, "--logs", "victorialogs", "--output", file}
}

// generateDashboard runs am-gen grafana for the demo's machines: the
// dashboard file, and the provisioning directory of the stack's
// Prometheus, VictoriaLogs and Jaeger.
func (s *stack) generateDashboard(ctx context.Context, bin string) error {
	args := append(dashboardArgs(s.dashboard), "--provisioning", s.provisioning,
		"--prometheus-url", s.prom.URL, "--logs-url", s.vlogs.URL, "--traces-url", s.jaeger.QueryURL)
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "am-gen"), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("am-gen grafana: %w\n%s", err, out)
	}
	return nil
}

// goBuild builds pkgs into dir with the go command.
func goBuild(ctx context.Context, dir string, pkgs ...string) error {
	args := append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// httpOK returns a readiness probe that wants a 200 from url.
func httpOK(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// parallel runs fns at once and waits for all of them. The first failure
// cancels the others, so it returns the failures that are not
// cancellations, or only cancellations when ctx ended.
func parallel(ctx context.Context, fns ...func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			if errs[i] = fn(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	var failed, canceled []error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			canceled = append(canceled, err)
		default:
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	return errors.Join(canceled...)
}
