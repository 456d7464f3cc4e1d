package e2e

import (
	"context"
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
	// Dir holds the storage and VictoriaLogs' log.
	Dir string
}

// StartVictoriaLogs starts VictoriaLogs (the pinned app/victoria-logs build)
// with fresh storage under the test's temp dir and its HTTP server on a free
// loopback port. It skips or fails like Require when the binary is missing.
func StartVictoriaLogs(t testing.TB) *VictoriaLogsBackend {
	t.Helper()
	b, err := startVictoriaLogs(context.Background(), testHost{t})
	mustStart(t, VictoriaLogs, err)
	return b
}

// startVictoriaLogs starts VictoriaLogs for h; ctx bounds the wait until it
// is ready.
func startVictoriaLogs(ctx context.Context, h host) (*VictoriaLogsBackend, error) {
	v := &VictoriaLogsBackend{}
	if _, err := startBackend(ctx, h, VictoriaLogs, func(dir string) (launchSpec, error) {
		ports, err := freePorts(1)
		if err != nil {
			return launchSpec{}, err
		}
		addr := hostPort(ports[0])
		base := "http://" + addr
		*v = VictoriaLogsBackend{
			URL:         base,
			LokiPushURL: base + "/insert/loki/api/v1/push",
			OTLPLogsURL: base + "/insert/opentelemetry/v1/logs",
			UIURL:       base + "/select/vmui/",
			Dir:         dir,
		}
		return launchSpec{
			args: []string{
				"-httpListenAddr=" + addr,
				"-storageDataPath=" + filepath.Join(dir, "data"),
			},
			// /health answers once storage is open and the HTTP server
			// serves, which is also when ingestion and queries work.
			ready: httpOK(base + "/health"),
		}, nil
	}); err != nil {
		return nil, err
	}
	return v, nil
}
