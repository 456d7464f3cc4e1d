// Package e2e_test holds the smoke tests, one per backend: each sends data
// the way production code would and reads it back through the backend's own
// query API. Like all integration tests, their names start with
// TestIntegration.
package e2e_test

import "time"

// pollTimeout bounds how long a smoke test waits for data to become
// queryable: Prometheus needs ~5s for its first scrape, so this leaves room
// for a slow -race run on a busy machine.
const pollTimeout = 30 * time.Second

// callTimeout bounds a single request to a backend outside a poll loop.
const callTimeout = 10 * time.Second
