package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// supervisorID is the supervisor machine's ID; workers are worker-1,
// worker-2, ... Fixed IDs keep metrics and dashboards stable across runs.
const supervisorID = "supervisor"

// supervisorSchema: Start, then the workers are ready and jobs are
// accepted, until Draining. The Multi states are events: each job or
// report re-activates its state and runs its handler again.
var supervisorSchema = am.Schema{
	// Start runs the pipeline: StartState creates the workers.
	"Start": {},
	// WorkersReady: the workers exist and take jobs.
	"WorkersReady": {Require: am.S{"Start"}},
	// Accepting takes new jobs. Auto: it activates by itself once the
	// workers are ready, unless Draining (which removes it) is active.
	"Accepting": {Auto: true, Require: am.S{"WorkersReady"}},
	// Draining stops taking jobs, drops the backlog, and lets the workers
	// finish what they hold.
	"Draining": {Require: am.S{"Start"}, Remove: am.S{"Accepting"}},
	// Drained: every worker is idle after Draining.
	"Drained": {Require: am.S{"Draining"}},
	// JobArrived queues a job (args job, url). It requires Accepting, so a
	// job that arrives while draining is canceled by the relation.
	"JobArrived": {Multi: true, Require: am.S{"Accepting"}},
	// Backlogged: the backlog is full, and JobArrivedEnter sheds new jobs.
	"Backlogged": {Require: am.S{"WorkersReady"}},
	// WorkerIdle: a worker (arg worker) wants a job. A worker reports the
	// outcome of its last job in the same mutation, and After makes the
	// supervisor record the outcome before it hands out the next job.
	"WorkerIdle": {Multi: true, Require: am.S{"WorkersReady"}, After: am.S{"JobDone", "JobFailed"}},
	// JobDone and JobFailed report a job's outcome (args job, worker,
	// attempt).
	"JobDone":   {Multi: true, Require: am.S{"WorkersReady"}},
	"JobFailed": {Multi: true, Require: am.S{"WorkersReady"}},
	// Degraded: many recent jobs failed, so jobs arrive at half the rate.
	"Degraded": {Require: am.S{"WorkersReady"}},
}

// Degraded activates when degradeFailures of the last degradeWindow jobs
// failed, and clears after recoverStreak jobs in a row succeed.
const (
	degradeWindow   = 10
	degradeFailures = 3
	recoverStreak   = 5
)

// supervisor holds the supervisor machine's handlers and their state. The
// machine never runs two handlers at once, so the fields need no lock; the
// feeder goroutine only mutates the machine.
type supervisor struct {
	mach   *am.Machine
	opts   workflowOpts
	faults *faults
	stats  *stats

	workers []*am.Machine
	backlog []job
	idle    []*am.Machine
	// recent are the outcomes of the last jobs, newest last: true for done.
	recent []bool
}

// job is a file to download and process.
type job struct{ name, url string }

// newSupervisor creates the supervisor machine, ready for exporters to bind
// to it before it starts: mutate it with Start.
func newSupervisor(ctx context.Context, opts workflowOpts, st *stats) (*supervisor, error) {
	mach, err := am.New(ctx, supervisorSchema, &am.Opts{
		ID:           supervisorID,
		Tags:         []string{"demo", "supervisor"},
		LogLevel:     opts.LogLevel,
		Logger:       opts.LogSink,
		LoggableArgs: loggableArgs,
	})
	if err != nil {
		return nil, fmt.Errorf("supervisor machine: %w", err)
	}
	s := &supervisor{mach: mach, opts: opts, faults: newFaults(opts.Faults), stats: st}
	if err := mach.BindHandlers(s); err != nil {
		mach.Dispose()
		return nil, fmt.Errorf("supervisor handlers: %w", err)
	}
	return s, nil
}

func (s *supervisor) StartState(e *am.Event) {
	for i := range s.opts.Workers {
		w, err := newWorker(e.Machine, fmt.Sprintf("worker-%d", i+1), s.opts, s.faults, s.stats)
		if err != nil {
			e.Machine.EvAddErr(e, err, nil)
			return
		}
		s.workers = append(s.workers, w)
	}
	e.Machine.EvAdd1(e, "WorkersReady", nil)
}

func (s *supervisor) WorkersReadyState(e *am.Event) {
	for _, w := range s.workers {
		w.EvAdd1(e, "Ready", nil)
	}
}

func (s *supervisor) AcceptingState(e *am.Event) {
	// the feeder stops when Accepting ends
	go s.feed(e.Machine.NewStateCtx("Accepting"))
}

