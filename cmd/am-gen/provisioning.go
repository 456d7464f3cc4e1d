package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/provision"
)

// provisioningFlags are the flags of am-gen grafana --provisioning.
type provisioningFlags struct {
	dir, prometheusURL, logsURL, tracesURL string
}

// checkProvisioningFlags returns what is wrong with the flags, or "".
func checkProvisioningFlags(f *provisioningFlags) string {
	if f.dir == "" && (f.prometheusURL != "" || f.logsURL != "" || f.tracesURL != "") {
		return "--prometheus-url, --logs-url and --traces-url need --provisioning"
	}
	return ""
}

// provisioningSources are the datasources the dashboard needs: Prometheus
// at --prometheus-url, the log backend at --logs-url, each at its usual
// local address by default, and with --traces-url the Jaeger that
// exemplars link to.
func provisioningSources(f *provisioningFlags, dash dashboard.Dashboard) ([]provision.Datasource, error) {
	var sources []provision.Datasource
	for _, typ := range provision.Types(dash) {
		ds, ok := provision.Default(typ)
		if !ok {
			return nil, fmt.Errorf("the dashboard queries %s datasources, which --provisioning does not know", typ)
		}
		url := f.logsURL
		if typ == provision.TypePrometheus {
			url = f.prometheusURL
		}
		if url != "" {
			ds.URL = url
		}
		sources = append(sources, ds)
	}
	if f.tracesURL != "" {
		ds, _ := provision.Default(provision.TypeJaeger)
		ds.URL = f.tracesURL
		sources = append(sources, ds)
	}
	return sources, nil
}

// writeProvisioning writes the provisioning directory and says what it
// wrote and how to start a Grafana on it.
func writeProvisioning(stderr io.Writer, f *provisioningFlags, dash dashboard.Dashboard, machines int) int {
	sources, err := provisioningSources(f, dash)
	if err != nil {
		return fail(stderr, "--provisioning: %v", err)
	}
	files, err := provision.Write(f.dir, dash, sources, nil)
	if err != nil {
		return fail(stderr, "--provisioning: %v", err)
	}
	var ds []string
	for _, s := range sources {
		ds = append(ds, s.Name+" at "+s.URL)
	}
	fmt.Fprintf(stderr, "wrote %s: %s\n", files.Dashboard, contents(machines, dash))
	fmt.Fprintf(stderr, "wrote %s: %s\n", files.Datasources, strings.Join(ds, ", "))
	fmt.Fprintf(stderr, "wrote %s: the dashboard provider of folder amkit\n", files.Provider)
	if plugins := provision.Plugins(sources); len(plugins) > 0 {
		fmt.Fprintf(stderr, "install Grafana's %s plugin first: grafana cli plugins install %s\n",
			strings.Join(plugins, ", "), strings.Join(plugins, " "))
	}
	fmt.Fprintf(stderr, "start a Grafana on it: %s\n", provision.Command(files.Root))
	return exitOK
}
