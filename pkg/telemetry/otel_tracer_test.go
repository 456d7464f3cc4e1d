package amtele_test

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
)

func TestOtelMachTracerTree(t *testing.T) {
	tracer, rec := recorded(t, nil)
	w := newWorkflow(t, tracer)
	w.run(t)
	st := newSpanTree(rec.Ended())
	if got := st.render(); got != workflowTree {
		t.Errorf("span tree:%s\nwant:%s", got, workflowTree)
	}
	if started, ended := len(rec.Started()), len(rec.Ended()); started != ended {
		t.Errorf("%d spans started, %d ended: every span must end", started, ended)
	}
}

func TestOtelMachTracerAttributes(t *testing.T) {
	tracer, rec := recorded(t, nil)
	w := newWorkflow(t, tracer)
	w.run(t)
	st := newSpanTree(rec.Ended())

	wantAttrs(t, st.one(t, "mach:wf-root"), map[attribute.Key]string{
		amtele.AttrMachineID:       "wf-root",
		amtele.AttrTraceGeneration: "1",
		amtele.AttrParentID:        "-",
	})
	wantAttrs(t, st.one(t, "mach:wf-child"), map[attribute.Key]string{
		amtele.AttrMachineID: "wf-child",
		amtele.AttrParentID:  "wf-root",
	})
	wantAttrs(t, st.one(t, "[add] Start"), map[attribute.Key]string{
		amtele.AttrMachineID:    "wf-root",
		amtele.AttrTxID:         "1",
		amtele.AttrMutation:     "add",
		amtele.AttrCalled:       `["Start"]`,
		amtele.AttrAccepted:     "true",
		amtele.AttrQueueLen:     "0",
		amtele.AttrCancelReason: "-",
		amtele.AttrAuto:         "-",
		amtele.AttrClocks:       "Start=1",
	})
	wantAttrs(t, st.one(t, "[add] Fetch"), map[attribute.Key]string{
		amtele.AttrMachineID: "wf-child",
		"am.arg.url":         "https://example.com",
		"am.arg.secret":      "-",
	})
	fetched := st.one(t, "[add] Fetched")
	wantAttrs(t, fetched, map[attribute.Key]string{
		amtele.AttrSourceMachineID: "wf-child",
		amtele.AttrSourceTxID:      "1",
		amtele.AttrClocks:          "Fetch=2 Fetched=1",
	})
	if got := st.linkKinds(fetched); strings.Join(got, ",") != "source:[add] Fetch" {
		t.Errorf("[add] Fetched links = %v, want source:[add] Fetch", got)
	}
	veto := st.one(t, "[add] Veto")
	wantAttrs(t, veto, map[attribute.Key]string{
		amtele.AttrAccepted:     "false",
		amtele.AttrCancelReason: "canceled by handler VetoEnter",
	})
	if veto.Status().Code != codes.Unset {
		t.Errorf("[add] Veto status = %v: a handler's veto is not an error", veto.Status())
	}
	wantAttrs(t, st.one(t, "VetoEnter"), map[attribute.Key]string{amtele.AttrHandlerCanceled: "true"})
	wantAttrs(t, st.one(t, "[add] Exception"), map[attribute.Key]string{amtele.AttrClocks: "Exception=1"})
	wantAttrs(t, st.one(t, "[remove] Start"), map[attribute.Key]string{
		amtele.AttrMutation: "remove",
		amtele.AttrClocks:   "Ready=2 Start=2",
	})

	// activations: the tick, and the times of the transitions at both ends
	act := activationOf(t, st, "Start")
	wantAttrs(t, act, map[attribute.Key]string{
		amtele.AttrMachineID: "wf-root",
		amtele.AttrTick:      "1",
		amtele.AttrState:     "-",
	})
	wantAttrs(t, st.parent(t, act), map[attribute.Key]string{amtele.AttrState: "Start"})
	if from, to := st.txAt(act.StartTime()), st.txAt(act.EndTime()); from != "[add] Start" || to != "[remove] Start" {
		t.Errorf("Start activation from %q to %q, want from [add] Start to [remove] Start", from, to)
	}
	// Exception is still active when the machine is disposed
	if exc := activationOf(t, st, "Exception"); !exc.EndTime().After(st.one(t, "[remove] Start").EndTime()) {
		t.Errorf("Exception activation ends at %v, before the machine was disposed", exc.EndTime())
	}

	// handler spans have the handler's real duration, inside the transition
	handler, tx := st.one(t, "StartState"), st.one(t, "[add] Start")
	if d := handler.EndTime().Sub(handler.StartTime()); d < time.Millisecond {
		t.Errorf("StartState took %v, want at least the 1ms it sleeps", d)
	}
	if handler.StartTime().Before(tx.StartTime()) || handler.EndTime().After(tx.EndTime()) {
		t.Errorf("StartState %v..%v outside its transition %v..%v",
			handler.StartTime(), handler.EndTime(), tx.StartTime(), tx.EndTime())
	}
}

// activationOf returns the only activation span of state, the child of the
// state's group span.
func activationOf(t *testing.T, st *spanTree, state string) sdktrace.ReadOnlySpan {
	t.Helper()
	var acts []sdktrace.ReadOnlySpan
	for _, s := range st.find(state) {
		if _, ok := attrs(s)[string(amtele.AttrTick)]; ok {
			acts = append(acts, s)
		}
	}
	if len(acts) != 1 {
		t.Fatalf("%d activations of %s, want 1", len(acts), state)
	}
	return acts[0]
}
