package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// maxBody caps how much of a backend response is read, so a runaway query
// cannot exhaust the test's memory.
const maxBody = 64 << 20

// getJSON GETs url and decodes its JSON body into out, returning the HTTP
// status. Prometheus and Jaeger describe errors in JSON bodies, so a non-200
// status is left to the caller; a body that is not JSON is an error.
func getJSON(ctx context.Context, url string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("building request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err // already names the method and URL
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading response: %w", err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return resp.StatusCode, fmt.Errorf("decoding %s response %.200q: %w", resp.Status, body, err)
	}
	return resp.StatusCode, nil
}

// Eventually calls check until it returns nil, failing the test with check's
// last error if that does not happen within timeout. Backends make data
// queryable asynchronously (scrape intervals, batch processors, in-memory
// parts), so tests poll with a deadline instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		// one check may run many queries: a call gets a share of the
		// budget large enough for that on a loaded machine, but a hung
		// backend still leaves time for further attempts
		callCtx, callCancel := context.WithTimeout(ctx, 15*time.Second)
		err := check(callCtx)
		callCancel()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not true after %v: %v", what, timeout, err)
		case <-tick.C:
		}
	}
}
