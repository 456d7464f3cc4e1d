package amtele_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// Each variable of NewOtelProvidersFromEnv's table has a test here.

// setEnv sets the variables for the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// providers builds the providers from env, with OTLP/HTTP to c unless env
// says otherwise.
func providers(t *testing.T, c *fakeCollector, env map[string]string) *amtele.OtelProviders {
	t.Helper()
	if c != nil {
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", c.URL())
	}
	setEnv(t, env)
	p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "env-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// a backend that hangs would keep a flush retrying
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

// emit makes a machine's spans and one log record through p.
func emit(t *testing.T, p *amtele.OtelProviders) {
	t.Helper()
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{
		ID:      "env-mach",
		Tracers: []am.Tracer{amtele.NewOtelMachTracer(p.Tracer.Tracer("env-test"), nil)},
	})
	mach.Add1("Foo", nil)
	mach.Dispose()
	<-mach.WhenDisposed()
	var r log.Record
	r.SetBody(attribute.StringValue("hello"))
	r.AddAttributes(attribute.String("am.machine.id", "env-mach"))
	p.Logger.Logger("env-test").Emit(context.Background(), r)
}

// emitAndShutdown emits and flushes.
func emitAndShutdown(t *testing.T, p *amtele.OtelProviders) {
	t.Helper()
	emit(t, p)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestNewOtelProvidersFromEnvInvalid(t *testing.T) {
	for _, tc := range []struct{ key, value string }{
		{"OTEL_TRACES_EXPORTER", "zipkin"},
		{"OTEL_TRACES_EXPORTER", "otlp,zipkin"},
		{"OTEL_TRACES_EXPORTER", "none,otlp"},
		{"OTEL_LOGS_EXPORTER", "loki"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
		{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "udp"},
		{"OTEL_BSP_MAX_QUEUE_SIZE", "0"},
		{"OTEL_BLRP_MAX_QUEUE_SIZE", "many"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
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

func TestOtelEnvSDKDisabled(t *testing.T) {
	for _, v := range []string{"true", "TRUE"} {
		c := newFakeCollector(t, nil)
		p := providers(t, c, map[string]string{"OTEL_SDK_DISABLED": v})
		if !p.Disabled {
			t.Errorf("OTEL_SDK_DISABLED=%s: Disabled is false", v)
		}
		emitAndShutdown(t, p)
		if reqs, _, _, _, _ := c.snapshot(); len(reqs) != 0 {
			t.Errorf("OTEL_SDK_DISABLED=%s: %d exports received, want none", v, len(reqs))
		}
	}
	c := newFakeCollector(t, nil)
	p := providers(t, c, map[string]string{"OTEL_SDK_DISABLED": "false"})
	emitAndShutdown(t, p)
	if _, spans, logs, _, _ := c.snapshot(); len(spans) == 0 || len(logs) != 1 {
		t.Errorf("OTEL_SDK_DISABLED=false: %d spans and %d logs received", len(spans), len(logs))
	}
}

// consoleHelperEnv makes the test binary, run by TestOtelEnvExporterList,
// export as the environment says and exit: the console exporters write to
// the standard output they found when their package was initialized, which
// only a process of its own captures.
const consoleHelperEnv = "AMTELE_TEST_CONSOLE_HELPER"

func TestOtelEnvExporterList(t *testing.T) {
	if os.Getenv(consoleHelperEnv) == "1" {
		p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "env-test")
		if err != nil {
			t.Fatal(err)
		}
		emitAndShutdown(t, p)
		return
	}
	c := newFakeCollector(t, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestOtelEnvExporterList$")
	cmd.Env = append(os.Environ(),
		consoleHelperEnv+"=1",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+c.URL(),
		"OTEL_TRACES_EXPORTER=otlp, console,otlp",
		"OTEL_LOGS_EXPORTER=console,otlp",
	)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	_, spans, logs, _, _ := c.snapshot()
	if n := strings.Count(strings.Join(spans, "\n"), "[add] Foo"); n != 1 {
		t.Errorf("OTLP got [add] Foo %d times, want once (otlp listed twice counts once)", n)
	}
	if !slices.Equal(logs, []string{"hello"}) {
		t.Errorf("OTLP got logs %q, want hello", logs)
	}
	if !strings.Contains(string(out), `"Name":"[add] Foo"`) || !strings.Contains(string(out), `"Value":"hello"`) {
		t.Errorf("console output lacks the span or the record:\n%s", out)
	}

	c = newFakeCollector(t, nil)
	p := providers(t, c, map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"})
	emitAndShutdown(t, p)
	if reqs, _, _, _, _ := c.snapshot(); len(reqs) != 0 {
		t.Errorf("none: %d exports", len(reqs))
	}
}

func TestOtelEnvProtocol(t *testing.T) {
	c := newFakeCollector(t, nil)
	addr := c.serveGRPC(t)
	p := providers(t, nil, map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "http/protobuf",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://" + addr,
		"OTEL_EXPORTER_OTLP_TRACES_INSECURE": "true",
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT":   c.URL() + "/v1/logs",
	})
	emitAndShutdown(t, p)
	reqs, spans, logs, _, _ := c.snapshot()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.path)
	}
	slices.Sort(paths)
	if paths = slices.Compact(paths); !slices.Equal(paths, []string{"/v1/logs", "grpc:traces"}) {
		t.Errorf("exports by %v, want traces over gRPC and logs over HTTP", paths)
	}
	if len(spans) == 0 || len(logs) != 1 {
		t.Errorf("%d spans, %d logs", len(spans), len(logs))
	}
}

// TestOtelEnvInsecure: the generic OTEL_EXPORTER_OTLP_INSECURE decides
// whether both gRPC exporters use TLS to an endpoint without a scheme, as
// the specification has it: with true, both signals reach a plaintext
// receiver; with false, neither does, and both fail within
// OTEL_EXPORTER_OTLP_TIMEOUT.
func TestOtelEnvInsecure(t *testing.T) {
	for _, insecure := range []string{"true", "false"} {
		t.Run("OTEL_EXPORTER_OTLP_INSECURE="+insecure, func(t *testing.T) {
			c := newFakeCollector(t, nil)
			p := providers(t, nil, map[string]string{
				"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
				"OTEL_EXPORTER_OTLP_ENDPOINT": "//" + c.serveGRPC(t),
				"OTEL_EXPORTER_OTLP_INSECURE": insecure,
				"OTEL_EXPORTER_OTLP_TIMEOUT":  "300",
			})
			emit(t, p)
			err := p.Shutdown(context.Background())
			reqs, spans, logs, _, _ := c.snapshot()
			var paths []string
			for _, r := range reqs {
				paths = append(paths, r.path)
			}
			slices.Sort(paths)
			paths = slices.Compact(paths)
			if insecure == "false" {
				if len(reqs) != 0 {
					t.Errorf("with TLS to a plaintext receiver: exports by %v arrived", paths)
				}
				if s := p.Stats(); err == nil || s.SpansFailed == 0 || s.LogsFailed == 0 {
					t.Errorf("with TLS to a plaintext receiver: shutdown error %v, stats %+v; want both signals failed", err, s)
				}
				return
			}
			if err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			if !slices.Equal(paths, []string{"grpc:logs", "grpc:traces"}) || len(spans) == 0 || len(logs) != 1 {
				t.Errorf("exports by %v, %d spans, %d logs; want both signals over plaintext gRPC", paths, len(spans), len(logs))
			}
		})
	}
}

func TestOtelEnvEndpointHeadersCompression(t *testing.T) {
	c := newFakeCollector(t, nil)
	p := providers(t, nil, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":         c.URL(),
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":  c.URL() + "/custom/traces",
		"OTEL_EXPORTER_OTLP_HEADERS":          "x-tenant=acme,x-both=general",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS":     "x-both=logs",
		"OTEL_EXPORTER_OTLP_COMPRESSION":      "gzip",
		"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION": "none",
		"OTEL_EXPORTER_OTLP_TIMEOUT":          "5000",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT":   "5000",
	})
	emitAndShutdown(t, p)
	reqs, _, _, _, _ := c.snapshot()
	byPath := map[string]fakeRequest{}
	for _, r := range reqs {
		byPath[r.path] = r
	}
	tr, lg := byPath["/custom/traces"], byPath["/v1/logs"]
	if tr.header == nil || lg.header == nil {
		t.Fatalf("exports at %v, want /custom/traces and /v1/logs", reqs)
	}
	if got := tr.header.Get("x-tenant"); got != "acme" {
		t.Errorf("traces: x-tenant %q, want acme", got)
	}
	if got := tr.header.Get("x-both"); got != "general" {
		t.Errorf("traces: x-both %q, want general", got)
	}
	if got := lg.header.Get("x-both"); got != "logs" {
		t.Errorf("logs: x-both %q, want the per-signal logs", got)
	}
	if got := tr.header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("traces: Content-Encoding %q, want gzip", got)
	}
	if got := lg.header.Get("Content-Encoding"); got != "" {
		t.Errorf("logs: Content-Encoding %q, want none", got)
	}
}

// TestOtelEnvTimeout: with a backend that never answers, an export
// attempt gives up after OTEL_EXPORTER_OTLP_TIMEOUT, long before the batch
// processor's export timeout, and the spans then count as failed.
func TestOtelEnvTimeout(t *testing.T) {
	gaveUp := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// the server notices a client leaving only once the body is read
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		select {
		case gaveUp <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	p := providers(t, nil, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"OTEL_EXPORTER_OTLP_TIMEOUT":  "100",
		"OTEL_BSP_EXPORT_TIMEOUT":     "2000",
		"OTEL_LOGS_EXPORTER":          "none",
	})
	emit(t, p)
	flushed := make(chan error, 1)
	go func() { flushed <- p.Tracer.ForceFlush(context.Background()) }()
	select {
	case <-gaveUp:
	case <-time.After(time.Second):
		t.Fatal("the exporter did not give up on the hanging backend within a second, with a 100 ms timeout")
	}
	if err := <-flushed; err == nil {
		t.Error("flush to a hanging backend succeeded")
	}
	if s := p.Stats(); s.SpansFailed == 0 {
		t.Errorf("stats %+v: no failed spans", s)
	}
}

// writeCert writes the PEM of the server's certificate to a file.
func writeCert(t *testing.T, cert *x509.Certificate) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeClientCert writes a self-signed client certificate and its key.
func writeClientCert(t *testing.T) (crtPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "amtele-test-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crtPath, keyPath = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return crtPath, keyPath
}

func TestOtelEnvCertificate(t *testing.T) {
	var clientCerts [][]*x509.Certificate
	c := newFakeCollector(t, func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			clientCerts = append(clientCerts, r.TLS.PeerCertificates)
			h.ServeHTTP(w, r)
		}))
		srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		srv.StartTLS()
		return srv
	})
	ca := writeCert(t, c.srv.Certificate())
	crt, key := writeClientCert(t)
	p := providers(t, c, map[string]string{
		"OTEL_EXPORTER_OTLP_CERTIFICATE":               ca,
		"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": crt,
		"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY":         key,
	})
	emitAndShutdown(t, p)
	reqs, spans, logs, _, _ := c.snapshot()
	if len(spans) == 0 || len(logs) != 1 {
		t.Fatalf("over TLS: %d spans, %d logs", len(spans), len(logs))
	}
	for i, r := range reqs {
		if !r.tls {
			t.Errorf("export %s without TLS", r.path)
		}
		if want := r.path == "/v1/traces"; (len(clientCerts[i]) > 0) != want {
			t.Errorf("export %s: client certificate sent %v, want %v", r.path, len(clientCerts[i]) > 0, want)
		}
	}
}

