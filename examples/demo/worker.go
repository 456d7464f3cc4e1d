package main

import (
	"fmt"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// workerSchema: Ready, then Idle and Assigned take turns. An assigned job
// goes Downloading, Downloaded, Processing, Processed; errors are typed
// states next to Exception, and a failed attempt is retried from the
// download.
var workerSchema = am.Schema{
	// Ready: the worker takes jobs.
	"Ready": {},
	// Idle: no job. Auto: it comes back by itself once Assigned ends, and
	// IdleState asks the supervisor for the next job.
	"Idle": {Auto: true, Require: am.S{"Ready"}, Remove: am.S{"Assigned"}},
	// Assigned holds a job (args job, url, attempt) and starts downloading.
	"Assigned": {Require: am.S{"Ready"}, Remove: am.S{"Idle"}, Add: am.S{"Downloading"}},
	// Downloading fetches the file. Multi: a retry adds it again while it
	// is active, which re-runs DownloadingState with the new attempt.
	"Downloading": {Multi: true, Require: am.S{"Assigned"}, Remove: am.S{"Downloaded"}},
	// Downloaded: the file is here, and DownloadedEnter checked it.
	"Downloaded": {Require: am.S{"Assigned"}, Remove: am.S{"Downloading"}},
	// Processing unpacks the file. Auto: it starts by itself once the file
	// is Downloaded.
	"Processing": {Auto: true, Require: am.S{"Downloaded"}, Remove: am.S{"Processed"}},
	// Processed: the job is done.
	"Processed": {Require: am.S{"Assigned"}, Remove: am.S{"Processing"}},
	// ErrDownload and ErrProcess type the worker's errors: AddErrState
	// activates them with Exception, which they require. A file that fails
	// to process is dropped, so that the retry downloads it again.
	"ErrDownload": {Require: am.S{am.Exception}},
	"ErrProcess":  {Require: am.S{am.Exception}, Remove: am.S{"Processing", "Downloaded"}},
}

// worker holds a worker machine's handlers and the job it works on. Its
// goroutines copy what they need before they start, and report back only
// through mutations.
type worker struct {
	sup    *am.Machine
	opts   workflowOpts
	faults *faults
	stats  *stats

	job     job
	attempt int
	// outcome is the supervisor state that reports the last job, JobDone
	// or JobFailed, sent with the next WorkerIdle; empty before the first.
	outcome string
}

// newWorker creates a worker as a submachine of sup, so that it inherits
// sup's exporters and is disposed with it.
func newWorker(sup *am.Machine, id string, opts workflowOpts, f *faults, st *stats) (*am.Machine, error) {
	mach, err := am.New(sup.Ctx(), workerSchema, &am.Opts{
		ID:           id,
		Parent:       sup,
		Tags:         []string{"demo", "worker"},
		LogLevel:     opts.LogLevel,
		Logger:       opts.LogSink,
		LoggableArgs: loggableArgs,
	})
	if err != nil {
		return nil, fmt.Errorf("%s machine: %w", id, err)
	}
	if err := mach.BindHandlers(&worker{sup: sup, opts: opts, faults: f, stats: st}); err != nil {
		mach.Dispose()
		return nil, fmt.Errorf("%s handlers: %w", id, err)
	}
	return mach, nil
}

// IdleState reports the last job's outcome and asks for the next job, in
// one mutation of the supervisor.
func (w *worker) IdleState(e *am.Event) {
	states := am.S{"WorkerIdle"}
	args := am.A{"worker": e.Machine.ID()}
	if w.outcome != "" {
		states = am.S{w.outcome, "WorkerIdle"}
		args["job"], args["attempt"] = w.job.name, w.attempt
		w.outcome = ""
	}
	w.sup.EvAdd(e, states, args)
}

func (w *worker) AssignedState(e *am.Event) {
	w.job = job{name: e.Args["job"].(string), url: e.Args["url"].(string)}
}

func (w *worker) DownloadingState(e *am.Event) {
	w.attempt, _ = e.Args["attempt"].(int)
	mach, j, attempt := e.Machine, w.job, w.attempt
	// canceled when this activation ends: by a retry, or by disposal
	ctx := mach.NewStateCtx("Downloading")
	go func() {
		size, sum, err := w.faults.download(ctx, j.url)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			mach.AddErrState("ErrDownload", err, am.A{"job": j.name, "attempt": attempt})
		default:
			mach.Add1("Downloaded", am.A{"job": j.name, "attempt": attempt, "bytes": size, "checksum": sum})
		}
	}()
}

// DownloadedEnter accepts only a file with the right checksum: returning
// false cancels the transition, and the error state retries the download.
func (w *worker) DownloadedEnter(e *am.Event) bool {
	if e.Args["checksum"] == checksum(w.job.url) {
		return true
	}
	e.Machine.AddErrState("ErrDownload", fmt.Errorf("%s: %w", w.job.name, errChecksum),
		am.A{"job": w.job.name, "attempt": w.attempt})
	return false
}

func (w *worker) ProcessingState(e *am.Event) {
	mach, j, attempt := e.Machine, w.job, w.attempt
	ctx := mach.NewStateCtx("Processing")
	go func() {
		records, err := w.faults.process(ctx, j.name)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			mach.AddErrState("ErrProcess", err, am.A{"job": j.name, "attempt": attempt})
		default:
			mach.Add1("Processed", am.A{"job": j.name, "records": records})
		}
	}()
}

func (w *worker) ProcessedState(e *am.Event) {
	w.outcome = "JobDone"
	e.Machine.EvRemove1(e, "Assigned", nil)
}

func (w *worker) ErrDownloadState(e *am.Event) { w.retry(e) }

func (w *worker) ErrProcessState(e *am.Event) { w.retry(e) }

// ExceptionState fails the job on an error that no typed error state
// handles, such as a panicking handler: nothing says a retry would help.
func (w *worker) ExceptionState(e *am.Event) {
	if e.Machine.Any(am.S{"ErrDownload", "ErrProcess"}) || !e.Machine.Is1("Assigned") {
		return
	}
	w.fail(e)
}

// retry downloads the job again after a backoff that doubles with each
// attempt, or fails the job once it has had all its attempts.
func (w *worker) retry(e *am.Event) {
	attempt, _ := e.Args["attempt"].(int)
	if attempt >= w.opts.MaxAttempts {
		w.fail(e)
		return
	}
	w.stats.retried.Add(1)
	mach, j := e.Machine, w.job
	backoff := w.opts.RetryBackoff << (attempt - 1)
	// a job that ends meanwhile (the machine is disposed) cancels the retry
	ctx := mach.NewStateCtx("Assigned")
	go func() {
		if sleep(ctx, backoff) != nil {
			return
		}
		mach.Remove1(am.Exception, nil)
		mach.Add1("Downloading", am.A{"job": j.name, "attempt": attempt + 1})
	}()
}

// fail gives up on the job: the worker clears its error and goes idle,
// reporting JobFailed.
func (w *worker) fail(e *am.Event) {
	w.outcome = "JobFailed"
	e.Machine.Log("%s failed after %d attempts: %v", w.job.name, w.attempt, e.Machine.Err())
	e.Machine.EvRemove(e, am.S{"Assigned", am.Exception}, nil)
}
