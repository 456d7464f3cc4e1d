package main

import (
	"fmt"
	"sync/atomic"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// The workflow is a download-and-process pipeline. A supervisor machine
// takes jobs (files to fetch) as they arrive, keeps a backlog, and hands
// each job to an idle worker. Workers are submachines of the supervisor:
// each downloads its file, checks it, processes it, and reports back. The
// simulated network fails now and then, and the mirror has outages, so
// downloads are retried, some jobs fail for good, and the supervisor sheds
// load and slows down when too many fail.

// workflowOpts configures the pipeline.
type workflowOpts struct {
	// Workers is the number of worker machines.
	Workers int
	// JobEvery is the mean time between arriving jobs.
	JobEvery time.Duration
	// BurstEvery and BurstSize make every BurstEvery-th arrival bring
	// BurstSize jobs at once, more than the workers can take.
	BurstEvery, BurstSize int
	// MaxBacklog is the number of waiting jobs at which new ones are shed.
	MaxBacklog int
	// MaxAttempts bounds the attempts at one job.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry; it doubles with each
	// further attempt.
	RetryBackoff time.Duration
	// Faults sets the simulated work and its failures.
	Faults faultOpts
	// LogLevel is the log level of every machine.
	LogLevel am.LogLevel
	// LogSink receives every machine's log entries; nil leaves the
	// machines' default (standard error, or the sinks of exporters).
	LogSink am.LogSink
}

// defaultWorkflow is paced for people watching: a few transitions per
// second per worker, a failed attempt every few jobs, and a mirror outage
// every half minute.
func defaultWorkflow() workflowOpts {
	return workflowOpts{
		Workers:      3,
		JobEvery:     500 * time.Millisecond,
		BurstEvery:   20,
		BurstSize:    8,
		MaxBacklog:   6,
		MaxAttempts:  3,
		RetryBackoff: 200 * time.Millisecond,
		Faults: faultOpts{
			DownloadTime:     [2]time.Duration{200 * time.Millisecond, 800 * time.Millisecond},
			ProcessTime:      [2]time.Duration{100 * time.Millisecond, 400 * time.Millisecond},
			DownloadFailRate: 0.12,
			CorruptRate:      0.05,
			ProcessFailRate:  0.08,
			OutageEvery:      30 * time.Second,
			OutageFor:        4 * time.Second,
		},
		LogLevel: am.LogLevelChanges,
	}
}

// loggableArgs are the mutation args that logs and telemetry may show: job
// names and counters, nothing large or secret.
var loggableArgs = []string{"job", "url", "worker", "attempt", "bytes", "records"}

// stats count what happened to jobs. Handlers and goroutines of different
// machines update them, and the progress line reads them, hence atomics.
type stats struct {
	arrived, shed, done, failed, retried, dropped atomic.Int64
}

func (s *stats) String() string {
	return fmt.Sprintf("%d jobs arrived: %d done, %d failed, %d shed, %d dropped; %d retries",
		s.arrived.Load(), s.done.Load(), s.failed.Load(), s.shed.Load(), s.dropped.Load(), s.retried.Load())
}
