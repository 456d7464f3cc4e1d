package amgrafana

import (
	"encoding/json"
	"fmt"
	"net/http"
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
