package grafanatest_test

import (
	"context"
	"fmt"
	"log"

	amgrafana "github.com/amkit-dev/amkit/pkg/telemetry/grafana"
	"github.com/amkit-dev/amkit/pkg/telemetry/grafana/grafanatest"
)

// A test of code that saves dashboards: the stand-in holds what was saved,
// and plays an error that a real Grafana would give only under load.
func ExampleNewServer() {
	grafana := grafanatest.NewServer(grafanatest.Opts{Token: "glsa_test", Folders: []string{"team"}})
	defer grafana.Close()

	builder, err := amgrafana.NewDashboard(amgrafana.Opts{Name: "Orders", MachineIDs: []string{"order-flow"}, Source: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	dash, err := builder.Build()
	if err != nil {
		log.Fatal(err)
	}
	client, err := amgrafana.NewClient(grafana.GrafanaURL(), "glsa_test", nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	res, err := client.SaveDashboard(ctx, dash, &amgrafana.SaveOpts{FolderUID: "team"})
	if err != nil {
		log.Fatal(err)
	}
	saved, _ := grafana.Dashboard(res.UID)
	fmt.Println(saved.Model["title"], "in", saved.FolderUID)

	grafana.Respond(503, `{"message":"database is locked"}`)
	_, err = client.SaveDashboard(ctx, dash, &amgrafana.SaveOpts{FolderUID: "team"})
	fmt.Println(err)
	// Output:
	// Orders in team
	// amgrafana: grafana answered 503 Service Unavailable: database is locked
}
