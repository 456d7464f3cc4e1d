package amgrafana

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Values of [APIError.Status] that Grafana sends with 412 Precondition
// Failed when it refuses to save a dashboard.
const (
	// StatusVersionMismatch: the dashboard changed since the version sent.
	StatusVersionMismatch = "version-mismatch"
	// StatusNameExists: another dashboard in the folder has the same title.
	StatusNameExists = "name-exists"
	// StatusPluginDashboard: a plugin owns the dashboard.
	StatusPluginDashboard = "plugin-dashboard"
)

// APIError is an answer of Grafana other than 200 OK.
type APIError struct {
	// StatusCode is the HTTP status code, e.g. 401.
	StatusCode int
	// Status is Grafana's status field, e.g. [StatusVersionMismatch];
	// often empty.
	Status string
	// Message is Grafana's message, or the start of a body that is not
	// Grafana's JSON.
	Message string
}

// Error names the status and Grafana's message.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("amgrafana: grafana answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Status != "" {
		msg += " (" + e.Status + ")"
	}
	return msg
}

// errorBody is Grafana's JSON error answer.
type errorBody struct {
	Message string `json:"message"`
	Status  string `json:"status"`
}

func (c *Client) apiError(resp *http.Response, raw []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && body.Message != "" {
		e.Message = c.excerpt([]byte(body.Message))
		e.Status = c.excerpt([]byte(body.Status))
		return e
	}
	e.Message = c.excerpt(raw)
	return e
}

// RedirectError is a redirect answered to a request of the client, which
// it did not follow: the redirected request would carry the token to
// wherever the redirect points, another port or host included. A Grafana
// URL that redirects is usually http:// for an https:// Grafana, or lacks
// Grafana's sub path.
type RedirectError struct {
	// StatusCode is the HTTP status code, e.g. 307.
	StatusCode int
	// URL is the address that answered with the redirect.
	URL string
	// Location is where the redirect points, resolved against URL.
	Location string
}

// Error names both addresses.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("amgrafana: %s answered %d %s, a redirect to %s; not followed, so that the token is not sent there",
		e.URL, e.StatusCode, http.StatusText(e.StatusCode), e.Location)
}

func (c *Client) redirectError(endpoint *url.URL, status int, location string) *RedirectError {
	// quoted unless it parses: a header is the server's text, control
	// characters included
	loc := strconv.Quote(location)
	if ref, err := url.Parse(location); err == nil {
		loc = endpoint.ResolveReference(ref).Redacted()
	}
	return &RedirectError{
		StatusCode: status,
		URL:        c.token.redact(endpoint.Redacted()),
		Location:   c.token.redact(loc),
	}
}
