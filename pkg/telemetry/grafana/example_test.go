package amgrafana_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

// A dashboard for two machines of the service "orders", printed as the
// JSON that Grafana's "Import dashboard" page takes.
func ExampleNewDashboard() {
	builder, err := amgrafana.NewDashboard(amgrafana.Opts{
		Name:       "Orders",
		MachineIDs: []string{"order-flow", "payments"},
		Source:     "orders",
	})
	if err != nil {
		log.Fatal(err)
	}
	dash, err := builder.Build()
	if err != nil {
		log.Fatal(err)
	}
	// the JSON to import
	js, err := json.MarshalIndent(dash, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*dash.Uid, json.Valid(js))
	for _, p := range dash.Panels {
		if p.RowPanel != nil {
			fmt.Println("row", *p.RowPanel.Title, "collapsed:", p.RowPanel.Collapsed)
		}
	}
	// Output:
	// am-orders-b7e8acdd true
	// row order-flow collapsed: false
	// row payments collapsed: true
}

// Saving a dashboard to Grafana, here a stand-in from package grafanatest.
// Saving again overwrites it: the UID stays, the version grows.
func ExampleClient_SaveDashboard() {
	grafana := grafanatest.NewServer(grafanatest.Opts{Token: "glsa_example", Folders: []string{"machines"}})
	defer grafana.Close()

	builder, err := amgrafana.NewDashboard(amgrafana.Opts{Name: "Orders", MachineIDs: []string{"order-flow"}, Source: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	dash, err := builder.Build()
	if err != nil {
		log.Fatal(err)
	}
	client, err := amgrafana.NewClient(grafana.GrafanaURL(), "glsa_example", nil)
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		// pass the folder on every save: a save without it moves the
		// dashboard to the root
		res, err := client.SaveDashboard(context.Background(), dash, &amgrafana.SaveOpts{FolderUID: "machines"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.UID, "version", res.Version)
	}
	// Output:
	// am-orders-b7e8acdd version 1
	// am-orders-b7e8acdd version 2
}

func ExampleUID() {
	fmt.Println(amgrafana.UID("My Dashboard"))
	// Output: am-my-dashboard-3bd5bfb4
}
