package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
)

// saveHint tells what to do about a failed save, in terms of am-gen's
// flags and environment.
func saveHint(err error, f *grafanaFlags) string {
	grafanaURL := redactURL(f.grafanaURL)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("Grafana at %s did not answer within %s; check the URL, or raise --timeout", grafanaURL, f.timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted before Grafana answered; the dashboard may or may not have been saved"
	}
	var redirect *amgrafana.RedirectError
	if errors.As(err, &redirect) {
		return fmt.Sprintf("if %s is your Grafana (https instead of http, or a sub path), pass that address as --grafana-url; "+
			"am-gen follows no redirect, so that %s goes nowhere else", redirect.Location, tokenEnv)
	}
	var apiErr *amgrafana.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Sprintf("cannot reach Grafana at %s; check --grafana-url and that Grafana is running", grafanaURL)
	}
	code := apiErr.StatusCode
	// Grafana answers 404 for a missing folder, before version 10 400,
	// and names the folder in both; a 404 without it is a wrong URL
	folderErr := f.folder != "" && (code == http.StatusNotFound || code == http.StatusBadRequest) &&
		strings.Contains(strings.ToLower(apiErr.Message), "folder")
	switch {
	case code == http.StatusUnauthorized:
		return tokenEnv + " was rejected: the token is invalid, expired or revoked; create a service account token in Grafana"
	case code == http.StatusForbidden:
		return "the service account may not save this dashboard; give it the Editor role, or write access to the folder"
	case folderErr:
		return fmt.Sprintf("folder %q does not exist; --folder takes a folder UID, the last part of the folder's URL (/dashboards/f/UID/)", f.folder)
	case code == http.StatusNotFound:
		return fmt.Sprintf("no dashboard API at %s; check that --grafana-url is Grafana's address, with its sub path if it has one", grafanaURL)
	case code == http.StatusPreconditionFailed:
		switch apiErr.Status {
		case amgrafana.StatusVersionMismatch:
			return "the dashboard changed in Grafana while it was being saved; run the command again to overwrite it"
		case amgrafana.StatusNameExists:
			return fmt.Sprintf("another dashboard in the folder is titled %q; rename one of them, or move it", f.name)
		case amgrafana.StatusPluginDashboard:
			return "a plugin provides a dashboard with this UID, and Grafana keeps it from being overwritten; choose another --name"
		}
		return "Grafana refused to overwrite the dashboard"
	case code >= 500:
		return "Grafana failed to save the dashboard; try again, and read Grafana's log if it keeps failing"
	}
	return "Grafana rejected the dashboard"
}

// redactURL hides a password in a URL, as net/http does in its errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// redacting is a writer that hides the token in what am-gen writes. Each
// Write is a whole message, so a token is never split between two.
type redacting struct {
	w      io.Writer
	redact func(string) string
}

func (r redacting) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
