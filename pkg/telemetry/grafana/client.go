package amgrafana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// savePath is Grafana's endpoint that creates or updates a dashboard.
const savePath = "api/dashboards/db"

// maxResponse bounds how much of a response is read: Grafana's answers are
// small, and a proxy in the way may answer with anything. An error's body
// is only quoted, so a few KiB of it are enough.
const (
	maxResponse  = 64 << 10
	maxErrorBody = 4 << 10
)

// DefaultTimeout bounds a request of a [Client] made without
// ClientOpts.HTTPClient, for a Grafana that accepts the connection and
// never answers.
const DefaultTimeout = 30 * time.Second

// Client saves dashboards through Grafana's HTTP API, authenticated with a
// service account token. The token appears in nothing it returns: not in
// its errors, nor in Grafana's answers, in any form (as given, trimmed,
// URL- or JSON-escaped). It follows no redirect, since the redirected
// request would carry the token to wherever the redirect points.
type Client struct {
	base  *url.URL
	token secret
	http  *http.Client
}

// ClientOpts configure a [Client].
type ClientOpts struct {
	// HTTPClient sends the requests; nil means [http.DefaultClient] with a
	// [DefaultTimeout]. The client uses a copy of it that follows no
	// redirect.
	HTTPClient *http.Client
}

// NewClient returns a client of the Grafana at grafanaURL, which may
// include a path when Grafana is served from one (for example
// https://example.com/grafana). token is a service account token, sent
// with the spaces around it trimmed; saving needs the Editor role, or
// write access to the target folder.
func NewClient(grafanaURL, token string, opts *ClientOpts) (*Client, error) {
	tok, err := newSecret(token)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(grafanaURL)
	if err != nil {
		return nil, &redactedError{msg: tok.redact("amgrafana: grafana URL: " + err.Error()), err: err}
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("amgrafana: grafana URL %q: want http:// or https:// and a host", tok.redact(base.Redacted()))
	}
	hc := *http.DefaultClient
	hc.Timeout = DefaultTimeout
	if opts != nil && opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	}
	// the redirect itself is the answer: SaveDashboard turns it into a
	// RedirectError naming where it points
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: base, token: tok, http: &hc}, nil
}

// SaveOpts configure [Client.SaveDashboard].
type SaveOpts struct {
	// FolderUID is the folder to save the dashboard in; empty means the
	// root. Grafana moves a dashboard saved without a folder to the root,
	// so pass the folder on every save of a dashboard that lives in one.
	FolderUID string
	// Message is kept in the dashboard's version history.
	Message string
}

// SaveResult is Grafana's answer to a successful save.
type SaveResult struct {
	// UID is the dashboard's UID.
	UID string
	// URL is the dashboard's address, made absolute.
	URL string
	// Version counts the saves of the dashboard, starting at 1.
	Version int64
}

// saveRequest is the body of POST /api/dashboards/db.
type saveRequest struct {
	Dashboard map[string]json.RawMessage `json:"dashboard"`
	FolderUID string                     `json:"folderUid,omitempty"`
	Message   string                     `json:"message,omitempty"`
	Overwrite bool                       `json:"overwrite"`
}

// saveResponse is Grafana's answer to a successful save.
type saveResponse struct {
	UID     string `json:"uid"`
	URL     string `json:"url"`
	Version int64  `json:"version"`
}

// SaveDashboard creates the dashboard, or overwrites the dashboard with the
// same UID (POST /api/dashboards/db with overwrite), whatever its version:
// the generated dashboard is the source of truth. Grafana's refusals are
// returned as [*APIError].
func (c *Client) SaveDashboard(ctx context.Context, d dashboard.Dashboard, opts *SaveOpts) (*SaveResult, error) {
	if opts == nil {
		opts = &SaveOpts{}
	}
	body, err := saveBody(d, opts)
	if err != nil {
		return nil, err
	}
	endpoint := c.base.JoinPath(savePath)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("amgrafana: save dashboard: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.value)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.wrap("amgrafana: save dashboard: ", err)
	}
	defer resp.Body.Close()
	limit := int64(maxResponse)
	if resp.StatusCode != http.StatusOK {
		limit = maxErrorBody
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, c.wrap("amgrafana: save dashboard: read response: ", err)
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, c.redirectError(endpoint, resp.StatusCode, loc)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.apiError(resp, raw)
	}
	var out saveResponse
	if err := json.Unmarshal(raw, &out); err != nil || out.UID == "" {
		return nil, fmt.Errorf("amgrafana: save dashboard: %s answered %s without Grafana's JSON (is it Grafana?): %q",
			c.token.redact(endpoint.Redacted()), resp.Status, c.excerpt(raw))
	}
	return &SaveResult{UID: c.token.redact(out.UID), URL: c.absolute(out.URL), Version: out.Version}, nil
}

// Redact replaces every form of the client's token in s with [token]: as
// given, trimmed, URL-escaped and JSON-escaped. Callers pass what they
// print of their own through it, such as a Grafana URL that a user wrote
// the token into.
func (c *Client) Redact(s string) string { return c.token.redact(s) }

// wrap returns err behind prefix, with the token removed from its message:
// a URL in a transport error is the user's, and may hold it.
func (c *Client) wrap(prefix string, err error) error {
	return &redactedError{msg: c.token.redact(prefix + err.Error()), err: err}
}

// saveBody encodes the request. The dashboard's id is null, as Grafana
// wants when a dashboard is identified by its UID alone: an id from another
// Grafana would name a different dashboard here.
func saveBody(d dashboard.Dashboard, opts *SaveOpts) ([]byte, error) {
	if d.Uid == nil || *d.Uid == "" {
		return nil, errors.New("amgrafana: save dashboard: the dashboard has no UID")
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("amgrafana: encode dashboard: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("amgrafana: encode dashboard: %w", err)
	}
	fields["id"] = json.RawMessage("null")
	body, err := json.Marshal(saveRequest{
		Dashboard: fields,
		FolderUID: opts.FolderUID,
		Message:   opts.Message,
		Overwrite: true,
	})
	if err != nil {
		return nil, fmt.Errorf("amgrafana: encode save request: %w", err)
	}
	return body, nil
}

// absolute resolves a path that Grafana returned against its base URL;
// Grafana's url already holds its sub path, if any.
func (c *Client) absolute(path string) string {
	if path == "" {
		return ""
	}
	ref, err := url.Parse(path)
	if err != nil {
		return c.token.redact(path)
	}
	root := *c.base
	root.Path, root.RawPath = "/", ""
	return c.token.redact(root.ResolveReference(ref).Redacted())
}

// excerpt returns the start of a response body without the token, for
// error messages: a misbehaving proxy may echo a request's headers.
func (c *Client) excerpt(raw []byte) string {
	const max = 200
	s := c.token.redact(strings.TrimSpace(string(raw)))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
