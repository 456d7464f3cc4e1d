package amtele_test

import (
	"context"
	"log"
	"time"

	"github.com/ic2hrmk/promtail"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// Send a machine's logs, and those of its submachines, to Loki through a
// promtail client. Query them with LogQL, for example
// {service_name="my-service", machine_id="worker", level="changes"}.
func ExampleBindLokiLogger() {
	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, &am.Opts{
		ID:       "worker",
		LogLevel: am.LogLevelOps,
	})
	if err != nil {
		log.Fatal(err)
	}

	client, err := promtail.NewJSONv1Client("localhost:3100", map[string]string{
		"service_name": "my-service",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		log.Fatal(err)
	}
	mach.Add1("Ready", nil)

	// hand the queued entries to the client before it closes
	mach.Dispose()
	<-mach.WhenDisposed()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := logger.Flush(ctx); err != nil {
		log.Print(err)
	}
}
