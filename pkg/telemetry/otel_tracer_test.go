package amtele_test

import (
	"testing"
)

func TestOtelMachTracerTree(t *testing.T) {
	tracer, rec := recorded(t, nil)
	w := newWorkflow(t, tracer)
	w.run(t)
	st := newSpanTree(rec.Ended())
	if got := st.render(); got != workflowTree {
		t.Errorf("span tree:%s\nwant:%s", got, workflowTree)
	}
}
