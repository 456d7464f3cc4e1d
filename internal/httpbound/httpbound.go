// Package httpbound makes HTTP clients for telemetry backends that cannot
// cost the process much: every request has a timeout, and a response body
// is read up to a bound, whatever the server sends. A backend that answers
// an error with megabytes of text would otherwise have the whole text read
// into memory, quoted in an error and logged.
package httpbound

import (
	"io"
	"net/http"
	"time"
)

// DefaultMaxBody is enough for any error message worth logging, and for
// the small JSON answers of the backends' APIs.
const DefaultMaxBody = 4 << 10

// Client returns a client whose requests time out after timeout and whose
// response bodies end after maxBody bytes (zero means DefaultMaxBody).
func Client(timeout time.Duration, maxBody int64) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: Transport(http.DefaultTransport, maxBody),
	}
}

// Transport wraps base (nil means http.DefaultTransport) so that response
// bodies end after maxBody bytes (zero means DefaultMaxBody). Closing a
// body closes the original, which drops the connection rather than read
// the rest.
func Transport(base http.RoundTripper, maxBody int64) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return &transport{base: base, max: maxBody}
}

type transport struct {
	base http.RoundTripper
	max  int64
}

// RoundTrip sends req and bounds the response's body.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &boundedBody{r: io.LimitReader(resp.Body, t.max), c: resp.Body}
	if resp.ContentLength > t.max {
		resp.ContentLength = t.max
	}
	return resp, nil
}

type boundedBody struct {
	r io.Reader
	c io.Closer
}

func (b *boundedBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *boundedBody) Close() error               { return b.c.Close() }
