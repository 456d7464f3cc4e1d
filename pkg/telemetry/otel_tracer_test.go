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
		"am.clock.Start":        "1",
		"am.clock.Ready":        "-",
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
		"am.clock.Fetch":           "2",
		"am.clock.Fetched":         "1",
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
	wantAttrs(t, st.one(t, "[add] Exception"), map[attribute.Key]string{"am.clock.Exception": "1"})
	wantAttrs(t, st.one(t, "[remove] Start"), map[attribute.Key]string{
		amtele.AttrMutation: "remove",
		"am.clock.Start":    "2",
		"am.clock.Ready":    "2",
	})

	// activations: ticks, the transitions at both ends, and times that
	// match those transitions
	act := activationOf(t, st, "Start")
	wantAttrs(t, act, map[attribute.Key]string{
		amtele.AttrState:   "Start",
		amtele.AttrTick:    "1",
		amtele.AttrBeginTx: "1",
		amtele.AttrEndTx:   attrs(st.one(t, "[remove] Start"))[string(amtele.AttrTxID)],
	})
	if !act.StartTime().Equal(st.one(t, "[add] Start").StartTime()) ||
		!act.EndTime().Equal(st.one(t, "[remove] Start").StartTime()) {
		t.Errorf("Start activation %v..%v, want from the start of [add] Start to the start of [remove] Start",
			act.StartTime(), act.EndTime())
	}
	exc := activationOf(t, st, "Exception")
	wantAttrs(t, exc, map[attribute.Key]string{amtele.AttrEndTx: "-"})

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
