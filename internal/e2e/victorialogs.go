package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// VictoriaLogsBackend is a running single-node VictoriaLogs. It stands in
// for Loki in the tests and the stack: it takes Loki's push API and OTLP
// logs, answers LogsQL queries, and serves its web UI from the same port.
type VictoriaLogsBackend struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// LokiPushURL takes Loki push requests, protobuf+snappy or JSON
	// (/insert/loki/api/v1/push). Stream labels become stream fields;
	// structured metadata becomes ordinary fields.
	LokiPushURL string
	// OTLPLogsURL takes OTLP/HTTP logs (/insert/opentelemetry/v1/logs), for
	// otlploghttp.WithEndpointURL. Resource attributes become stream fields,
	// record attributes ordinary fields under their own names (dots kept),
	// and a record's trace and span IDs the trace_id and span_id fields.
	OTLPLogsURL string
	// UIURL is the built-in web UI (/select/vmui/).
	UIURL string
	// Dir holds the storage and VictoriaLogs' log; empty for an existing
	// VictoriaLogs (EnvVictoriaLogsURL).
	Dir string

	// h, proc and args restart the same process after Stop; runs counts
	// the restarts, which name their log directories.
	h    host
	proc *process
	args []string
	runs int
}

// StartVictoriaLogs starts VictoriaLogs (the pinned app/victoria-logs build)
// with fresh storage under the test's temp dir and its HTTP server on a free
// loopback port, or returns the one EnvVictoriaLogsURL names. It skips or
// fails like Require when the binary is missing.
func StartVictoriaLogs(t testing.TB) *VictoriaLogsBackend {
	t.Helper()
	b, err := startVictoriaLogs(context.Background(), testHost{t})
	mustStart(t, VictoriaLogs, err)
	return b
}

// startVictoriaLogs starts VictoriaLogs for h; ctx bounds the wait until it
// is ready.
func startVictoriaLogs(ctx context.Context, h host) (*VictoriaLogsBackend, error) {
	if u := External(VictoriaLogs); u != "" {
		return externalVictoriaLogs(ctx, u)
	}
	v := &VictoriaLogsBackend{}
	p, err := startBackend(ctx, h, VictoriaLogs, func(dir string) (launchSpec, error) {
		ports, err := freePorts(1)
		if err != nil {
			return launchSpec{}, err
		}
		addr := hostPort(ports[0])
		base := "http://" + addr
		*v = *victoriaLogsAt(base, dir)
		v.h = h
		v.args = []string{
			"-httpListenAddr=" + addr,
			"-storageDataPath=" + filepath.Join(dir, "data"),
		}
		return launchSpec{args: v.args, ready: v.ready()}, nil
	})
	if err != nil {
		return nil, err
	}
	v.proc = p
	return v, nil
}

// ready is the readiness probe: /health answers once storage is open and
// the HTTP server serves, which is also when ingestion and queries work.
func (v *VictoriaLogsBackend) ready() func(ctx context.Context) error {
	return httpOK(v.URL + "/health")
}

// Stop stops VictoriaLogs the way an operator does (SIGTERM, so it writes
// what it buffered to storage), for tests of clients during an outage:
// connections to its port are refused until Restart. Stop and Restart are
// not safe for concurrent use.
func (v *VictoriaLogsBackend) Stop() error {
	if v.proc == nil {
		// tests that stop it call RequireOwn first
		return fmt.Errorf("stopping victorialogs: %s names it: %w", EnvVictoriaLogsURL, errExternal)
	}
	if err := v.proc.stop(); err != nil {
		return fmt.Errorf("stopping victorialogs: %w", err)
	}
	return nil
}

// Restart starts VictoriaLogs again after Stop, on the same port and the
// same storage, so the entries stored before the outage are still there,
// and waits until it is ready or ctx ends. Its log goes to a directory of
// its own under Dir. The restarted process stops with the test or session,
// like the first.
func (v *VictoriaLogsBackend) Restart(ctx context.Context) error {
	if v.proc == nil {
		return fmt.Errorf("restarting victorialogs: %s names it: %w", EnvVictoriaLogsURL, errExternal)
	}
	select {
	case <-v.proc.exited:
	default:
		return errors.New("restarting victorialogs: it is still running; Stop it first")
	}
	bin, _, err := BinaryPath(VictoriaLogs)
	if err != nil {
		return fmt.Errorf("restarting victorialogs: %w", err)
	}
	v.runs++
	dir := filepath.Join(v.Dir, fmt.Sprintf("restart-%d", v.runs))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("restarting victorialogs: %w", err)
	}
	p, err := launch(ctx, launchSpec{name: VictoriaLogs, bin: bin, args: v.args, dir: dir, ready: v.ready()})
	if err != nil {
		return fmt.Errorf("restarting victorialogs: %w", err)
	}
	if err := v.h.adopt(p); err != nil {
		return err
	}
	v.proc = p
	return nil
}

// victoriaLogsAt describes the VictoriaLogs at base, its files in dir.
func victoriaLogsAt(base, dir string) *VictoriaLogsBackend {
	return &VictoriaLogsBackend{
		URL:         base,
		LokiPushURL: base + "/insert/loki/api/v1/push",
		OTLPLogsURL: base + "/insert/opentelemetry/v1/logs",
		UIURL:       base + "/select/vmui/",
		Dir:         dir,
	}
}
