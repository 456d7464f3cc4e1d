package amprom_test

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// Expose a machine's metrics in a registry, for promhttp.HandlerFor to
// serve. Canceled transitions count too.
func Example() {
	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, &am.Opts{ID: "app"})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()

	metrics := amprom.TransitionsToPrometheus(mach, time.Minute)
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		panic(err)
	}

	mach.Add1("Ready", nil)
	mach.Add1("Unknown", nil) // canceled

	printGathered(reg, "am_transitions_total", "am_transitions_canceled_total", "am_active_states")
	// Output:
	// am_active_states{machine_id="app"} 1
	// am_transitions_canceled_total{machine_id="app"} 1
	// am_transitions_total{machine_id="app"} 2
}

// Push a machine's metrics to a Pushgateway once per interval, and its
// final values when it is disposed.
func ExampleMetrics_BindToPusher() {
	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, &am.Opts{ID: "batch"})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()

	metrics := amprom.TransitionsToPrometheus(mach, 15*time.Second)
	pusher := amprom.NewPusher("http://localhost:9091", "my_batch_job").Grouping("instance", "worker-1")
	if err := metrics.BindToPusher(pusher); err != nil {
		panic(err)
	}
	mach.Add1("Ready", nil)
}

// Label short-lived submachines by their type, so that they share one
// series set instead of creating series for each ID.
func ExampleNew_schema() {
	server, err := am.New(context.Background(), am.Schema{"Serving": {}}, &am.Opts{ID: "server"})
	if err != nil {
		panic(err)
	}
	defer server.Dispose()

	metrics, err := amprom.New(server, &amprom.Opts{
		SchemaOf: func(m *am.Machine) string {
			if m.ParentID() == server.ID() {
				return "request"
			}
			return "" // the server keeps its ID
		},
	})
	if err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		panic(err)
	}

	for i := range 3 {
		req, err := am.New(context.Background(), am.Schema{"Done": {}}, &am.Opts{ID: fmt.Sprint("req-", i), Parent: server})
		if err != nil {
			panic(err)
		}
		req.Add1("Done", nil)
		req.Dispose()
		<-req.WhenDisposed()
	}

	printGathered(reg, "am_transitions_total", "am_machines")
	// Output:
	// am_machines{schema="request"} 0
	// am_machines{machine_id="server"} 1
	// am_transitions_total{schema="request"} 3
	// am_transitions_total{machine_id="server"} 0
}

// printGathered prints the named metrics of reg, one sample per line,
// leaving out empty labels as Prometheus does.
func printGathered(reg *prometheus.Registry, names ...string) {
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, mf := range mfs {
		if !want[mf.GetName()] {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := ""
			for _, lp := range m.GetLabel() {
				if lp.GetValue() != "" {
					labels += fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue())
				}
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			fmt.Printf("%s{%s} %v\n", mf.GetName(), labels, v)
		}
	}
}
