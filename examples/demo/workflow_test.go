package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// waitTimeout bounds every wait for the pipeline: with fastWorkflow's
// timings each wait takes milliseconds, so this only guards against a hang.
const waitTimeout = 20 * time.Second

// fastWorkflow runs the pipeline in milliseconds, without faults unless a
// test turns them on, and with a fixed seed.
func fastWorkflow() workflowOpts {
	return workflowOpts{
		Workers:      2,
		JobEvery:     4 * time.Millisecond,
		MaxBacklog:   6,
		MaxAttempts:  3,
		RetryBackoff: time.Millisecond,
		Faults: faultOpts{
			DownloadTime: [2]time.Duration{time.Millisecond, 3 * time.Millisecond},
			ProcessTime:  [2]time.Duration{time.Millisecond, 2 * time.Millisecond},
			Seed:         1,
		},
	}
}

// recorder keeps every transition of the machine tree it is bound to, and
// signals transitions that tests wait for.
type recorder struct {
	am.NoOpTracer

	mu      sync.Mutex
	txs     []*am.Transition
	waiters []txWaiter
}

type txWaiter struct {
	match func(*am.Transition) bool
	ch    chan struct{}
}

func (r *recorder) TracerID() string { return "recorder" }

func (r *recorder) Inheritable() bool { return true }

func (r *recorder) TransitionEnd(tx *am.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.txs = append(r.txs, tx)
	r.waiters = slices.DeleteFunc(r.waiters, func(w txWaiter) bool {
		if w.match(tx) {
			close(w.ch)
			return true
		}
		return false
	})
}

// when returns a channel closed once a transition matching match has ended,
// including one that ended already.
func (r *recorder) when(match func(*am.Transition) bool) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	if slices.ContainsFunc(r.txs, match) {
		close(ch)
		return ch
	}
	r.waiters = append(r.waiters, txWaiter{match, ch})
	return ch
}

// all returns the recorded transitions that match.
func (r *recorder) all(match func(*am.Transition) bool) []*am.Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*am.Transition
	for _, tx := range r.txs {
		if match(tx) {
			out = append(out, tx)
		}
	}
	return out
}

// startWorkflow starts the pipeline with a recorder bound to the
// supervisor, and disposes it when the test ends.
func startWorkflow(t *testing.T, opts workflowOpts) (*supervisor, *recorder, *stats) {
	t.Helper()
	st := &stats{}
	sup, err := newSupervisor(context.Background(), opts, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sup.dispose)
	rec := &recorder{}
	if err := sup.mach.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	sup.mach.Add1("Start", nil)
	if err := sup.mach.Err(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return sup, rec, st
}

// wait fails the test unless ch closes within waitTimeout.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("%s: not within %v", what, waitTimeout)
	}
}

// ticks waits until state has been activated n more times.
func ticks(t *testing.T, m *am.Machine, state string, n int) {
	t.Helper()
	wait(t, m.WhenTicks(state, uint64(2*n-1), nil), state+" activations")
}

// drain stops the pipeline the way the demo does on exit.
func drain(t *testing.T, sup *supervisor) {
	t.Helper()
	sup.mach.Add1("Draining", nil)
	wait(t, sup.mach.When1("Drained", nil), "Drained")
}

// on matches the transitions of one machine.
func on(id string, match func(*am.Transition) bool) func(*am.Transition) bool {
	return func(tx *am.Transition) bool { return tx.MachineID == id && match(tx) }
}

// activates matches accepted transitions that activate state.
func activates(state string) func(*am.Transition) bool {
	return func(tx *am.Transition) bool {
		i := slices.Index(tx.StateNames(), state)
		return tx.Accepted && i >= 0 && tx.IsActivated(i)
	}
}

// handlers lists the handlers a transition ran, in order.
func handlers(tx *am.Transition) []string {
	var out []string
	for _, s := range tx.Steps {
		if s.Type == am.StepHandler {
			out = append(out, s.Handler)
		}
	}
	return out
}

func TestWorkflowRunsJobs(t *testing.T) {
	sup, rec, st := startWorkflow(t, fastWorkflow())
	ticks(t, sup.mach, "JobDone", 10)
	drain(t, sup)

	if st.done.Load() < 10 || st.failed.Load() != 0 || st.retried.Load() != 0 {
		t.Errorf("stats: %s; want 10 or more done, none failed or retried", st)
	}
	auto := func(tx *am.Transition) bool { return tx.Mutation.Auto }
	for _, want := range []struct{ machine, state string }{
		{"supervisor", "Accepting"}, {"worker-1", "Idle"}, {"worker-1", "Processing"},
	} {
		if len(rec.all(on(want.machine, func(tx *am.Transition) bool { return auto(tx) && activates(want.state)(tx) }))) == 0 {
			t.Errorf("%s: no auto transition activated %s", want.machine, want.state)
		}
	}
	// a worker reports its job and asks for the next in one mutation, and
	// After orders the handlers: the outcome is recorded first
	reports := rec.all(on("supervisor", func(tx *am.Transition) bool {
		return slices.Equal(tx.CalledStates(), am.S{"JobDone", "WorkerIdle"})
	}))
	if len(reports) == 0 {
		t.Fatal("no supervisor transition called JobDone and WorkerIdle together")
	}
	for _, tx := range reports {
		h := handlers(tx)
		done, idle := slices.Index(h, "JobDoneState"), slices.Index(h, "WorkerIdleState")
		if done < 0 || idle < done {
			t.Fatalf("handlers %v: want JobDoneState before WorkerIdleState", h)
		}
		if tx.Mutation.Source.MachineID == "" {
			t.Errorf("report %s has no source: workers must report with EvAdd", tx)
		}
	}
}

