package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// serviceName names the demo in every backend: the OpenTelemetry service,
// the Loki service_name label, and the Prometheus job that the local stack
// scrapes it as, which the Grafana dashboard's source must match.
const serviceName = "amkit-demo"

// dbgFlushTimeout bounds the wait for the debugger at exit.
const dbgFlushTimeout = 2 * time.Second

// telemetry holds the exporters of one run. They are bound to the
// supervisor before it starts, and the workers inherit them.
type telemetry struct {
	// lines say what is exported where, for the start banner.
	lines []exporterLine
	// notes follow the banner's lines: where an exporter is not where the
	// reader expects it.
	notes []string
	// closers flush and stop the exporters, in order.
	closers []func(ctx context.Context) error
	// traceFile and dbg are the trace file and the debugger's tracer, if
	// on, for the exit summary.
	traceFile *traceFile
	dbg       *dbg.Tracer
}

// exporterLine is one row of the start banner.
type exporterLine struct {
	name, where, setting string
}

// bindTelemetry binds every exporter that cfg and the environment turn on
// to mach. On error, the exporters bound so far are closed.
func bindTelemetry(ctx context.Context, cfg config, mach *am.Machine) (*telemetry, error) {
	t := &telemetry{}
	logs := ""
	if cfg.LogLevel != am.LogLevelNothing {
		logs = "standard output, level " + cfg.LogLevel.String()
	}
	t.add("logs", logs, envLogLevel)
	for _, bind := range []func(context.Context, config, *am.Machine) error{
		t.bindMetrics, t.bindTraces, t.bindLoki, t.bindDbg,
	} {
		if err := bind(ctx, cfg, mach); err != nil {
			return nil, errors.Join(err, t.close(ctx))
		}
	}
	return t, nil
}

// add records a banner line.
func (t *telemetry) add(name, where, setting string) {
	if where == "" {
		where = "off"
	}
	t.lines = append(t.lines, exporterLine{name, where, setting})
}

// print writes the banner: what is on, where it goes, and the setting that
// changes it.
func (t *telemetry) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range t.lines {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.name, l.where, l.setting)
	}
	tw.Flush()
	for _, n := range t.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// close flushes every exporter and stops it. Dispose the machines first,
// so that the last transitions and state activations are exported.
func (t *telemetry) close(ctx context.Context) error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c(ctx))
	}
	t.closers = nil
	return errors.Join(errs...)
}

// summary writes what the file exporters wrote and what the debugger
// missed.
func (t *telemetry) summary(w io.Writer) {
	if f := t.traceFile; f != nil {
		kept, dropped := f.stats()
		fmt.Fprintf(w, "wrote %d spans to %s (%d older spans dropped); load it in Jaeger's UI: Search, Upload\n", kept, f.path, dropped)
	}
	if t.dbg != nil {
		if n := t.dbg.Dropped(); n > 0 {
			fmt.Fprintf(w, "the debugger at %s missed %d transitions: is am-dbg running?\n", t.dbg.Addr(), n)
		}
	}
}

// bindLoki sends machine logs to Loki with our Loki client, labelled with
// the service name (and, by amtele, the machine ID and level). The address
// may leave out the scheme, as in 127.0.0.1:3100.
func (t *telemetry) bindLoki(_ context.Context, cfg config, mach *am.Machine) error {
	t.add("loki", cfg.LokiAddr, envLokiAddr)
	if cfg.LokiAddr == "" {
		return nil
	}
	addr := cfg.LokiAddr
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	client, err := loki.New(loki.Options{URL: addr, Labels: map[string]string{"service_name": serviceName}})
	if err != nil {
		return fmt.Errorf("loki client for %s: %w", cfg.LokiAddr, err)
	}
	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		_ = client.Close(context.Background())
		return fmt.Errorf("binding loki logger: %w", err)
	}
	t.closers = append(t.closers, func(ctx context.Context) error {
		// Close sends what Flush could not, or counts it as lost
		err := errors.Join(logger.Flush(ctx), client.Close(ctx))
		if err != nil {
			return fmt.Errorf("flushing logs to loki: %w", err)
		}
		return nil
	})
	return nil
}

// bindDbg sends to the am-dbg debugger when AM_DBG_ADDR says so.
func (t *telemetry) bindDbg(_ context.Context, _ config, mach *am.Machine) error {
	tracer, err := dbg.BindEnv(mach)
	if err != nil {
		return err
	}
	if tracer == nil {
		t.add("debugger", "", dbg.EnvAddr+"=1")
		return nil
	}
	t.add("debugger", tracer.Addr(), dbg.EnvAddr)
	t.dbg = tracer
	t.closers = append(t.closers, func(ctx context.Context) error {
		// a debugger that is not running must not hold up the exit; what it
		// missed is counted in the summary
		ctx, cancel := context.WithTimeout(ctx, dbgFlushTimeout)
		defer cancel()
		if err := tracer.Close(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("flushing to the debugger: %w", err)
		}
		return nil
	})
	return nil
}
