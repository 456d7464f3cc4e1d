// Package provision writes Grafana provisioning files for a dashboard of
// package amgrafana, so that a Grafana started on them shows the dashboard
// with its datasources wired, with no clicks:
//
//	DIR/datasources/amkit.yaml        the datasources, with fixed UIDs
//	DIR/dashboards/amkit.yaml         a file provider of the folder below
//	DIR/dashboards/amkit/UID.json     the dashboard
//
// Start Grafana with DIR as its provisioning path (the paths.provisioning
// setting, or GF_PATHS_PROVISIONING). The dashboard's datasource variables
// are set to the provisioned datasources by UID, so it needs no default
// datasource; writing again with new URLs updates the same datasources.
// The formats are those of Grafana's "Provision Grafana" documentation,
// apiVersion 1.
package provision

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"go.yaml.in/yaml/v3"
)

// Plugin IDs of the datasources that amgrafana's dashboards query.
const (
	TypePrometheus   = "prometheus"
	TypeLoki         = "loki"
	TypeVictoriaLogs = "victoriametrics-logs-datasource"
	// TypeJaeger is the traces datasource that exemplars link to; no
	// panel queries it.
	TypeJaeger = "jaeger"
)

// exemplarTraceID is the exemplar label that holds a trace ID, as amprom
// writes it.
const exemplarTraceID = "trace_id"

// Paths of the files, relative to the provisioning directory.
const (
	DatasourcesFile = "datasources/amkit.yaml"
	ProviderFile    = "dashboards/amkit.yaml"
	DashboardsDir   = "dashboards/amkit"
)

// Datasource is a datasource for Grafana to create, or update, on start.
type Datasource struct {
	// Type is the datasource plugin's ID, one of the Type constants for
	// amgrafana's dashboards.
	Type string
	// Name is the datasource's name in Grafana.
	Name string
	// UID identifies the datasource; the dashboard selects it by UID.
	UID string
	// URL is where Grafana's server reaches the backend.
	URL string
}

// known are the datasources of the plugin types amgrafana uses, at the
// backends' usual local addresses.
var known = []Datasource{
	{Type: TypePrometheus, Name: "amkit Prometheus", UID: "amkit-prometheus", URL: "http://127.0.0.1:9090"},
	{Type: TypeLoki, Name: "amkit Loki", UID: "amkit-loki", URL: "http://127.0.0.1:3100"},
	{Type: TypeVictoriaLogs, Name: "amkit VictoriaLogs", UID: "amkit-victorialogs", URL: "http://127.0.0.1:9428"},
	{Type: TypeJaeger, Name: "amkit Jaeger", UID: "amkit-jaeger", URL: "http://127.0.0.1:16686"},
}

// Default returns the datasource this package names and numbers for a
// plugin type, at the backend's usual local address; ok is false for a
// type it does not know.
func Default(pluginType string) (ds Datasource, ok bool) {
	i := slices.IndexFunc(known, func(d Datasource) bool { return d.Type == pluginType })
	if i < 0 {
		return Datasource{}, false
	}
	return known[i], true
}

// builtInTypes are the datasource plugins that ship with Grafana.
var builtInTypes = []string{TypePrometheus, TypeLoki, TypeJaeger}

// Plugins returns the plugin IDs of sources that Grafana does not ship
// with, to install before Grafana starts (grafana cli plugins install ID,
// or GF_INSTALL_PLUGINS).
func Plugins(sources []Datasource) []string {
	var ids []string
	for _, ds := range sources {
		if !slices.Contains(builtInTypes, ds.Type) && !slices.Contains(ids, ds.Type) {
			ids = append(ids, ds.Type)
		}
	}
	return ids
}

