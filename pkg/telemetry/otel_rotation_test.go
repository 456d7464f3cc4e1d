package amtele_test

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

// byTrace groups spans by trace ID, in the order traces first appear.
func byTrace(spans []sdktrace.ReadOnlySpan) (ids []string, traces map[string][]sdktrace.ReadOnlySpan) {
	traces = map[string][]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		id := s.SpanContext().TraceID().String()
		if _, ok := traces[id]; !ok {
			ids = append(ids, id)
		}
		traces[id] = append(traces[id], s)
	}
	return ids, traces
}

// checkTraces fails t unless every trace has exactly one root, a mach:ID
// span of rootID, and every other span's parent is in the same trace. It
// returns the roots in generation order.
func checkTraces(t *testing.T, spans []sdktrace.ReadOnlySpan, rootID string) []sdktrace.ReadOnlySpan {
	t.Helper()
	ids, traces := byTrace(spans)
	var roots []sdktrace.ReadOnlySpan
	for _, id := range ids {
		tree := newSpanTree(traces[id])
		if len(tree.roots) != 1 || tree.roots[0].Name() != "mach:"+rootID {
			var names []string
			for _, r := range tree.roots {
				names = append(names, r.Name())
			}
			t.Fatalf("trace %s has roots %v, want only mach:%s; tree:%s", id, names, rootID, tree.render())
		}
		roots = append(roots, tree.roots[0])
	}
	// spans end in the order of their goroutines, so a later trace may
	// show up first: order the roots by their generation attribute
	gen := func(s sdktrace.ReadOnlySpan) int {
		g, _ := strconv.Atoi(attrs(s)[string(amtele.AttrTraceGeneration)])
		return g
	}
	slices.SortStableFunc(roots, func(a, b sdktrace.ReadOnlySpan) int { return cmp.Compare(gen(a), gen(b)) })
	for k, r := range roots {
		wantAttrs(t, r, map[attribute.Key]string{amtele.AttrTraceGeneration: fmt.Sprint(k + 1)})
		links := r.Links()
		if k == 0 {
			if len(links) != 0 {
				t.Errorf("first trace's root has links %v", links)
			}
			continue
		}
		prev := roots[k-1].SpanContext()
		if len(links) != 1 || !links[0].SpanContext.Equal(prev) {
			t.Errorf("generation %d root links %v, want one link to the previous root %v", k+1, links, prev)
		}
	}
	return roots
}

func TestOtelMachTracerRotateTransitions(t *testing.T) {
	const perTrace = 4
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{RotateTransitions: perTrace, RotateInterval: -1})
	root := newMachine(t, am.Schema{"Long": {}, "A": {}}, &am.Opts{ID: "root", Tracers: []am.Tracer{tracer}})
	child := newMachine(t, am.Schema{"X": {}}, &am.Opts{ID: "child", Parent: root})

	root.Add1("Long", nil)
	const cycles = 3
	for range cycles {
		root.Add1("A", nil)
		child.Add1("X", nil)
		root.Remove1("A", nil)
		child.Remove1("X", nil)
	}
	root.Remove1("Long", nil)
	const txs = 2 + 4*cycles

	spans := rec.Ended()
	roots := checkTraces(t, spans, "root")
	if want := (txs + perTrace - 1) / perTrace; len(roots) != want {
		t.Fatalf("%d traces for %d transitions, %d per trace; want %d", len(roots), txs, perTrace, want)
	}
	ids, traces := byTrace(spans)
	for _, id := range ids {
		tree := newSpanTree(traces[id])
		n := 0
		for _, s := range traces[id] {
			if _, ok := attrs(s)[string(amtele.AttrTxID)]; ok {
				n++
			}
		}
		if n > perTrace {
			t.Errorf("trace %s holds %d transitions, want at most %d:%s", id, n, perTrace, tree.render())
		}
		// the submachine hangs under the root's submachines span of the
		// same trace, linked to its own previous mach span
		for _, m := range tree.find("mach:child") {
			parent := m.Parent().SpanID().String()
			if p := tree.find("submachines"); len(p) != 1 || p[0].SpanContext().SpanID().String() != parent {
				t.Errorf("trace %s: mach:child is not under the root's submachines span:%s", id, tree.render())
			}
		}
	}

	// the long activation belongs to the trace it began in, and ends in
	// the last one
	long := activationOf(t, newSpanTree(traces[roots[0].SpanContext().TraceID().String()]), "Long")
	if !long.EndTime().After(roots[len(roots)-1].StartTime()) {
		t.Errorf("Long activation ends at %v, want after the last trace began (%v)",
			long.EndTime(), roots[len(roots)-1].StartTime())
	}
}

func TestOtelMachTracerRotateInterval(t *testing.T) {
	// with a 1ns interval, every transition finds its trace expired
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{RotateInterval: time.Nanosecond})
	mach := newMachine(t, am.Schema{"A": {}}, &am.Opts{ID: "m", Tracers: []am.Tracer{tracer}})
	mach.Add1("A", nil)
	mach.Remove1("A", nil)
	mach.Add1("A", nil)

	roots := checkTraces(t, rec.Ended(), "m")
	// the first trace holds only the grouping spans made at MachineInit
	if len(roots) != 4 {
		t.Errorf("%d traces, want 4: the initial one and one per transition", len(roots))
	}
}

// TestOtelMachTracerConcurrentRotation runs submachines on their own
// goroutines while the shared tree rotates, for the race detector and to
// check that every span lands in a well-formed trace.
func TestOtelMachTracerConcurrentRotation(t *testing.T) {
	const perTrace, children, cycles = 16, 4, 50
	tracer, rec := recorded(t, &amtele.OtelMachTracerOpts{RotateTransitions: perTrace})
	root := newMachine(t, am.Schema{"A": {}}, &am.Opts{ID: "root", Tracers: []am.Tracer{tracer}})
	var wg sync.WaitGroup
	for k := range children {
		child := newMachine(t, am.Schema{"X": {}}, &am.Opts{ID: fmt.Sprint("child-", k), Parent: root})
		wg.Go(func() {
			for range cycles {
				child.Add1("X", nil)
				child.Remove1("X", nil)
			}
		})
	}
	wg.Wait()

	spans := rec.Ended()
	checkTraces(t, spans, "root")
	_, traces := byTrace(spans)
	for id, trace := range traces {
		n := 0
		for _, s := range trace {
			if _, ok := attrs(s)[string(amtele.AttrTxID)]; ok {
				n++
			}
		}
		// concurrent transitions may each pass the budget check before
		// one of them rotates
		if n > perTrace+children {
			t.Errorf("trace %s holds %d transitions, want about %d", id, n, perTrace)
		}
	}
}
