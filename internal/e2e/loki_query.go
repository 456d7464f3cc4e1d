package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// LogEntry is one log line returned by a LogQL query.
type LogEntry struct {
	// Time is the entry's timestamp.
	Time time.Time
	// Line is the log line.
	Line string
	// Labels are the indexed labels of the entry's stream, including those
	// Loki adds itself, such as service_name.
	Labels map[string]string
	// Metadata is the entry's structured metadata: OTLP log attributes and
	// labels Loki derives per line, such as detected_level.
	Metadata map[string]string
	// Parsed holds labels extracted at query time by parsers such as
	// `| json` or `| logfmt`.
	Parsed map[string]string
}

// maxLogEntries is the limit Query asks for; it is Loki's default cap on
// entries per query (max_entries_limit_per_query).
const maxLogEntries = 5000

// queryLookback is how far before StartLoki Query searches, so entries
// stamped slightly in the past are found.
const queryLookback = time.Hour

// queryLookahead is how far past now Query searches: Loki accepts entries
// stamped up to 10 minutes in the future (creation_grace_period).
const queryLookahead = 10 * time.Minute

// Query runs a LogQL log query over /loki/api/v1/query_range and returns up
// to 5000 matching entries, oldest first. It searches from an hour before
// StartLoki to ten minutes from now. No match is not an error, so callers
// can poll; a metric query (one returning samples, not lines) is.
func (l *LokiBackend) Query(ctx context.Context, logql string) ([]LogEntry, error) {
	u := l.URL + "/loki/api/v1/query_range?" + url.Values{
		"query":     {logql},
		"start":     {strconv.FormatInt(l.started.Add(-queryLookback).UnixNano(), 10)},
		"end":       {strconv.FormatInt(time.Now().Add(queryLookahead).UnixNano(), 10)},
		"direction": {"forward"},
		"limit":     {strconv.Itoa(maxLogEntries)},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("logql query %q: building request: %w", logql, err)
	}
	// Without it Loki merges structured metadata into the stream labels,
	// so OTLP attributes would look like indexed labels.
	req.Header.Set("X-Loki-Response-Encoding-Flags", "categorize-labels")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("logql query %q: %w", logql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("logql query %q: reading response: %w", logql, err)
	}
	// Loki explains a rejected query in a plain-text body.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("logql query %q: status %s: %s", logql, resp.Status, bytes.TrimSpace(body))
	}
	var res lokiQueryResponse
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("logql query %q: decoding response %.200q: %w", logql, body, err)
	}
	if res.Data.ResultType != "streams" {
		return nil, fmt.Errorf("logql query %q: got a %s result, want log streams", logql, res.Data.ResultType)
	}
	entries, err := res.entries()
	if err != nil {
		return nil, fmt.Errorf("logql query %q: %w", logql, err)
	}
	return entries, nil
}

// lokiQueryResponse is the JSON body of /loki/api/v1/query_range for a log
// query with categorized labels.
type lokiQueryResponse struct {
	Data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string `json:"stream"`
			// Values are [timestamp, line, labels] triples; the timestamp
			// is a string of Unix nanoseconds.
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// entryLabels is the third element of a categorized entry.
type entryLabels struct {
	StructuredMetadata map[string]string `json:"structuredMetadata"`
	Parsed             map[string]string `json:"parsed"`
}

// entries flattens the response's streams into one list in time order. Loki
// sorts entries within a stream only, and streams interleave.
func (r *lokiQueryResponse) entries() ([]LogEntry, error) {
	var out []LogEntry
	for _, s := range r.Data.Result {
		for _, v := range s.Values {
			e, err := decodeEntry(v)
			if err != nil {
				return nil, err
			}
			e.Labels = s.Stream
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b LogEntry) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// decodeEntry decodes one [timestamp, line, labels] value.
func decodeEntry(v []json.RawMessage) (LogEntry, error) {
	if len(v) < 2 {
		return LogEntry{}, fmt.Errorf("log entry %s: want [timestamp, line, ...]", v)
	}
	var ts, line string
	if err := json.Unmarshal(v[0], &ts); err != nil {
		return LogEntry{}, fmt.Errorf("decoding entry timestamp %s: %w", v[0], err)
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return LogEntry{}, fmt.Errorf("parsing entry timestamp %q: %w", ts, err)
	}
	if err := json.Unmarshal(v[1], &line); err != nil {
		return LogEntry{}, fmt.Errorf("decoding entry line %.200s: %w", v[1], err)
	}
	e := LogEntry{Time: time.Unix(0, ns), Line: line}
	if len(v) > 2 {
		var lbls entryLabels
		if err := json.Unmarshal(v[2], &lbls); err != nil {
			return LogEntry{}, fmt.Errorf("decoding entry labels %.200s: %w", v[2], err)
		}
		e.Metadata, e.Parsed = lbls.StructuredMetadata, lbls.Parsed
	}
	return e, nil
}
