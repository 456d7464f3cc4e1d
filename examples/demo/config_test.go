package main

import (
	"strings"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func TestLoadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want config
	}{{
		name: "defaults",
		want: config{
			LogLevel:          am.LogLevelChanges,
			PromAddr:          "127.0.0.1:9464",
			PromAddrIsDefault: true,
			TraceFile:         "amkit-demo-trace.json",
		},
	}, {
		name: "overrides",
		env: map[string]string{
			envLogLevel:  "decisions",
			envPromAddr:  "127.0.0.1:2112",
			envTraceFile: "/tmp/t.json",
			envLokiAddr:  "127.0.0.1:3100",
			envPushURL:   "http://127.0.0.1:9091",
		},
		want: config{
			LogLevel:  am.LogLevelDecisions,
			PromAddr:  "127.0.0.1:2112",
			TraceFile: "/tmp/t.json",
			LokiAddr:  "127.0.0.1:3100",
			PushURL:   "http://127.0.0.1:9091",
		},
	}, {
		name: "off",
		env:  map[string]string{envLogLevel: "off", envPromAddr: "off", envTraceFile: " off "},
		want: config{LogLevel: am.LogLevelNothing},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadConfigRejectsUnknownLogLevel(t *testing.T) {
	_, err := loadConfig(func(k string) string {
		if k == envLogLevel {
			return "verbose"
		}
		return ""
	})
	if err == nil {
		t.Fatal("AM_LOG_LEVEL=verbose accepted")
	}
}

// TestDefaultsDocumentEverySetting keeps defaults.env, which -help prints,
// in step with the settings the demo reads.
func TestDefaultsDocumentEverySetting(t *testing.T) {
	defaults := parseEnv(defaultsEnv)
	for _, name := range []string{envLogLevel, envPromAddr, envTraceFile} {
		if defaults[name] == "" {
			t.Errorf("defaults.env sets no default for %s", name)
		}
	}
	for _, name := range []string{envLokiAddr, envPushURL, "AM_DBG_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if _, on := defaults[name]; on {
			t.Errorf("defaults.env turns %s on; it must be off unless set", name)
		}
		if !strings.Contains(defaultsEnv, "# "+name+"=") {
			t.Errorf("defaults.env does not document %s", name)
		}
	}
}
