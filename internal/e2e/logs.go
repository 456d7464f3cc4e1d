package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"
)

// LogsBackend is a running VictoriaLogs single-node server.
//
// It stands in for Loki: Loki's Go module is AGPL, which this project does
// not use, and there is no Debian package of it. VictoriaLogs (Apache-2.0)
// accepts Loki's push API (JSON and protobuf+snappy) at LokiPushURL, so code
// that ships logs to Loki can be tested against it unchanged; Loki stream
// labels become VictoriaLogs stream fields, queryable by name in LogsQL.
// Reading back uses LogsQL, not LogQL.
type LogsBackend struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// LokiPushURL takes Loki push requests (/insert/loki/api/v1/push).
	LokiPushURL string
	// OTLPLogsURL takes OTLP/HTTP protobuf logs
	// (/insert/opentelemetry/v1/logs).
	OTLPLogsURL string
	// Dir holds the storage directory and the server's log.
	Dir string
}

// StartLogs starts VictoriaLogs (the pinned app/victoria-logs build) on a
// free loopback port with fresh storage. It skips or fails like Require when
// the binary is missing.
func StartLogs(t testing.TB) *LogsBackend {
	t.Helper()
	l := &LogsBackend{}
	startBackend(t, Logs, func(dir string) (launchSpec, error) {
		ports, err := freePorts(1)
		if err != nil {
			return launchSpec{}, err
		}
		addr := hostPort(ports[0])
		base := "http://" + addr
		*l = LogsBackend{
			URL:         base,
			LokiPushURL: base + "/insert/loki/api/v1/push",
			OTLPLogsURL: base + "/insert/opentelemetry/v1/logs",
			Dir:         dir,
		}
		return launchSpec{
			args: []string{
				"-storageDataPath=" + filepath.Join(dir, "data"),
				"-httpListenAddr=" + addr,
				// The shortest retention VictoriaLogs allows; test data is
				// thrown away with the temp dir anyway.
				"-retentionPeriod=1d",
			},
			ready: httpOK(base + "/health"),
		}, nil
	})
	return l
}

// LogEntry is one log record returned by a LogsQL query.
type LogEntry struct {
	// Time is the record's _time field.
	Time time.Time
	// Msg is the _msg field: the log line.
	Msg string
	// Stream is the _stream field, e.g. {app="x",env="y"}.
	Stream string
	// Fields holds every field of the record, including _msg, _time and
	// _stream and, for Loki pushes, one field per stream label.
	Fields map[string]string
}

// maxLogEntries bounds Query's result, since VictoriaLogs otherwise streams
// every match.
const maxLogEntries = 1000

// Query runs a LogsQL query (GET /select/logsql/query) and returns up to
// 1000 of the newest matching records. No match is not an error, so callers
// can poll.
func (l *LogsBackend) Query(ctx context.Context, logsql string) ([]LogEntry, error) {
	u := l.URL + "/select/logsql/query?" + url.Values{
		"query": {logsql},
		"limit": {fmt.Sprint(maxLogEntries)},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("logsql query %q: building request: %w", logsql, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("logsql query %q: %w", logsql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("logsql query %q: reading response: %w", logsql, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("logsql query %q: status %s: %s", logsql, resp.Status, bytes.TrimSpace(body))
	}
	return parseLogLines(body)
}

// parseLogLines decodes VictoriaLogs' JSON-lines response, one object of
// string fields per record.
func parseLogLines(body []byte) ([]LogEntry, error) {
	var out []LogEntry
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), maxBody)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var fields map[string]string
		if err := json.Unmarshal(line, &fields); err != nil {
			return nil, fmt.Errorf("decoding log record %.200q: %w", line, err)
		}
		e := LogEntry{Msg: fields["_msg"], Stream: fields["_stream"], Fields: fields}
		if ts := fields["_time"]; ts != "" {
			tm, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, fmt.Errorf("parsing _time %q: %w", ts, err)
			}
			e.Time = tm
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading log records: %w", err)
	}
	return out, nil
}