// feed submits jobs at a jittered pace, in bursts now and then, and half
// as fast while Degraded.
func (s *supervisor) feed(ctx context.Context) {
	for n := 1; ; n++ {
		every := s.opts.JobEvery
		if s.mach.Is1("Degraded") {
			every *= 2
		}
		if sleep(ctx, s.faults.between([2]time.Duration{every / 2, every * 3 / 2})) != nil {
			return
		}
		batch := 1
		if s.opts.BurstEvery > 0 && n%s.opts.BurstEvery == 0 {
			batch = s.opts.BurstSize
		}
		for range batch {
			name := fmt.Sprintf("job-%d", s.stats.arrived.Add(1))
			s.mach.Add1("JobArrived", am.A{"job": name, "url": "https://mirror.example.com/batches/" + name + ".tar.gz"})
		}
	}
}

// JobArrivedEnter sheds the job while the backlog is full: a negotiation
// handler that returns false cancels the transition.
func (s *supervisor) JobArrivedEnter(e *am.Event) bool {
	if !e.Machine.Is1("Backlogged") {
		return true
	}
	s.stats.shed.Add(1)
	e.Machine.Log("shed %s: backlog full", e.Args["job"])
	return false
}

func (s *supervisor) JobArrivedState(e *am.Event) {
	s.backlog = append(s.backlog, job{name: e.Args["job"].(string), url: e.Args["url"].(string)})
	s.dispatch(e)
}

func (s *supervisor) JobDoneState(e *am.Event) {
	s.stats.done.Add(1)
	s.record(e, true)
}

func (s *supervisor) JobFailedState(e *am.Event) {
	s.stats.failed.Add(1)
	s.record(e, false)
}

func (s *supervisor) WorkerIdleState(e *am.Event) {
	id, _ := e.Args["worker"].(string)
	i := slices.IndexFunc(s.workers, func(w *am.Machine) bool { return w.ID() == id })
	if i < 0 {
		e.Machine.EvAddErr(e, fmt.Errorf("idle report from unknown worker %q", id), nil)
		return
	}
	s.idle = append(s.idle, s.workers[i])
	s.dispatch(e)
	if e.Machine.Is1("Draining") && len(s.idle) == len(s.workers) {
		e.Machine.EvAdd1(e, "Drained", nil)
	}
}

func (s *supervisor) DrainingState(e *am.Event) {
	if n := len(s.backlog); n > 0 {
		s.stats.dropped.Add(int64(n))
		e.Machine.Log("draining: dropped %d waiting jobs", n)
		s.backlog = nil
	}
	e.Machine.EvRemove1(e, "Backlogged", nil)
	if len(s.idle) == len(s.workers) {
		e.Machine.EvAdd1(e, "Drained", nil)
	}
}

// dispatch hands waiting jobs to idle workers, oldest first, and keeps
// Backlogged in step with the backlog.
func (s *supervisor) dispatch(e *am.Event) {
	for len(s.backlog) > 0 && len(s.idle) > 0 {
		j, w := s.backlog[0], s.idle[0]
		s.backlog, s.idle = s.backlog[1:], s.idle[1:]
		// the worker is idle, so this usually runs right away, inside
		// this transition's handler; a worker that is still finishing its
		// own transition queues it
		if w.EvAdd1(e, "Assigned", am.A{"job": j.name, "url": j.url, "attempt": 1}) == am.Canceled {
			s.stats.dropped.Add(1)
			e.Machine.Log("%s refused %s: %v", w.ID(), j.name, w.LastCancel())
		}
	}
	full := len(s.backlog) >= s.opts.MaxBacklog
	switch {
	case full && !e.Machine.Is1("Backlogged"):
		e.Machine.EvAdd1(e, "Backlogged", nil)
	case !full && e.Machine.Is1("Backlogged"):
		e.Machine.EvRemove1(e, "Backlogged", nil)
	}
}

// record keeps the outcome of a job and moves in or out of Degraded.
func (s *supervisor) record(e *am.Event, done bool) {
	s.recent = append(s.recent, done)
	if len(s.recent) > degradeWindow {
		s.recent = s.recent[1:]
	}
	failures, streak := 0, 0
	for _, ok := range s.recent {
		if ok {
			streak++
		} else {
			failures++
			streak = 0
		}
	}
	degraded := e.Machine.Is1("Degraded")
	switch {
	case !degraded && failures >= degradeFailures:
		e.Machine.EvAdd1(e, "Degraded", nil)
	case degraded && streak >= recoverStreak:
		// a fresh window, so the failures that caused it count no more
		s.recent = nil
		e.Machine.EvRemove1(e, "Degraded", nil)
	}
}

// dispose disposes the supervisor, which disposes the workers, and waits
// until every machine is disposed.
func (s *supervisor) dispose() {
	s.mach.Dispose()
	<-s.mach.WhenDisposed()
	// read after the supervisor's last transition, which wrote it
	for _, w := range s.workers {
		<-w.WhenDisposed()
	}
}
