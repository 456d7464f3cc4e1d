package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"testing"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// TestIntegrationPromtool lints the demo's /metrics with promtool check
// metrics (Debian's prometheus package ships it): names, help texts,
// units, and counters ending in _total.
func TestIntegrationPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if e2e.InCI() {
			t.Fatalf("promtool is missing: run make e2e-deps (%v)", err)
		}
		t.Skip("promtool is missing: run make e2e-deps")
	}
	sup, err := newSupervisor(context.Background(), defaultWorkflow(), &stats{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.dispose()
	tel, err := bindTelemetry(context.Background(), config{PromAddr: "127.0.0.1:0"}, sup.mach)
	if err != nil {
		t.Fatal(err)
	}
	defer tel.close(context.Background())
	var banner bytes.Buffer
	tel.print(&banner)
	m := regexp.MustCompile(`(?m)^  metrics\s+(http://\S+/metrics)\s`).FindStringSubmatch(banner.String())
	if m == nil {
		t.Fatalf("banner has no metrics line:\n%s", banner.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("am_transitions_total")) {
		t.Fatalf("GET %s: %s %v\n%s", m[1], resp.Status, err, body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
