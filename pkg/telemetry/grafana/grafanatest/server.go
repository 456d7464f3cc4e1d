// Package grafanatest provides a stand-in for Grafana's dashboard API, for
// tests of code that saves dashboards, such as [amgrafana.Client]. Like
// net/http/httptest, it runs a real HTTP server on loopback.
//
// The server answers POST /api/dashboards/db as Grafana does: it checks the
// method, path, bearer token, content type and body, stores dashboards by
// UID with versions and folders, and refuses what Grafana refuses with
// Grafana's status codes and JSON error bodies. [Server.Respond] and
// [Server.Redirect] script answers it cannot produce on its own, such as
// 403, 500 or a proxy's redirect.
//
// [amgrafana.Client]: https://pkg.go.dev/github.com/amkit-dev/amkit/pkg/telemetry/grafana#Client
package grafanatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Opts configure a [Server].
type Opts struct {
	// Token is the service account token the server accepts.
	Token string
	// Folders are the UIDs of the folders that exist.
	Folders []string
	// SubPath serves the API under a path, like a Grafana with
	// root_url = https://example.com/grafana/ ("/grafana").
	SubPath string
}

// Dashboard is a dashboard the server holds.
type Dashboard struct {
	// ID is the number Grafana gives a dashboard when it is created.
	ID int64
	// Model is the dashboard's JSON, decoded.
	Model map[string]any
	// FolderUID is the folder the dashboard is in; empty is the root.
	FolderUID string
	// Version counts saves, from 1.
	Version int64
	// Message is the message of the last save.
	Message string
}

// Request is a request the server received.
type Request struct {
	Method, Path string
	Header       http.Header
	// Body is the request body decoded, or nil if it is not JSON.
	Body map[string]any
}

// Server is a running stand-in for Grafana. Close it when done.
type Server struct {
	*httptest.Server
	opts Opts

	mu         sync.Mutex
	dashboards map[string]*Dashboard
	lastID     int64
	requests   []Request
	scripted   []answer
}

type answer struct {
	status   int
	body     string
	location string
}

// NewServer starts a server; its URL, with Opts.SubPath appended, is the
// Grafana URL to use.
func NewServer(opts Opts) *Server {
	s := &Server{opts: opts, dashboards: map[string]*Dashboard{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// GrafanaURL is the address clients should be given: URL and SubPath.
func (s *Server) GrafanaURL() string {
	return s.URL + s.opts.SubPath
}

// Respond makes the server answer the next request with status and body,
// without looking at it (it is still recorded).
func (s *Server) Respond(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, answer{status: status, body: body})
}

// Redirect makes the server answer the next request with a redirect to
// location, as a proxy in front of Grafana does for http:// on an https://
// site. status is a 3xx code such as 307 or 308.
func (s *Server) Redirect(status int, location string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, answer{status: status, location: location})
}

// Dashboard returns a copy of the dashboard with a UID.
func (s *Server) Dashboard(uid string) (Dashboard, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dashboards[uid]
	if !ok {
		return Dashboard{}, false
	}
	return *d, true
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	// decoded twice: the record must not see what save changes
	recorded, bodyErr := decode(raw, err)
	body, _ := decode(raw, err)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: recorded})
	if len(s.scripted) > 0 {
		a := s.scripted[0]
		s.scripted = s.scripted[1:]
		if a.location != "" {
			w.Header().Set("Location", a.location)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}

	switch {
	case r.URL.Path != s.opts.SubPath+"/api/dashboards/db":
		reply(w, http.StatusNotFound, map[string]any{"message": "Not found"})
	case r.Method != http.MethodPost:
		reply(w, http.StatusMethodNotAllowed, map[string]any{"message": "Method not allowed"})
	case r.Header.Get("Authorization") != "Bearer "+s.opts.Token:
		reply(w, http.StatusUnauthorized, map[string]any{
			"message": "Invalid API key", "messageId": "api-key.invalid", "statusCode": 401,
		})
	case !isJSON(r.Header.Get("Content-Type")) || bodyErr != nil:
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
	default:
		s.save(w, body)
	}
}

// uidPattern is what Grafana accepts in a UID.
var uidPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,40}$`)

// save applies Grafana's rules for creating and updating a dashboard.
// The caller holds mu.
func (s *Server) save(w http.ResponseWriter, body map[string]any) {
	model, _ := body["dashboard"].(map[string]any)
	if model == nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	title, _ := model["title"].(string)
	uid, _ := model["uid"].(string)
	folder, _ := body["folderUid"].(string)
	overwrite, _ := body["overwrite"].(bool)
	message, _ := body["message"].(string)
	switch {
	case strings.TrimSpace(title) == "":
		reply(w, http.StatusBadRequest, map[string]any{"message": "Dashboard title cannot be empty"})
		return
	case uid != "" && !uidPattern.MatchString(uid):
		reply(w, http.StatusBadRequest, map[string]any{"message": "uid contains illegal characters or is longer than 40"})
		return
	case folder != "" && !slices.Contains(s.opts.Folders, folder):
		reply(w, http.StatusNotFound, map[string]any{
			"message": "folder not found", "messageId": "folder.notFound", "statusCode": 404,
		})
		return
	}
	existing := s.dashboards[uid]
	if id, set := model["id"]; set && id != nil && (existing == nil || fmt.Sprint(id) != fmt.Sprint(existing.ID)) {
		// an id names a dashboard of this Grafana
		reply(w, http.StatusNotFound, map[string]any{"message": "Dashboard not found"})
		return
	}
	if !overwrite {
		if existing != nil && fmt.Sprint(model["version"]) != fmt.Sprint(existing.Version) {
			reply(w, http.StatusPreconditionFailed, map[string]any{
				"message": "The dashboard has been changed by someone else", "status": "version-mismatch",
			})
			return
		}
		for u, d := range s.dashboards {
			if u != uid && d.FolderUID == folder && d.Model["title"] == title {
				reply(w, http.StatusPreconditionFailed, map[string]any{
					"message": "A dashboard with the same name in the folder already exists", "status": "name-exists",
				})
				return
			}
		}
	}
	if uid == "" {
		s.lastID++
		uid = fmt.Sprintf("generated%d", s.lastID)
	}
	if existing == nil {
		s.lastID++
		existing = &Dashboard{ID: s.lastID}
		s.dashboards[uid] = existing
	}
	existing.Version++
	model["uid"], model["id"], model["version"] = uid, existing.ID, existing.Version
	existing.Model, existing.FolderUID, existing.Message = model, folder, message

	slug := strings.ToLower(strings.Join(strings.Fields(title), "-"))
	reply(w, http.StatusOK, map[string]any{
		"id": existing.ID, "uid": uid, "url": s.opts.SubPath + "/d/" + uid + "/" + slug,
		"status": "success", "version": existing.Version, "slug": slug,
	})
}

func decode(raw []byte, readErr error) (map[string]any, error) {
	if readErr != nil {
		return nil, readErr
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	return body, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

func reply(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// encoding a map of plain values cannot fail
	_ = json.NewEncoder(w).Encode(body)
}
