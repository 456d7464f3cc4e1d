package e2e_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// A Session runs backends for as long as a program wants them, outside of
// tests: here a Pushgateway, and Prometheus scraping it.
func ExampleSession() {
	dir, err := os.MkdirTemp("", "backends-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s := e2e.NewSession(dir, log.Printf)
	defer s.Close()

	ctx := context.Background()
	gw, err := s.StartPushgateway(ctx)
	if err != nil {
		log.Fatal(err)
	}
	prom, err := s.StartPrometheus(ctx, e2e.PrometheusOptions{
		Targets: []e2e.ScrapeTarget{gw.ScrapeTarget()},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Prometheus at", prom.URL)
}
