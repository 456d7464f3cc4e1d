package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// LokiBackend is a running Grafana Loki v3 single binary (every component in
// one process) with filesystem storage and authentication off.
type LokiBackend struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// PushURL takes Loki push requests, JSON or protobuf+snappy
	// (/loki/api/v1/push); promtail clients post here.
	PushURL string
	// OTLPLogsURL takes OTLP/HTTP logs (/otlp/v1/logs), for
	// otlploghttp.WithEndpointURL. The resource attribute service.name
	// becomes the service_name stream label; other attributes become
	// structured metadata.
	OTLPLogsURL string
	// Dir holds the generated config, the storage and Loki's log.
	Dir string

	// started bounds the time range Query searches.
	started time.Time
}

// lokiPorts is the order in which StartLoki assigns free ports.
const (
	lPortHTTP = iota
	lPortGRPC
	lPortCount
)

// StartLoki starts Loki (the pinned cmd/loki build) with fresh filesystem
// storage under the test's temp dir, its HTTP and gRPC servers on free
// loopback ports, and usage reporting off. It skips or fails like Require
// when the binary is missing.
func StartLoki(t testing.TB) *LokiBackend {
	t.Helper()
	b, err := startLoki(context.Background(), testHost{t})
	mustStart(t, Loki, err)
	return b
}

// startLoki starts Loki for h; ctx bounds the wait until it is ready.
func startLoki(ctx context.Context, h host) (*LokiBackend, error) {
	l := &LokiBackend{}
	if _, err := startBackend(ctx, h, Loki, func(dir string) (launchSpec, error) {
		ports, err := freePorts(lPortCount)
		if err != nil {
			return launchSpec{}, err
		}
		b, err := json.MarshalIndent(lokiConfig(ports, filepath.Join(dir, "data")), "", "  ")
		if err != nil {
			return launchSpec{}, fmt.Errorf("encoding loki config: %w", err)
		}
		// JSON is YAML, and encoding/json gets the quoting right for free.
		path := filepath.Join(dir, "loki.yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return launchSpec{}, fmt.Errorf("writing loki config: %w", err)
		}
		base := "http://" + hostPort(ports[lPortHTTP])
		*l = LokiBackend{
			URL:         base,
			PushURL:     base + "/loki/api/v1/push",
			OTLPLogsURL: base + "/otlp/v1/logs",
			Dir:         dir,
			started:     time.Now(),
		}
		return launchSpec{
			args: []string{"-config.file=" + path},
			// /ready turns 200 once the ingester is ACTIVE in its ring and
			// the query frontend is connected to the scheduler, so pushes and
			// queries both work from then on.
			ready: httpOK(base + "/ready"),
		}, nil
	}); err != nil {
		return nil, err
	}
	return l, nil
}

// lokiConfig builds a single-binary config that binds only the two given
// loopback ports and keeps all state under data.
func lokiConfig(ports []int, data string) map[string]any {
	grpcAddr := hostPort(ports[lPortGRPC])
	return map[string]any{
		"auth_enabled": false,
		// On by default, it reports usage to stats.grafana.org.
		"analytics": map[string]any{"reporting_enabled": false},
		"server": map[string]any{
			"http_listen_address": "127.0.0.1",
			"http_listen_port":    ports[lPortHTTP],
			"grpc_listen_address": "127.0.0.1",
			"grpc_listen_port":    ports[lPortGRPC],
			"log_level":           "info",
		},
		// Memberlist is unused with the in-memory ring, but should it ever
		// start, it must not take the default 0.0.0.0:7946 that parallel
		// Lokis would share.
		"memberlist": map[string]any{"bind_addr": []string{"127.0.0.1"}, "bind_port": 0},
		"common": map[string]any{
			// Without it Loki registers in its rings under the address of
			// the first private network interface, which may not exist.
			"instance_addr": "127.0.0.1",
			"path_prefix":   data,
			"storage": map[string]any{"filesystem": map[string]any{
				"chunks_directory": filepath.Join(data, "chunks"),
				"rules_directory":  filepath.Join(data, "rules"),
			}},
			"replication_factor": 1,
			"ring":               map[string]any{"kvstore": map[string]any{"store": "inmemory"}},
		},
		"schema_config": map[string]any{"configs": []any{map[string]any{
			"from":         "2020-10-24",
			"store":        "tsdb",
			"object_store": "filesystem",
			"schema":       "v13",
			"index":        map[string]any{"prefix": "index_", "period": "24h"},
		}}},
		"ingester": map[string]any{"lifecycler": map[string]any{
			// The defaults (15s and 30s) let a ring of many ingesters settle;
			// with one they only delay /ready and shutdown.
			"min_ready_duration": "0s",
			"final_sleep":        "0s",
		}},
		// Naming the scheduler (our own gRPC server) keeps the frontend and
		// querier from finding it through the scheduler ring, whose
		// membership checks add seconds before the first query is served.
		// Both still poll the address, every 10s and 3s by default, and
		// /ready waits for the frontend's first connection.
		"frontend": map[string]any{
			"scheduler_address":           grpcAddr,
			"scheduler_dns_lookup_period": "200ms",
		},
		"frontend_worker": map[string]any{
			"scheduler_address":   grpcAddr,
			"dns_lookup_duration": "200ms",
		},
		"query_range": map[string]any{"results_cache": map[string]any{"cache": map[string]any{
			"embedded_cache": map[string]any{"enabled": true, "max_size_mb": 64},
		}}},
		// OTLP ingestion stores attributes as structured metadata.
		"limits_config":    map[string]any{"allow_structured_metadata": true},
		"pattern_ingester": map[string]any{"enabled": false},
	}
}
