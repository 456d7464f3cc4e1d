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
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// LogRecord is one log entry returned by a LogsQL query.
type LogRecord struct {
	// Time is the entry's timestamp (the _time field).
	Time time.Time
	// Msg is the log line (the _msg field).
	Msg string
	// Stream holds the entry's stream fields, the indexed labels that group
	// entries into streams (parsed from the _stream field): for the Loki
	// push API, the stream labels; for OTLP, the resource attributes. It is
	// nil when the query's pipes leave _stream out.
	Stream map[string]string
	// Fields holds every field other than _msg, _time, _stream and
	// _stream_id: the stream fields again, Loki structured metadata, OTLP
	// record attributes, severity and trace context.
	Fields map[string]string
}

// Query runs a LogsQL query over /select/logsql/query and returns the
// matching entries, oldest first (entries of the same nanosecond keep the
// order VictoriaLogs sent them in). It searches all stored time, which for
// a backend of one test is the test's own entries. No match is not an
// error, so callers can poll.
func (v *VictoriaLogsBackend) Query(ctx context.Context, logsql string) ([]LogRecord, error) {
	u := v.URL + "/select/logsql/query?" + url.Values{"query": {logsql}}.Encode()
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
	// VictoriaLogs explains a rejected query in a plain-text body.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("logsql query %q: status %s: %s", logsql, resp.Status, bytes.TrimSpace(body))
	}
	records, err := decodeLogRecords(body)
	if err != nil {
		return nil, fmt.Errorf("logsql query %q: %w", logsql, err)
	}
	return records, nil
}

// decodeLogRecords decodes a /select/logsql/query body, one JSON object of
// string fields per line, and sorts the entries by time: VictoriaLogs sends
// them as it finds them, in no particular order.
func decodeLogRecords(body []byte) ([]LogRecord, error) {
	var out []LogRecord
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, maxBody)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r, err := decodeLogRecord(line)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading response lines: %w", err)
	}
	slices.SortStableFunc(out, func(a, b LogRecord) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// decodeLogRecord decodes one response line.
func decodeLogRecord(line []byte) (LogRecord, error) {
	var fields map[string]string
	if err := json.Unmarshal(line, &fields); err != nil {
		return LogRecord{}, fmt.Errorf("decoding log entry %.200q: %w", line, err)
	}
	ts, ok := fields["_time"]
	if !ok {
		return LogRecord{}, fmt.Errorf("log entry %.200q has no _time field", line)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return LogRecord{}, fmt.Errorf("parsing the _time of log entry %.200q: %w", line, err)
	}
	// A query ending in a fields pipe may leave _stream out.
	var stream map[string]string
	if s, ok := fields["_stream"]; ok {
		if stream, err = parseStream(s); err != nil {
			return LogRecord{}, fmt.Errorf("log entry %.200q: %w", line, err)
		}
	}
	r := LogRecord{Time: t, Msg: fields["_msg"], Stream: stream, Fields: fields}
	for _, k := range []string{"_time", "_msg", "_stream", "_stream_id"} {
		delete(fields, k)
	}
	return r, nil
}

// parseStream parses a _stream value, {name="value",...}, whose values are
// quoted the way Go's strconv.Quote does.
func parseStream(s string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(s, "{")
	if !ok {
		return nil, fmt.Errorf("stream %q does not start with {", s)
	}
	out := map[string]string{}
	for rest != "}" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("stream %q: want name=\"value\" at %q", s, rest)
		}
		quoted, err := strconv.QuotedPrefix(after)
		if err != nil {
			return nil, fmt.Errorf("stream %q: value of %s: %w", s, name, err)
		}
		value, err := strconv.Unquote(quoted)
		if err != nil {
			return nil, fmt.Errorf("stream %q: value of %s: %w", s, name, err)
		}
		out[name] = value
		rest = after[len(quoted):]
		if r, ok := strings.CutPrefix(rest, ","); ok {
			rest = r
		} else if rest != "}" {
			return nil, fmt.Errorf("stream %q: want , or } at %q", s, rest)
		}
	}
	return out, nil
}

// WaitRecords polls Query until it returns n entries, and returns them. It
// fails t if timeout passes first, or if the query returns more than n.
func (v *VictoriaLogsBackend) WaitRecords(t testing.TB, timeout time.Duration, logsql string, n int) []LogRecord {
	t.Helper()
	var got []LogRecord
	Eventually(t, timeout, fmt.Sprintf("%d entries for %s", n, logsql), func(ctx context.Context) error {
		var err error
		if got, err = v.Query(ctx, logsql); err != nil {
			return err
		}
		if len(got) < n {
			return fmt.Errorf("%d entries so far", len(got))
		}
		return nil
	})
	if len(got) != n {
		t.Fatalf("%s: got %d entries, want %d: %+v", logsql, len(got), n, got)
	}
	return got
}
