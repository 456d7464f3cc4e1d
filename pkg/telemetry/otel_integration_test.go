package amtele_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// jaegerTree renders a trace from Jaeger's query API the way render does
// for recorded spans, so both compare with workflowTree.
func jaegerTree(tr e2e.Trace) string {
	children := map[string][]e2e.Span{}
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	var roots []e2e.Span
	for _, s := range tr.Spans {
		if p := s.ParentSpanID(); p != "" && ids[p] {
			children[p] = append(children[p], s)
		} else {
			roots = append(roots, s)
		}
	}
	sorted := func(spans []e2e.Span) []e2e.Span {
		out := slices.Clone(spans)
		slices.SortStableFunc(out, func(a, b e2e.Span) int {
			return cmp.Or(cmp.Compare(a.StartTime, b.StartTime), strings.Compare(a.OperationName, b.OperationName))
		})
		return out
	}
	var b strings.Builder
	b.WriteByte('\n')
	var walk func(s e2e.Span, depth int)
	walk = func(s e2e.Span, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + s.OperationName)
		if code, _ := s.Tag("otel.status_code"); code == "ERROR" {
			desc, _ := s.Tag("otel.status_description")
			fmt.Fprintf(&b, " !%v", desc)
		}
		b.WriteByte('\n')
		for _, c := range sorted(children[s.SpanID]) {
			walk(c, depth+1)
		}
	}
	for _, r := range sorted(roots) {
		walk(r, 0)
	}
	return b.String()
}

// noWarnings fails t for spans that Jaeger warns about, such as clock skew
// it finds between grouping spans and their children.
func noWarnings(t *testing.T, tr e2e.Trace) {
	t.Helper()
	for _, s := range tr.Spans {
		if len(s.Warnings) > 0 {
			t.Errorf("span %s: Jaeger warnings %v", s.OperationName, s.Warnings)
		}
	}
}

// otelEnv points the environment helper at an OTLP endpoint for the test.
func otelEnv(t *testing.T, service, protocol, endpoint string) *amtele.OtelProviders {
	t.Helper()
	t.Setenv("OTEL_SERVICE_NAME", service)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	p, err := amtele.NewOtelProvidersFromEnv(context.Background(), "unused")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

// jaegerTraces polls Jaeger until the service has want traces, and returns
// them oldest first.
func jaegerTraces(t *testing.T, j *e2e.JaegerBackend, service string, want int) []e2e.Trace {
	t.Helper()
	var traces []e2e.Trace
	e2e.Eventually(t, 30*time.Second, fmt.Sprintf("%d traces of %s in Jaeger", want, service), func(ctx context.Context) error {
		var err error
		if traces, err = j.Traces(ctx, service); err != nil {
			return err
		}
		if len(traces) != want {
			return fmt.Errorf("%d traces", len(traces))
		}
		return nil
	})
	start := func(tr e2e.Trace) int64 {
		return slices.MinFunc(tr.Spans, func(a, b e2e.Span) int { return cmp.Compare(a.StartTime, b.StartTime) }).StartTime
	}
	slices.SortFunc(traces, func(a, b e2e.Trace) int { return cmp.Compare(start(a), start(b)) })
	return traces
}

// TestIntegrationOtelJaeger sends the workflow to a real Jaeger over OTLP,
// gRPC and HTTP, through the providers NewOtelProvidersFromEnv builds, and
// reads the tree back through Jaeger's query API.
func TestIntegrationOtelJaeger(t *testing.T) {
	j := e2e.StartJaeger(t)
	for _, tc := range []struct{ protocol, endpoint string }{
		{"grpc", "http://" + j.OTLPGRPCAddr},
		{"http/protobuf", "http://" + j.OTLPHTTPAddr},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			service := e2e.Unique("amtele-" + strings.ReplaceAll(tc.protocol, "/", "-"))
			p := otelEnv(t, service, tc.protocol, tc.endpoint)
			newWorkflow(t, amtele.NewOtelMachTracer(p.Tracer.Tracer("amtele"), nil)).run(t)
			// shutting down flushes every span, no waiting needed
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}

			tr := jaegerTraces(t, j, service, 1)[0]
			if got := jaegerTree(tr); got != workflowTree {
				t.Errorf("Jaeger's tree:%s\nwant:%s", got, workflowTree)
			}
			noWarnings(t, tr)
			fetched, _ := tr.SpanByName("[add] Fetched")
			if id, _ := fetched.Tag(string(amtele.AttrSourceMachineID)); id != "wf-child" {
				t.Errorf("[add] Fetched: %s = %v, want wf-child", amtele.AttrSourceMachineID, id)
			}
			if proc := tr.Processes[fetched.ProcessID]; proc.ServiceName != service {
				t.Errorf("service %q, want %q", proc.ServiceName, service)
			}
		})
	}
}

