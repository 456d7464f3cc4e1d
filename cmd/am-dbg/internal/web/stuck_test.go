package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
)

// A real machine's handler hanging past its timeout, as the dbg tracer
// reports it: the view marks the machine in the tree and names the
// handler, its transition and how long it had run, before the transition
// ends; once it ends, the marks go and the transition shows the overrun.
func TestViewStuckHandler(t *testing.T) {
	st := store.New(nil)
	worker := storetest.NewStuckWorker(t, serveDbg(t, st))
	_, ts := serve(t, st, nil)

	v := decodeView(t, get(t, ts, "/api/view?m=worker"))
	if len(v.Tree.Rows) != 1 || !v.Tree.Rows[0].Stuck {
		t.Errorf("tree %+v; want worker marked stuck", v.Tree.Rows)
	}
	s := v.Mach.Stuck
	if s == nil || s.Handler != "WorkState" || s.Tx != 2 || s.Time == "" {
		t.Fatalf("stuck %+v; want WorkState of #2, with how long and when", s)
	}
	if d, err := time.ParseDuration(s.Elapsed); err != nil || d < storetest.StuckTimeout {
		t.Errorf("elapsed %q (%v); want at least the %v timeout", s.Elapsed, err, storetest.StuckTimeout)
	}
	if tx := v.Mach.Tx; tx == nil || tx.ID != 1 {
		t.Errorf("shown %+v; want #1, the last transition that ended", tx)
	}

	worker.Release()
	v = decodeView(t, get(t, ts, "/api/view?m=worker&at=1"))
	if v.Tree.Rows[0].Stuck || v.Mach.Stuck != nil {
		t.Errorf("still stuck once its transition arrived: tree %v, machine %+v", v.Tree.Rows[0].Stuck, v.Mach.Stuck)
	}
	tx := v.Mach.Tx
	if tx == nil || tx.ID != 2 || !slices.Equal(tx.Stuck, []string{"WorkState"}) || !tx.Failed {
		t.Fatalf("#2 shows %+v; want WorkState overran, failed", tx)
	}
	// the tracer timed the handler: at least its timeout
	if len(tx.Handlers) == 0 || tx.Handlers[0].Text != "WorkState ran" {
		t.Fatalf("handlers %+v; want WorkState first", tx.Handlers)
	}
	if d, err := time.ParseDuration(tx.Handlers[0].Took); err != nil || d < storetest.StuckTimeout {
		t.Errorf("WorkState took %q (%v); want at least its %v timeout", tx.Handlers[0].Took, err, storetest.StuckTimeout)
	}
}

// Each handler step of the details says how long its handler ran, when
// the client timed the handlers; the other steps, and a transition
// without durations, say nothing of time.
func TestViewHandlerDurations(t *testing.T) {
	st := store.New(nil)
	storetest.TimedHandlers(st)
	_, ts := serve(t, st, nil)
	took := func(list []stepView) string {
		var out []string
		for _, s := range list {
			out = append(out, s.Text+"/"+s.Took)
		}
		return strings.Join(out, "; ")
	}
	tx := decodeView(t, get(t, ts, "/api/view?m=m")).Mach.Tx
	if got, want := took(tx.Handlers), "AEnter ran/850ns; AState ran/1.5ms; AState panicked/"; got != want {
		t.Errorf("handlers of #2: %s, want %s", got, want)
	}
	if got := took(tx.Steps[:2]); got != "A requested/; AEnter ran/850ns" {
		t.Errorf("steps of #2: %s", got)
	}
	tx = decodeView(t, get(t, ts, "/api/view?m=m&at=0")).Mach.Tx
	if got, want := took(tx.Handlers), "AEnter ran/; AState ran/; AState panicked/"; got != want {
		t.Errorf("handlers of #1, not timed: %s, want %s", got, want)
	}
}
