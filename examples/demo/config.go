package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// defaultsEnv holds the demo's default settings and documents every
// variable; -help prints it.
//
//go:embed defaults.env
var defaultsEnv string

// Settings of the demo, read by loadConfig. The debugger (AM_DBG_ADDR) and
// OpenTelemetry (OTEL_*) are configured by their own packages' variables.
const (
	envLogLevel  = "AM_LOG_LEVEL"
	envPromAddr  = "AM_PROM_ADDR"
	envTraceFile = "AM_TRACE_FILE"
	envLokiAddr  = "AM_LOKI_ADDR"
	envPushURL   = "AM_PUSHGATEWAY_URL"
)

// off turns a setting off.
const off = "off"

// config is what the demo exports where. An empty address or path means
// that exporter is off.
type config struct {
	LogLevel am.LogLevel
	// PromAddr is where metrics are served.
	PromAddr string
	// PromAddrIsDefault says PromAddr came from the defaults: when that
	// port is taken, any free port will do.
	PromAddrIsDefault bool
	TraceFile         string
	LokiAddr          string
	PushURL           string
}

// loadConfig reads the settings from getenv, falling back to the defaults.
func loadConfig(getenv func(string) string) (config, error) {
	defaults := parseEnv(defaultsEnv)
	setting := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			v = defaults[name]
		}
		if v == off {
			return ""
		}
		return v
	}
	level, err := parseLogLevel(setting(envLogLevel))
	if err != nil {
		return config{}, fmt.Errorf("%s: %w", envLogLevel, err)
	}
	return config{
		LogLevel:          level,
		PromAddr:          setting(envPromAddr),
		PromAddrIsDefault: strings.TrimSpace(getenv(envPromAddr)) == "",
		TraceFile:         setting(envTraceFile),
		LokiAddr:          setting(envLokiAddr),
		PushURL:           setting(envPushURL),
	}, nil
}

// parseLogLevel reads a level by its name; "" (off) is LogLevelNothing.
func parseLogLevel(name string) (am.LogLevel, error) {
	if name == "" {
		return am.LogLevelNothing, nil
	}
	for l := am.LogLevelChanges; l <= am.LogLevelEverything; l++ {
		if l.String() == name {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q: want changes, ops, decisions, everything or off", name)
}

// parseEnv reads the KEY=VALUE lines of an env file, skipping comments and
// blank lines.
func parseEnv(s string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