// Command is a shell command that starts a Grafana installed from its
// Debian package on the provisioning directory dir, in the foreground.
// Elsewhere, --homepath is where Grafana is installed.
func Command(dir string) string {
	return "GF_PATHS_PROVISIONING=" + shellQuote(dir) + " grafana server --homepath /usr/share/grafana"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Types returns the plugin types of the dashboard's datasource variables,
// in their order: the datasources it needs.
func Types(dash dashboard.Dashboard) []string {
	var types []string
	for _, v := range dash.Templating.List {
		if t := variableType(v); t != "" && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types
}

// variableType is the plugin type a datasource variable lists, or "".
func variableType(v dashboard.VariableModel) string {
	if v.Type != dashboard.VariableTypeDatasource || v.Query == nil || v.Query.String == nil {
		return ""
	}
	return *v.Query.String
}

// Opts configure [Write].
type Opts struct {
	// Folder is the Grafana folder the dashboard is shown in; empty means
	// "amkit".
	Folder string
}

// Files are the paths Write wrote, made absolute.
type Files struct {
	// Root is the provisioning directory.
	Root                             string
	Datasources, Provider, Dashboard string
}

// Write writes the provisioning files of dash and sources into dir,
// creating it if needed, and replacing files an earlier Write left. Every
// datasource variable of dash must have a source of its type, which it is
// set to; errors name what is missing or invalid. A [TypeJaeger] source
// is the one the Prometheus datasource links exemplars' trace IDs to.
func Write(dir string, dash dashboard.Dashboard, sources []Datasource, opts *Opts) (*Files, error) {
	if opts == nil {
		opts = &Opts{}
	}
	folder := opts.Folder
	if folder == "" {
		folder = "amkit"
	}
	if dash.Uid == nil || !uidPattern.MatchString(*dash.Uid) {
		return nil, errors.New("provision: the dashboard has no valid UID")
	}
	if err := validate(sources); err != nil {
		return nil, err
	}
	pinned, err := pin(dash, sources)
	if err != nil {
		return nil, err
	}
	if err := checkReferences(pinned, sources); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}

	files := &Files{
		Root:        abs,
		Datasources: filepath.Join(abs, filepath.FromSlash(DatasourcesFile)),
		Provider:    filepath.Join(abs, filepath.FromSlash(ProviderFile)),
		Dashboard:   filepath.Join(abs, filepath.FromSlash(DashboardsDir), *dash.Uid+".json"),
	}
	dsYAML, err := datasourcesYAML(sources)
	if err != nil {
		return nil, err
	}
	providerYAML, err := providerYAML(filepath.Dir(files.Dashboard), folder)
	if err != nil {
		return nil, err
	}
	dashJSON, err := json.MarshalIndent(pinned, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("provision: encode dashboard: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{files.Datasources, dsYAML}, {files.Provider, providerYAML}, {files.Dashboard, append(dashJSON, '\n')}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
	}
	return files, nil
}

// uidPattern is what Grafana accepts as a UID.
var uidPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)

func validate(sources []Datasource) error {
	for i, ds := range sources {
		switch {
		case ds.Type == "" || ds.Name == "":
			return fmt.Errorf("provision: datasource %d: no type or name", i+1)
		case !uidPattern.MatchString(ds.UID):
			return fmt.Errorf("provision: datasource %q: UID %q: want 1 to 40 letters, digits, - or _", ds.Name, ds.UID)
		}
		u, err := url.Parse(ds.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("provision: datasource %q: URL %q: want http:// or https:// and a host", ds.Name, ds.URL)
		}
		for _, other := range sources[:i] {
			if other.UID == ds.UID || other.Name == ds.Name || other.Type == ds.Type {
				return fmt.Errorf("provision: datasources %q and %q share a UID, name or type", other.Name, ds.Name)
			}
		}
	}
	return nil
}

// pin returns dash with each datasource variable set to the source of its
// type. The caller's dashboard is left as it was.
func pin(dash dashboard.Dashboard, sources []Datasource) (dashboard.Dashboard, error) {
	dash.Templating.List = slices.Clone(dash.Templating.List)
	for i, v := range dash.Templating.List {
		t := variableType(v)
		if t == "" {
			continue
		}
		j := slices.IndexFunc(sources, func(ds Datasource) bool { return ds.Type == t })
		if j < 0 {
			return dash, fmt.Errorf("provision: the dashboard's variable $%s needs a %s datasource, and none was given", v.Name, t)
		}
		name, uid := sources[j].Name, sources[j].UID
		dash.Templating.List[i].Current = &dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: &name},
			Value: dashboard.StringOrArrayOfString{String: &uid},
		}
	}
	return dash, nil
}

// checkReferences checks that every datasource the dashboard names is one
// of sources: a variable reference through the variable's value, or a
// literal UID.
func checkReferences(dash dashboard.Dashboard, sources []Datasource) error {
	refs, err := References(dash)
	if err != nil {
		return err
	}
	for _, uid := range refs {
		if !slices.ContainsFunc(sources, func(ds Datasource) bool { return ds.UID == uid }) {
			return fmt.Errorf("provision: the dashboard uses datasource %q, which is not provisioned", uid)
		}
	}
	return nil
}

// builtIn are the UIDs of Grafana's own datasources, which need no
// provisioning.
var builtIn = []string{"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"}

// References returns the UIDs of the datasources that dash queries, each
// once: literal UIDs, and the values of the datasource variables that
// references like ${prometheus} name. Grafana's built-in datasources are
// left out; a reference to a variable that is not set is an error.
func References(dash dashboard.Dashboard) ([]string, error) {
	raw, err := json.Marshal(dash)
	if err != nil {
		return nil, fmt.Errorf("provision: encode dashboard: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("provision: decode dashboard: %w", err)
	}
	values := map[string]string{}
	for _, v := range dash.Templating.List {
		if variableType(v) != "" && v.Current != nil && v.Current.Value.String != nil {
			values[v.Name] = *v.Current.Value.String
		}
	}
	var uids []string
	var walkErr error
	walk(tree, func(ref map[string]any) {
		uid, _ := ref["uid"].(string)
		if uid == "" || slices.Contains(builtIn, uid) {
			return
		}
		if name, ok := variableName(uid); ok {
			value, set := values[name]
			if !set {
				walkErr = errors.Join(walkErr, fmt.Errorf("provision: datasource %s is not a set datasource variable", uid))
				return
			}
			uid = value
		}
		if !slices.Contains(uids, uid) {
			uids = append(uids, uid)
		}
	})
	return uids, walkErr
}

// walk calls fn with every "datasource" object in a decoded JSON tree.
func walk(node any, fn func(map[string]any)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if ref, ok := v.(map[string]any); ok && k == "datasource" {
				fn(ref)
			}
			walk(v, fn)
		}
	case []any:
		for _, v := range n {
			walk(v, fn)
		}
	}
}

