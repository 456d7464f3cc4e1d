package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// When the default metrics port is taken, the demo serves on another one
// and its banner says so, with the address it took; an address the user
// chose is an error instead.
func TestMetricsDefaultPortBusy(t *testing.T) {
	// a held port stands for 9464, which a test cannot count on owning
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	sup, err := newSupervisor(context.Background(), defaultWorkflow(), &stats{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.dispose()

	cfg := config{PromAddr: held.Addr().String(), PromAddrIsDefault: true}
	tel, err := bindTelemetry(context.Background(), cfg, sup.mach)
	if err != nil {
		t.Fatal(err)
	}
	defer tel.close(context.Background())
	var banner bytes.Buffer
	tel.print(&banner)

	m := regexp.MustCompile(`(?m)^  metrics\s+(http://(\S+)/metrics)\s+AM_PROM_ADDR$`).FindStringSubmatch(banner.String())
	if m == nil {
		t.Fatalf("banner has no metrics line:\n%s", banner.String())
	}
	if m[2] == cfg.PromAddr {
		t.Fatalf("banner says metrics are at the busy %s", cfg.PromAddr)
	}
	wantNote := "note: " + cfg.PromAddr + ", the default metrics address, is taken by another process (another demo?): " +
		"metrics are at " + m[1] + " instead; AM_PROM_ADDR chooses the address\n"
	if !strings.HasSuffix(banner.String(), wantNote) {
		t.Errorf("banner does not end with the note\n%s\n%s", wantNote, banner.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("am_")) {
		t.Errorf("GET %s: %s\n%s", m[1], resp.Status, body)
	}

	cfg.PromAddrIsDefault = false
	if tel, err := bindTelemetry(context.Background(), cfg, sup.mach); err == nil {
		tel.close(context.Background())
		t.Errorf("AM_PROM_ADDR=%s, which is busy: no error", cfg.PromAddr)
	} else if !strings.Contains(err.Error(), "serving metrics (AM_PROM_ADDR)") {
		t.Errorf("AM_PROM_ADDR busy: %v, want it named", err)
	}
}
