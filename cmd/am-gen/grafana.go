package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/amkit-dev/amkit/internal/buildinfo"
	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
)

// tokenEnv holds the service account token for saving to Grafana. It is
// read from the environment only: a flag would show it in process lists
// and shell history.
const tokenEnv = "GRAFANA_TOKEN"

const grafanaUsage = `usage: am-gen grafana --name title --ids id,... --source name [flags]

Grafana builds a Grafana dashboard for the machines of one source: the
Prometheus job label of their metrics (amprom) and the service name of their
logs (the service_name label of amtele.BindLokiLogger, or the service.name
of amtele.BindOtelLogger). Each machine ID gets a collapsible row with these
panels:

	Number of transitions     transitions and canceled ones per second
	Transition mutations      transitions per second by mutation type
	Queue size                queue length at transition start
	States added              per transition
	States removed            per transition
	States touched            per transition
	Transition details        ticks, steps and handlers per transition
	States & relations        states, relations, referenced, active, inactive
	Average transition time   mean, p95 and p99
	Errors                    Exception activations per second
	Log view                  the machine's log lines from Loki or VictoriaLogs

--logs picks the log datasource. With loki (the default), the log view runs
LogQL on the stream labels that amtele.BindLokiLogger sends; records that
reached Loki over OTLP keep the machine ID outside the stream and do not
show. With victorialogs, it runs LogsQL through the VictoriaLogs datasource
plugin (victoriametrics-logs-datasource) and shows the lines of both
loggers, over the Loki push API and over OTLP.

The Prometheus and log datasources are dashboard variables, so the JSON
imports into any Grafana. The dashboard UID is derived from the name, so
generating or saving again updates the same dashboard.

Without --grafana-url, the dashboard JSON is written to standard output, or
to the --output file, for Grafana's "Import dashboard" page. --provisioning
writes a directory for a Grafana to start on instead (its paths.provisioning,
or GF_PATHS_PROVISIONING): the datasources, Prometheus and the log backend
at --prometheus-url and --logs-url with fixed UIDs (and Jaeger at
--traces-url, which exemplars link to), a dashboard provider, and the
dashboard, set to those datasources; no clicks needed. With
--grafana-url, the dashboard is saved to that Grafana, overwriting an earlier
version. Saving needs a service account token with the Editor role in the
%s environment variable; it is trimmed, never shown, and sent to no
redirect (am-gen follows none).

Flags:
`

const grafanaExamples = `
Examples:

	am-gen grafana --name "Orders" --ids orders,payments --source orders-svc \
		--output orders.json

	am-gen grafana --name "Orders" --ids orders,payments --source orders-svc \
		--provisioning grafana-provisioning --prometheus-url http://127.0.0.1:9090

	GRAFANA_TOKEN=glsa_... am-gen grafana --name "Orders" \
		--ids orders,payments --source orders-svc \
		--grafana-url http://localhost:3000 --folder amkit
`

// grafanaFlags are the flags of am-gen grafana.
type grafanaFlags struct {
	name, ids, source  string
	logs               string
	grafanaURL, folder string
	output             string
	timeout            time.Duration
	provisioning       provisioningFlags
	version            *bool
}

func newGrafanaFlagSet(f *grafanaFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("grafana", flag.ContinueOnError)
	fs.StringVar(&f.name, "name", "", "dashboard `title`; the dashboard UID is derived from it")
	fs.StringVar(&f.ids, "ids", "", "comma-separated machine `ids`, one row each")
	fs.StringVar(&f.source, "source", "", "the machines' Prometheus job and log service name (one `name` for both)")
	fs.StringVar(&f.logs, "logs", string(amgrafana.LogsLoki), "log `backend` of the log view: loki or victorialogs")
	fs.StringVar(&f.grafanaURL, "grafana-url", "", "save the dashboard to the Grafana at this `url`")
	fs.StringVar(&f.folder, "folder", "", "`uid` of the Grafana folder to save the dashboard in (default: the root)")
	fs.StringVar(&f.output, "output", "", "write the dashboard JSON to `file`")
	fs.StringVar(&f.provisioning.dir, "provisioning", "", "write Grafana provisioning files (datasources, dashboard provider, dashboard) into `dir`")
	fs.StringVar(&f.provisioning.prometheusURL, "prometheus-url", "", "with --provisioning, Prometheus at this `url` (default http://127.0.0.1:9090)")
	fs.StringVar(&f.provisioning.logsURL, "logs-url", "", "with --provisioning, the log backend at this `url` (default: its usual local port)")
	fs.StringVar(&f.provisioning.tracesURL, "traces-url", "", "with --provisioning, also Jaeger's query service at this `url`, which exemplars of transition times link to")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for Grafana")
	// every amkit command answers --version, a subcommand too, so that a
	// script can ask the binary it is about to run without knowing its layout
	f.version = buildinfo.Flag(fs)
	return fs
}

