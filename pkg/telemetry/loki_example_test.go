package amtele_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// Send a machine's logs, and those of its submachines, to Loki. Query them
// with LogQL, for example
// {service_name="my-service", machine_id="worker", level="changes"}.
func ExampleBindLokiLogger() {
	// a stand-in for Loki, which would be at http://localhost:3100
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	mach, err := am.New(context.Background(), am.Schema{"Ready": {}}, &am.Opts{
		ID:       "worker",
		LogLevel: am.LogLevelOps,
	})
	if err != nil {
		log.Fatal(err)
	}

	client, err := loki.New(loki.Options{
		URL:    srv.URL,
		Labels: map[string]string{"service_name": "my-service"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer client.Close(ctx)

	logger, err := amtele.BindLokiLogger(mach, client)
	if err != nil {
		log.Fatal(err)
	}
	mach.Add1("Ready", nil)

	// deliver the entries, the disposal's included, before the client
	// closes
	mach.Dispose()
	<-mach.WhenDisposed()
	if err := logger.Flush(ctx); err != nil {
		log.Print(err)
	}
	fmt.Println("sent:", client.Stats().Sent > 0, "dropped:", logger.Dropped())
	// Output:
	// sent: true dropped: 0
}
