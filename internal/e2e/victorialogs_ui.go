package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// uiScript finds the script bundle that the UI's page loads.
var uiScript = regexp.MustCompile(`<script[^>]+src="\./(assets/[^"]+\.js)"`)

// CheckVictoriaLogsUI checks that uiURL (a [VictoriaLogsBackend.UIURL], or
// a link a program printed, which may carry a query in its #fragment)
// serves VictoriaLogs' web UI the way a browser loads it: an HTML page
// titled as the UI, and the JavaScript bundle it names, which must be
// VictoriaLogs' own. A proxy's or another server's page fails.
func CheckVictoriaLogsUI(ctx context.Context, uiURL string) error {
	u, err := url.Parse(uiURL)
	if err != nil {
		return fmt.Errorf("victorialogs ui %q: %w", uiURL, err)
	}
	// the browser keeps the fragment and the query to itself
	u.Fragment, u.RawFragment, u.RawQuery = "", "", ""
	uiURL = u.String()
	page, ctype, err := getPage(ctx, uiURL)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ctype, "text/html") {
		return fmt.Errorf("victorialogs ui %s: Content-Type %q, want text/html", uiURL, ctype)
	}
	if !strings.Contains(page, "<title>UI for VictoriaLogs</title>") {
		return fmt.Errorf("victorialogs ui %s: no VictoriaLogs title in %.500q", uiURL, page)
	}
	m := uiScript.FindStringSubmatch(page)
	if m == nil {
		return fmt.Errorf("victorialogs ui %s: the page loads no script from assets/: %.2000q", uiURL, page)
	}
	scriptURL := strings.TrimSuffix(uiURL, "/") + "/" + m[1]
	script, ctype, err := getPage(ctx, scriptURL)
	if err != nil {
		return err
	}
	if !strings.Contains(ctype, "javascript") || !strings.Contains(script, "VictoriaLogs") {
		return fmt.Errorf("victorialogs ui script %s: %d bytes of %q that never name VictoriaLogs", scriptURL, len(script), ctype)
	}
	return nil
}

// getPage GETs u and returns its body and Content-Type; a status other
// than 200 is an error.
func getPage(ctx context.Context, u string) (body, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", "", fmt.Errorf("building request for %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err // already names the method and URL
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	return string(b), resp.Header.Get("Content-Type"), nil
}
