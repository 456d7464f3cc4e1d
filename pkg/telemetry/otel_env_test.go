package amtele_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

func TestNewOtelProvidersFromEnvInvalid(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"OTEL_TRACES_EXPORTER", "zipkin"},
		{"OTEL_LOGS_EXPORTER", "loki"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
		{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "udp"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Setenv(tc.key, tc.value)
			p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "svc")
			if err == nil {
				_ = p.Shutdown(context.Background())
				t.Fatalf("%s=%s: no error", tc.key, tc.value)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q does not name %s", err, tc.key)
			}
		})
	}
}

func TestNewOtelProvidersFromEnvResource(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	for _, tc := range []struct {
		envName, want string
	}{
		{"", "default-svc"},
		{"env-svc", "env-svc"},
	} {
		t.Setenv("OTEL_SERVICE_NAME", tc.envName)
		p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "default-svc")
		if err != nil {
			t.Fatal(err)
		}
		rec := tracetest.NewSpanRecorder()
		p.Tracer.RegisterSpanProcessor(rec)
		_, span := p.Tracer.Tracer("test").Start(context.Background(), "span")
		span.End()
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		res := map[string]string{}
		for _, kv := range rec.Ended()[0].Resource().Attributes() {
			res[string(kv.Key)] = kv.Value.Emit()
		}
		if res["service.name"] != tc.want {
			t.Errorf("OTEL_SERVICE_NAME=%q: service.name = %q, want %q", tc.envName, res["service.name"], tc.want)
		}
		if res["host.name"] == "" {
			t.Error("resource without host.name")
		}
	}
}