// variableName reads "${name}" or "$name".
func variableName(ref string) (string, bool) {
	if name, ok := strings.CutPrefix(ref, "${"); ok && strings.HasSuffix(name, "}") {
		return strings.TrimSuffix(name, "}"), true
	}
	if name, ok := strings.CutPrefix(ref, "$"); ok && name != "" {
		return name, true
	}
	return "", false
}

// The provisioning files, as Grafana's documentation describes them.
type (
	datasourcesDoc struct {
		APIVersion int `yaml:"apiVersion"`
		// Prune removes datasources this file provisioned before and no
		// longer lists, such as Loki after a switch to VictoriaLogs.
		Prune       bool            `yaml:"prune"`
		Datasources []datasourceDoc `yaml:"datasources"`
	}
	datasourceDoc struct {
		Name      string `yaml:"name"`
		Type      string `yaml:"type"`
		UID       string `yaml:"uid"`
		Access    string `yaml:"access"`
		OrgID     int    `yaml:"orgId"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
		// JSONData holds the plugin's settings, as Grafana's docs of each
		// datasource list them.
		JSONData *jsonDataDoc `yaml:"jsonData,omitempty"`
	}
	jsonDataDoc struct {
		// ExemplarTraceIDDestinations (Prometheus) link an exemplar label
		// holding a trace ID to a traces datasource.
		ExemplarTraceIDDestinations []exemplarDestinationDoc `yaml:"exemplarTraceIdDestinations,omitempty"`
	}
	exemplarDestinationDoc struct {
		Name          string `yaml:"name"`
		DatasourceUID string `yaml:"datasourceUid"`
	}
	providersDoc struct {
		APIVersion int           `yaml:"apiVersion"`
		Providers  []providerDoc `yaml:"providers"`
	}
	providerDoc struct {
		Name                  string             `yaml:"name"`
		OrgID                 int                `yaml:"orgId"`
		Folder                string             `yaml:"folder"`
		Type                  string             `yaml:"type"`
		DisableDeletion       bool               `yaml:"disableDeletion"`
		UpdateIntervalSeconds int                `yaml:"updateIntervalSeconds"`
		AllowUIUpdates        bool               `yaml:"allowUiUpdates"`
		Options               providerOptionsDoc `yaml:"options"`
	}
	providerOptionsDoc struct {
		Path                      string `yaml:"path"`
		FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
	}
)

// header says where a file comes from, since Grafana's users find them in
// their provisioning directory.
const header = "# Written by amkit (am-gen grafana --provisioning); written again on each run.\n"

func datasourcesYAML(sources []Datasource) ([]byte, error) {
	doc := datasourcesDoc{APIVersion: 1, Prune: true}
	traces := slices.IndexFunc(sources, func(ds Datasource) bool { return ds.Type == TypeJaeger })
	for _, ds := range sources {
		// proxy: Grafana's server queries the backend, so a backend on
		// loopback works from any browser
		d := datasourceDoc{
			Name: literal(ds.Name), Type: ds.Type, UID: ds.UID, Access: "proxy", OrgID: 1, URL: literal(ds.URL),
		}
		if ds.Type == TypePrometheus && traces >= 0 {
			// an exemplar's trace ID opens the trace, from the transition
			// time panel that asks Prometheus for exemplars
			d.JSONData = &jsonDataDoc{ExemplarTraceIDDestinations: []exemplarDestinationDoc{{
				Name: exemplarTraceID, DatasourceUID: sources[traces].UID,
			}}}
		}
		doc.Datasources = append(doc.Datasources, d)
	}
	return encode(doc)
}

func providerYAML(dashboards, folder string) ([]byte, error) {
	return encode(providersDoc{APIVersion: 1, Providers: []providerDoc{{
		Name:   "amkit",
		OrgID:  1,
		Folder: literal(folder),
		Type:   "file",
		// a dashboard written again shows within seconds
		UpdateIntervalSeconds: 10,
		Options:               providerOptionsDoc{Path: literal(dashboards)},
	}}})
}

func encode(doc any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("provision: encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("provision: encode YAML: %w", err)
	}
	return b.Bytes(), nil
}

// literal escapes $, which Grafana would read as an environment variable
// in a provisioning file's values.
func literal(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}