// TestIntegrationOtelJaegerTimely keeps a machine running and checks that
// its transitions and finished activations reach Jaeger within seconds,
// with the SDK's default batching.
func TestIntegrationOtelJaegerTimely(t *testing.T) {
	j := e2e.StartJaeger(t)
	service := e2e.Unique("amtele-timely")
	p := otelEnv(t, service, "grpc", "http://"+j.OTLPGRPCAddr)
	mach := newMachine(t, am.Schema{"Foo": {}}, &am.Opts{ID: "long-lived", Tracers: []am.Tracer{amtele.NewOtelMachTracer(p.Tracer.Tracer("amtele"), nil)}})

	began := time.Now()
	mach.Add1("Foo", nil)
	mach.Remove1("Foo", nil)
	e2e.Eventually(t, 20*time.Second, "the transitions and the Foo activation in Jaeger", func(ctx context.Context) error {
		traces, err := j.Traces(ctx, service)
		if err != nil || len(traces) != 1 {
			return fmt.Errorf("traces: %d, %v", len(traces), err)
		}
		tree := jaegerTree(traces[0])
		for _, want := range []string{"[add] Foo", "[remove] Foo", "    Foo\n      Foo\n"} {
			if !strings.Contains(tree, want) {
				return fmt.Errorf("no %q in%s", want, tree)
			}
		}
		return nil
	})
	if mach.IsDisposed() {
		t.Fatal("the machine must be running")
	}
	t.Logf("visible in Jaeger %v after the transitions", time.Since(began).Round(100*time.Millisecond))
}

// TestIntegrationOtelJaegerRotation rotates traces and checks in Jaeger
// that each trace is a whole tree linked to the one before it.
func TestIntegrationOtelJaegerRotation(t *testing.T) {
	j := e2e.StartJaeger(t)
	service := e2e.Unique("amtele-rotation")
	p := otelEnv(t, service, "grpc", "http://"+j.OTLPGRPCAddr)
	tracer := amtele.NewOtelMachTracer(p.Tracer.Tracer("amtele"), &amtele.OtelMachTracerOpts{RotateTransitions: 4})
	root := newMachine(t, am.Schema{"A": {}, "Long": {}}, &am.Opts{ID: "root", Tracers: []am.Tracer{tracer}})
	child := newMachine(t, am.Schema{"X": {}}, &am.Opts{ID: "child", Parent: root})
	// Long stays active across traces, until the machine is disposed; its
	// span belongs to the first trace, where it began
	for k := range 3 {
		if k == 0 {
			root.Add(am.S{"A", "Long"}, nil)
		} else {
			root.Add1("A", nil)
		}
		child.Add1("X", nil)
		root.Remove1("A", nil)
		child.Remove1("X", nil)
	}
	root.Dispose()
	<-root.WhenDisposed()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	want := `
mach:root
  states
    A
      A
  submachines
    mach:child
      states
        X
          X
      transitions
        [add] X
        [remove] X
  transitions
    [add] A
    [remove] A
`
	wantFirst := strings.NewReplacer("      A\n", "      A\n    Long\n      Long\n", "[add] A\n", "[add] A Long\n").Replace(want)
	traces := jaegerTraces(t, j, service, 3)
	var prev e2e.Span
	for k, tr := range traces {
		noWarnings(t, tr)
		w := want
		if k == 0 {
			w = wantFirst
		}
		if got := jaegerTree(tr); got != w {
			t.Errorf("trace %d:%s\nwant:%s", k+1, got, w)
		}
		root, _ := tr.SpanByName("mach:root")
		if gen, _ := root.Tag(string(amtele.AttrTraceGeneration)); gen != float64(k+1) {
			t.Errorf("trace %d: generation %v", k+1, gen)
		}
		if k > 0 {
			var linked bool
			for _, ref := range root.References {
				linked = linked || ref.TraceID == prev.TraceID && ref.SpanID == prev.SpanID
			}
			if !linked {
				t.Errorf("trace %d: root references %+v, want the previous root %s/%s", k+1, root.References, prev.TraceID, prev.SpanID)
			}
		}
		prev = root
	}
}
