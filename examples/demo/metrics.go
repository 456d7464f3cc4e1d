package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// metricsInterval is the period of the interval gauges and of pushes: short,
// so that a Pushgateway shows the demo within seconds.
const metricsInterval = 5 * time.Second

// pushJob is the job the metrics are pushed under. It differs from the
// scraped job (serviceName), so that a Prometheus doing both does not count
// every transition twice on a dashboard.
const pushJob = serviceName + "-push"

// bindMetrics exports the machines' metrics with amprom: served for
// scraping, pushed to a Pushgateway, or both.
func (t *telemetry) bindMetrics(_ context.Context, cfg config, mach *am.Machine) error {
	if cfg.PromAddr == "" && cfg.PushURL == "" {
		t.add("metrics", "", envPromAddr)
		t.add("pushgateway", "", envPushURL)
		return nil
	}
	metrics := amprom.TransitionsToPrometheus(mach, metricsInterval)
	if err := t.serveMetrics(cfg, metrics); err != nil {
		return err
	}
	t.add("pushgateway", cfg.PushURL, envPushURL)
	if cfg.PushURL == "" {
		return nil
	}
	if err := metrics.BindToPusher(amprom.NewPusher(cfg.PushURL, pushJob)); err != nil {
		return fmt.Errorf("pushing metrics to %s: %w", cfg.PushURL, err)
	}
	return nil
}

// serveMetrics serves metrics at cfg.PromAddr, or on any free port when the
// default port is taken, so that a second demo still starts.
func (t *telemetry) serveMetrics(cfg config, metrics *amprom.Metrics) error {
	if cfg.PromAddr == "" {
		t.add("metrics", "", envPromAddr)
		return nil
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.PromAddr)
	busy := errors.Is(err, syscall.EADDRINUSE) && cfg.PromAddrIsDefault
	if busy {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("serving metrics (%s): %w", envPromAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/metrics"
	t.add("metrics", url, envPromAddr)
	if busy {
		// whoever holds the default port answers there, so a reader
		// following the README must know to look elsewhere
		t.notes = append(t.notes, fmt.Sprintf("%s, the default metrics address, is taken by another process (another demo?): "+
			"metrics are at %s instead; %s chooses the address", cfg.PromAddr, url, envPromAddr))
	}
	t.closers = append(t.closers, func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("stopping the metrics server: %w", err)
		}
		return nil
	})
	return nil
}