// TestOtelEnvClientCertificate: the generic OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE
// and _CLIENT_KEY give both signals' exporters the client certificate.
func TestOtelEnvClientCertificate(t *testing.T) {
	crt, key := writeClientCert(t)
	var mu sync.Mutex
	sent := map[string][]string{} // path: the client certificates' names
	c := newFakeCollector(t, func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var names []string
			for _, cert := range r.TLS.PeerCertificates {
				names = append(names, cert.Subject.CommonName)
			}
			mu.Lock()
			sent[r.URL.Path] = append(sent[r.URL.Path], names...)
			mu.Unlock()
			h.ServeHTTP(w, r)
		}))
		srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		srv.StartTLS()
		return srv
	})
	p := providers(t, c, map[string]string{
		"OTEL_EXPORTER_OTLP_CERTIFICATE":        writeCert(t, c.srv.Certificate()),
		"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": crt,
		"OTEL_EXPORTER_OTLP_CLIENT_KEY":         key,
	})
	emitAndShutdown(t, p)
	if _, spans, logs, _, _ := c.snapshot(); len(spans) == 0 || len(logs) != 1 {
		t.Fatalf("over TLS: %d spans, %d logs", len(spans), len(logs))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/v1/traces", "/v1/logs"} {
		if names := slices.Compact(sent[path]); !slices.Equal(names, []string{"amtele-test-client"}) {
			t.Errorf("exports to %s: client certificates %q, want amtele-test-client", path, names)
		}
	}
}

