package loki_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// Push lines to a Loki at a base URL, labelled with the service, and
// deliver them before the program ends.
func Example() {
	// a stand-in for Loki, which would be at http://localhost:3100
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	client, err := loki.New(loki.Options{
		URL:    srv.URL,
		Labels: map[string]string{"service_name": "my-service"},
	})
	if err != nil {
		log.Fatal(err)
	}
	client.Push(loki.Entry{
		Labels:   map[string]string{"level": "info"},
		Line:     "started",
		Metadata: []loki.Label{{Name: "request_id", Value: "r-1"}},
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Close(ctx); err != nil {
		log.Print(err)
	}
	fmt.Printf("%+v\n", client.Stats())
	// Output:
	// POST /loki/api/v1/push application/x-protobuf
	// {Sent:1 Dropped:0 Failed:0 Retried:0}
}

// Push JSON to VictoriaLogs, whose Loki endpoint has a path of its own,
// and find out what a failed delivery lost.
func ExampleClient_Flush() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.URL.Path, r.Header.Get("Content-Type"))
		http.Error(w, "stream limit exceeded", http.StatusBadRequest)
	}))
	defer srv.Close()

	client, err := loki.New(loki.Options{
		URL:      srv.URL + "/insert/loki/api/v1/push",
		Encoding: loki.JSON,
		ErrorLog: log.New(io.Discard, "", 0),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close(context.Background())
	client.Push(loki.Entry{Line: "a"})
	client.Push(loki.Entry{Line: "b"})

	err = client.Flush(context.Background())
	var lost *loki.LostError
	if errors.As(err, &lost) {
		fmt.Println(lost.Entries, "entries lost:", lost.Err)
	}
	// Output:
	// /insert/loki/api/v1/push application/json
	// 2 entries lost: loki: push: 400 Bad Request: stream limit exceeded
}
