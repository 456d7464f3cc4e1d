package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationLogsLokiPush pushes a line in Loki's JSON push format and
// reads it back with LogsQL, stream labels included as fields.
func TestIntegrationLogsLokiPush(t *testing.T) {
	t.Parallel()
	e2e.Require(t, e2e.Logs)

	logs := e2e.StartLogs(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	line := "machine m1 entered Ready run=" + run
	ts := time.Now().Truncate(time.Millisecond)
	body, err := json.Marshal(map[string]any{
		"streams": []any{map[string]any{
			"stream": map[string]string{"app": "amkit-smoke", "run": run},
			// Loki wants the timestamp as a string of Unix nanoseconds.
			"values": [][]string{{strconv.FormatInt(ts.UnixNano(), 10), line}},
		}},
	})
	if err != nil {
		t.Fatalf("encoding push body: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, logs.LokiPushURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building push request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("pushing to %s: %v", logs.LokiPushURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("push to %s: status %s", logs.LokiPushURL, resp.Status)
	}

	var got []e2e.LogEntry
	query := fmt.Sprintf(`{app="amkit-smoke",run=%q}`, run)
	e2e.Eventually(t, pollTimeout, "pushed line visible to LogsQL", func(ctx context.Context) error {
		var err error
		got, err = logs.Query(ctx, query)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return fmt.Errorf("no records yet")
		}
		return nil
	})
	if len(got) != 1 {
		t.Fatalf("got %d records, want 1: %+v", len(got), got)
	}
	e := got[0]
	if e.Msg != line {
		t.Errorf("_msg = %q, want %q", e.Msg, line)
	}
	if e.Fields["app"] != "amkit-smoke" || e.Fields["run"] != run {
		t.Errorf("label fields app=%q run=%q, want amkit-smoke and %s (all %v)", e.Fields["app"], e.Fields["run"], run, e.Fields)
	}
	if !strings.Contains(e.Stream, `app="amkit-smoke"`) || !strings.Contains(e.Stream, `run="`+run+`"`) {
		t.Errorf("_stream = %q, want both labels in it", e.Stream)
	}
	if !e.Time.Equal(ts) {
		t.Errorf("_time = %v, want the pushed %v", e.Time, ts)
	}

	// A word filter on the message must find the line too: the label match
	// alone would pass even if the line text were dropped.
	queryCtx, queryCancel := context.WithTimeout(context.Background(), callTimeout)
	defer queryCancel()
	byWord, err := logs.Query(queryCtx, fmt.Sprintf(`app:="amkit-smoke" "run=%s"`, run))
	if err != nil {
		t.Fatalf("querying by message: %v", err)
	}
	if len(byWord) != 1 || byWord[0].Msg != line {
		t.Errorf("query by message got %+v, want the pushed line", byWord)
	}
}
