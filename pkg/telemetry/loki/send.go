package loki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// How much of an answer is read: error bodies are quoted in errors, so
// they are cut short; a huge one is never read, the connection is closed
// instead. Successful answers are read to their end, up to drainLimit, so
// that the connection can carry the next request.
const (
	errorBodyLimit = 512
	drainLimit     = 4 << 10
)

// StatusError is a push answered with a status other than 2xx.
type StatusError struct {
	// StatusCode is the HTTP status, such as 429 or 500.
	StatusCode int
	// Body is the start of the answer's body, at most 512 bytes.
	Body string
}

// Error returns "loki: push: <status>: <body>".
func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("loki: push: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("loki: push: %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// Temporary tells whether the server may take the same batch later: 429
// Too Many Requests and 5xx.
func (e *StatusError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// errCanceled is why batches are given up once Close stopped waiting.
var errCanceled = errors.New("loki: push canceled by Close")

// send posts the batch, retrying as configured, counts its entries as
// sent or failed, and empties the batch.
func (c *Client) send() {
	b := c.batch
	if b.entries == 0 {
		return
	}
	defer b.reset()
	n := uint64(b.entries)
	body, contentType := c.enc.encode(c.cfg.Encoding, b)
	for attempt := 0; ; attempt++ {
		if c.ctx.Err() != nil {
			c.giveUp(n, errCanceled)
			return
		}
		retryAfter, err := c.post(body, contentType)
		if err == nil {
			c.sent.Add(n)
			return
		}
		if c.ctx.Err() != nil {
			c.giveUp(n, errCanceled)
			return
		}
		c.report.attemptFailed()
		var status *StatusError
		if errors.As(err, &status) && !status.Temporary() || attempt >= c.cfg.MaxRetries {
			c.giveUp(n, err)
			return
		}
		c.lastErr = err
		c.report.maybe(err, c.Stats())
		c.retried.Add(n)
		if !c.sleep(c.backoff(attempt, retryAfter)) {
			c.giveUp(n, fmt.Errorf("%w, retrying after: %w", errCanceled, err))
			return
		}
	}
}

// giveUp counts n entries as failed for err.
func (c *Client) giveUp(n uint64, err error) {
	c.failed.Add(n)
	c.lastErr = err
	c.report.gaveUp(n)
	c.report.maybe(err, c.Stats())
}

// post sends one request and reads its answer. On a 429 or 503 it
// returns the server's Retry-After, if any.
func (c *Client) post(body []byte, contentType string) (retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.pushURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("loki: push: %w", err)
	}
	req.Header = c.header(contentType)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("loki: push: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		return 0, nil
	}
	// an error within the body is no news: the status says it failed
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	return parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		&StatusError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
}

// header returns the headers of a request with a body of contentType.
func (c *Client) header(contentType string) http.Header {
	h := make(http.Header, len(c.cfg.Headers)+4)
	h.Set("User-Agent", "amkit-loki")
	for name, values := range c.cfg.Headers {
		h[http.CanonicalHeaderKey(name)] = values
	}
	h.Set("Content-Type", contentType)
	if c.cfg.TenantID != "" {
		h.Set("X-Scope-OrgID", c.cfg.TenantID)
	}
	switch {
	case c.cfg.Username != "":
		r := http.Request{Header: h}
		r.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	case c.cfg.BearerToken != "":
		h.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	}
	return h
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date; zero means none.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		// beyond a day it makes no difference: the wait is capped anyway
		return time.Duration(min(max(s, 0), 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// backoff is the wait before retry number attempt+1: the server's
// retryAfter if it sent one, or MinBackoff doubled per attempt, with
// jitter, so that clients that failed together do not retry together;
// never more than MaxBackoff.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.cfg.MaxBackoff)
	}
	d := c.cfg.MinBackoff
	for range attempt {
		if d > c.cfg.MaxBackoff/2 {
			d = c.cfg.MaxBackoff
			break
		}
		d *= 2
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d, or returns false when Close stops waiting first.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}