func TestWorkflowRetriesThenFails(t *testing.T) {
	opts := fastWorkflow()
	opts.Faults.DownloadFailRate = 1
	sup, rec, st := startWorkflow(t, opts)
	ticks(t, sup.mach, "JobFailed", 3)
	wait(t, sup.mach.When1("Degraded", nil), "Degraded after 3 failed jobs")
	drain(t, sup)

	if st.done.Load() != 0 || st.retried.Load() < 2*st.failed.Load() {
		t.Errorf("stats: %s; want none done, and 2 retries per failed job", st)
	}
	// a retry adds Downloading while it is active: Multi re-activates it
	reactivated := rec.all(func(tx *am.Transition) bool {
		i := slices.Index(tx.StateNames(), "Downloading")
		return tx.Accepted && slices.Contains(tx.CalledStates(), "Downloading") &&
			tx.TimeBefore[i]%2 == 1 && tx.TimeAfter[i] == tx.TimeBefore[i]+2
	})
	if len(reactivated) == 0 {
		t.Error("no retry re-activated Downloading")
	}
	errs := rec.all(activates("ErrDownload"))
	if len(errs) == 0 {
		t.Fatal("no ErrDownload activation")
	}
	if i := slices.Index(errs[0].StateNames(), am.Exception); !errs[0].IsActivated(i) {
		t.Error("ErrDownload activated without Exception")
	}
}

func TestWorkflowProcessingFailureDownloadsAgain(t *testing.T) {
	opts := fastWorkflow()
	opts.Faults.ProcessFailRate = 1
	sup, rec, _ := startWorkflow(t, opts)
	ticks(t, sup.mach, "JobFailed", 1)
	drain(t, sup)

	errs := rec.all(activates("ErrProcess"))
	if len(errs) == 0 {
		t.Fatal("no ErrProcess activation")
	}
	tx := errs[0]
	if i := slices.Index(tx.StateNames(), "Downloaded"); !tx.IsDeactivated(i) {
		t.Errorf("ErrProcess kept Downloaded: %s", tx)
	}
}

func TestWorkflowRejectsCorruptDownloads(t *testing.T) {
	opts := fastWorkflow()
	opts.Faults.CorruptRate = 1
	sup, rec, _ := startWorkflow(t, opts)
	vetoed := func(tx *am.Transition) bool {
		return !tx.Accepted && slices.Contains(tx.CalledStates(), "Downloaded") &&
			errors.Is(tx.Err, am.ErrHandlerCanceled)
	}
	wait(t, rec.when(vetoed), "DownloadedEnter canceling a corrupt download")
	ticks(t, sup.mach, "JobFailed", 1)
	drain(t, sup)
	if len(rec.all(activates("Downloaded"))) != 0 {
		t.Error("a corrupt download activated Downloaded")
	}
}

func TestWorkflowShedsAndDrains(t *testing.T) {
	opts := fastWorkflow()
	opts.Workers = 1
	opts.JobEvery = time.Millisecond
	opts.Faults.DownloadTime = [2]time.Duration{50 * time.Millisecond, 50 * time.Millisecond}
	sup, rec, st := startWorkflow(t, opts)
	shed := func(tx *am.Transition) bool {
		return slices.Contains(tx.CalledStates(), "JobArrived") && errors.Is(tx.Err, am.ErrHandlerCanceled)
	}
	wait(t, sup.mach.When1("Backlogged", nil), "Backlogged")
	wait(t, rec.when(shed), "JobArrivedEnter shedding a job")
	drain(t, sup)

	if st.shed.Load() == 0 || st.dropped.Load() < int64(opts.MaxBacklog) {
		t.Errorf("stats: %s; want jobs shed, and the full backlog dropped on Draining", st)
	}
	if sup.mach.Any(am.S{"Accepting", "Backlogged"}) {
		t.Errorf("still %v after draining", sup.mach.ActiveStates())
	}
	// Draining removed Accepting, which JobArrived requires. The feeder may
	// still be adding its last job, so this one may wait in the queue.
	late := func(tx *am.Transition) bool { return tx.Mutation.Args["job"] == "late" }
	sup.mach.Add1("JobArrived", am.A{"job": "late", "url": "u"})
	wait(t, rec.when(late), "the late job's transition")
	if tx := rec.all(late)[0]; tx.Accepted || !errors.Is(tx.Err, am.ErrRequirement) {
		t.Errorf("a job arriving after Draining: %s, %v; want canceled for a requirement", tx, tx.Err)
	}
}