func runGrafana(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var f grafanaFlags
	fs := newGrafanaFlagSet(&f)
	// the flag package would print its own usage on errors; ours follows
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printGrafanaUsage(stdout, fs)
			return exitOK
		}
		return usageError(stderr, "%v", err)
	}
	if *f.version {
		return printVersion(stdout)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "unexpected argument %q", fs.Arg(0))
	}
	var missing []string
	for _, req := range []struct{ flag, value string }{
		{"--name", f.name}, {"--ids", f.ids}, {"--source", f.source},
	} {
		if req.value == "" {
			missing = append(missing, req.flag)
		}
	}
	if len(missing) > 0 {
		return usageError(stderr, "missing %s", strings.Join(missing, ", "))
	}
	if f.folder != "" && f.grafanaURL == "" {
		return usageError(stderr, "--folder needs --grafana-url")
	}
	if f.timeout <= 0 {
		return usageError(stderr, "--timeout must be positive")
	}
	if msg := checkProvisioningFlags(&f.provisioning); msg != "" {
		return usageError(stderr, "%s", msg)
	}

	logs := amgrafana.LogsBackend(f.logs)
	if logs != amgrafana.LogsLoki && logs != amgrafana.LogsVictoriaLogs {
		return usageError(stderr, "--logs %q: want %s or %s", f.logs, amgrafana.LogsLoki, amgrafana.LogsVictoriaLogs)
	}
	opts := amgrafana.Opts{Name: f.name, MachineIDs: splitIDs(f.ids), Source: f.source, Logs: logs}
	builder, err := amgrafana.NewDashboard(opts)
	if err != nil {
		return usageError(stderr, "%v", err)
	}
	var client *amgrafana.Client
	if f.grafanaURL != "" {
		// the client trims the token, and hides it in every form from what
		// it returns, the padded one included
		token := getenv(tokenEnv)
		if strings.TrimSpace(token) == "" {
			return usageError(stderr, "%s is not set: saving to Grafana needs a service account token", tokenEnv)
		}
		if client, err = amgrafana.NewClient(f.grafanaURL, token, nil); errors.Is(err, amgrafana.ErrInvalidToken) {
			return usageError(stderr, "%s: %v", tokenEnv, err)
		} else if err != nil {
			return usageError(stderr, "--grafana-url: %v", err)
		}
		// from here on, what am-gen prints of its own (the URL in hints)
		// goes through the client's redaction too
		stdout, stderr = redacting{stdout, client.Redact}, redacting{stderr, client.Redact}
	}

	dash, err := builder.Build()
	if err != nil {
		return fail(stderr, "build dashboard: %v", err)
	}
	if f.output != "" || client == nil && f.provisioning.dir == "" {
		js, err := json.MarshalIndent(dash, "", "  ")
		if err != nil {
			return fail(stderr, "encode dashboard: %v", err)
		}
		js = append(js, '\n')
		if f.output == "" {
			if _, err := stdout.Write(js); err != nil {
				return fail(stderr, "write dashboard: %v", err)
			}
		} else {
			if err := os.WriteFile(f.output, js, 0o644); err != nil {
				return fail(stderr, "write dashboard: %v", err)
			}
			fmt.Fprintf(stderr, "wrote %s: %s\n", f.output, contents(len(opts.MachineIDs), dash))
		}
	}
	if f.provisioning.dir != "" {
		if code := writeProvisioning(stderr, &f.provisioning, dash, len(opts.MachineIDs)); code != exitOK {
			return code
		}
	}
	if client == nil {
		return exitOK
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	res, err := client.SaveDashboard(ctx, dash, &amgrafana.SaveOpts{
		FolderUID: f.folder,
		Message:   "am-gen grafana: " + strings.Join(opts.MachineIDs, ", "),
	})
	if err != nil {
		fmt.Fprintf(stderr, "am-gen grafana: %v\n", err)
		fmt.Fprintf(stderr, "am-gen grafana: %s\n", saveHint(err, &f))
		return exitFail
	}
	fmt.Fprintf(stdout, "saved dashboard %q (uid %s, version %d): %s\n", f.name, res.UID, res.Version, res.URL)
	return exitOK
}

// contents says what a dashboard file holds: its machines and its panels,
// the rows that group them not counted.
func contents(machines int, dash dashboard.Dashboard) string {
	panels := 0
	for _, p := range dash.Panels {
		if p.Panel != nil {
			panels++
		}
		if p.RowPanel != nil {
			panels += len(p.RowPanel.Panels)
		}
	}
	return plural(machines, "machine") + ", " + plural(panels, "panel")
}

// plural writes n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// splitIDs splits a comma-separated list, trimming spaces around IDs.
func splitIDs(list string) []string {
	ids := strings.Split(list, ",")
	for i, id := range ids {
		ids[i] = strings.TrimSpace(id)
	}
	return ids
}

func printGrafanaUsage(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	fmt.Fprintf(&b, grafanaUsage, tokenEnv)
	printFlags(&b, fs)
	b.WriteString(grafanaExamples)
	io.WriteString(w, b.String())
}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "am-gen grafana: "+format+"\n", args...)
	fmt.Fprintln(stderr, "Run 'am-gen help grafana' for usage.")
	return exitUsage
}

func fail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "am-gen grafana: "+format+"\n", args...)
	return exitFail
}