func TestOtelEnvResource(t *testing.T) {
	for _, tc := range []struct {
		envName, want string
	}{
		{"", "default-svc"},
		{"env-svc", "env-svc"},
	} {
		t.Setenv("OTEL_TRACES_EXPORTER", "none")
		t.Setenv("OTEL_LOGS_EXPORTER", "none")
		t.Setenv("OTEL_SERVICE_NAME", tc.envName)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
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
		if res["deployment.environment.name"] != "test" {
			t.Errorf("OTEL_RESOURCE_ATTRIBUTES ignored: %v", res)
		}
		if res["host.name"] == "" {
			t.Error("resource without host.name")
		}
	}
}

func TestOtelEnvSampler(t *testing.T) {
	c := newFakeCollector(t, nil)
	p := providers(t, c, map[string]string{"OTEL_TRACES_SAMPLER": "always_off", "OTEL_LOGS_EXPORTER": "none"})
	emitAndShutdown(t, p)
	if _, spans, _, _, _ := c.snapshot(); len(spans) != 0 {
		t.Errorf("always_off: %d spans exported", len(spans))
	}
	c = newFakeCollector(t, nil)
	p = providers(t, c, map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0", "OTEL_LOGS_EXPORTER": "none"})
	emitAndShutdown(t, p)
	if _, spans, _, _, _ := c.snapshot(); len(spans) != 0 {
		t.Errorf("traceidratio 0: %d spans exported", len(spans))
	}
}

// TestOtelEnvBatch: with a short schedule delay, spans and records reach
// the backend without a flush; the other batch settings are passed on.
func TestOtelEnvBatch(t *testing.T) {
	c := newFakeCollector(t, nil)
	p := providers(t, c, map[string]string{
		"OTEL_BSP_SCHEDULE_DELAY":         "10",
		"OTEL_BSP_EXPORT_TIMEOUT":         "5000",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE":  "1",
		"OTEL_BLRP_SCHEDULE_DELAY":        "10",
		"OTEL_BLRP_EXPORT_TIMEOUT":        "5000",
		"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "1",
		"OTEL_BSP_MAX_QUEUE_SIZE":         "100",
		"OTEL_BLRP_MAX_QUEUE_SIZE":        "100",
	})
	emit(t, p)
	deadline := time.After(30 * time.Second)
	for {
		reqs, spans, logs, _, _ := c.snapshot()
		if len(logs) == 1 && len(spans) > 1 {
			// a batch size of 1 sends one span per request
			if nSpanReqs := len(reqs) - 1; nSpanReqs != len(spans) {
				t.Errorf("%d span exports for %d spans, want one each", nSpanReqs, len(spans))
			}
			return
		}
		select {
		case <-c.got:
		case <-deadline:
			t.Fatalf("without a flush: %d spans and %d logs arrived", len(spans), len(logs))
		}
	}
}

func TestOtelEnvLimits(t *testing.T) {
	c := newFakeCollector(t, nil)
	p := providers(t, c, map[string]string{
		"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT":      "3",
		"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "4",
	})
	emitAndShutdown(t, p)
	_, _, _, attrs, _ := c.snapshot()
	if !slices.Contains(attrs, "am.machine.id=env") || !slices.Contains(attrs, "am.machine.id=env-") {
		t.Errorf("attributes %q, want am.machine.id cut to 3 on spans and 4 on records", attrs)
	}
}

// TestOtelEnvAttributeLimits: the generic OTEL_ATTRIBUTE_* limits are
// span limits, under the OTEL_SPAN_ATTRIBUTE_* ones; log records keep
// their attributes whole.
func TestOtelEnvAttributeLimits(t *testing.T) {
	count := func(attrs []string, kv string) int {
		n := 0
		for _, a := range attrs {
			if a == kv {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "3"}, "am.machine.id=env"},
		{map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "3", "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "5"}, "am.machine.id=env-m"},
	} {
		c := newFakeCollector(t, nil)
		emitAndShutdown(t, providers(t, c, tc.env))
		_, spans, _, attrs, _ := c.snapshot()
		if n := count(attrs, tc.want); n != len(spans) {
			t.Errorf("%v: %d of %d spans with %s", tc.env, n, len(spans), tc.want)
		}
		if n := count(attrs, "am.machine.id=env-mach"); n != 1 {
			t.Errorf("%v: am.machine.id=env-mach %d times, want once, on the log record", tc.env, n)
		}
	}

	// spans have more than one attribute each, until the count limit
	spanAttrs := func(env map[string]string) (nAttrs, nSpans int) {
		c := newFakeCollector(t, nil)
		env["OTEL_LOGS_EXPORTER"] = "none"
		emitAndShutdown(t, providers(t, c, env))
		_, spans, _, attrs, _ := c.snapshot()
		return len(attrs), len(spans)
	}
	if nAttrs, nSpans := spanAttrs(map[string]string{}); nAttrs <= nSpans {
		t.Fatalf("without limits: %d attributes on %d spans, want more than one each", nAttrs, nSpans)
	}
	if nAttrs, nSpans := spanAttrs(map[string]string{"OTEL_ATTRIBUTE_COUNT_LIMIT": "1"}); nAttrs != nSpans {
		t.Errorf("OTEL_ATTRIBUTE_COUNT_LIMIT=1: %d attributes on %d spans, want one each", nAttrs, nSpans)
	}
}

// hangingBackend answers no request until the test ends.
func hangingBackend(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestOtelEnvQueueSize: with the exporter stuck on a hanging backend, the
// spans beyond OTEL_BSP_MAX_QUEUE_SIZE are dropped and counted, exactly,
// in Stats and in package drops.
func TestOtelEnvQueueSize(t *testing.T) {
	before := drops.Total(drops.OtelSpans)
	p := providers(t, nil, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    hangingBackend(t),
		"OTEL_BSP_MAX_QUEUE_SIZE":        "2",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1",
		"OTEL_LOGS_EXPORTER":             "none",
	})
	tracer := p.Tracer.Tracer("queue")
	const spans = 10
	for range spans {
		_, span := tracer.Start(context.Background(), "span")
		span.End()
	}
	if s := p.Stats(); s.SpansDropped != spans-2 {
		t.Errorf("stats %+v: want %d spans dropped, all but the queue's 2", s, spans-2)
	}
	if got := drops.Total(drops.OtelSpans) - before; got != spans-2 {
		t.Errorf("drops.Total(%s) grew by %d, want %d", drops.OtelSpans, got, spans-2)
	}
	// shut down, the batch processor keeps its count in the total: the
	// queued spans, which the hanging backend never takes, add to it
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
	if got := drops.Total(drops.OtelSpans) - before; got < spans-2 {
		t.Errorf("after Shutdown, drops.Total(%s) grew by %d, want at least %d", drops.OtelSpans, got, spans-2)
	}
}
