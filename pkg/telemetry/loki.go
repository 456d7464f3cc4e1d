package amtele

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ic2hrmk/promtail"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Loki stream labels that [BindLokiLogger] adds to every entry. The service
// name comes from the client's own labels, as in the example of
// BindLokiLogger.
const (
	// LokiLabelMachineID holds the ID of the machine that logged.
	LokiLabelMachineID = "machine_id"
	// LokiLabelLevel holds the entry's machine log level: "changes",
	// "ops", "decisions" or "everything".
	LokiLabelLevel = "level"
)

// DefaultLokiQueueSize is the number of entries a [LokiLogger] holds for
// its client when [LokiLoggerOpts.QueueSize] is zero.
const DefaultLokiQueueSize = 2048

// lokiIdle is how long the delivery goroutine waits for more entries
// before it exits; a busy machine keeps one goroutine, an idle one none.
const lokiIdle = time.Second

// LokiClient is what [BindLokiLogger] needs from a Loki client. The client
// of github.com/ic2hrmk/promtail implements it. LogfWithLabels may block
// (promtail's does once its own queue is full); it is never called from a
// machine's goroutine.
type LokiClient interface {
	LogfWithLabels(level promtail.Level, labels map[string]string, format string, args ...any)
}

// LokiLoggerOpts configures [NewLokiLogger]. The zero value is valid.
type LokiLoggerOpts struct {
	// QueueSize bounds the entries waiting for the client. While the
	// queue is full, new entries are dropped and counted (see
	// [LokiLogger.Dropped]), so a slow or unreachable Loki costs bounded
	// memory and never slows the machine. Zero means
	// [DefaultLokiQueueSize].
	QueueSize int
}

// LokiLogger sends the log entries of a machine and its submachines to
// Loki through a [LokiClient]. Create it with [BindLokiLogger] or
// [NewLokiLogger].
type LokiLogger struct {
	client  LokiClient
	queue   chan lokiItem
	running atomic.Bool
	dropped atomic.Uint64
}

// lokiItem is a queued entry, or a flush request that the delivery
// goroutine answers by closing flushed.
type lokiItem struct {
	entry   am.LogEntry
	flushed chan struct{}
}

// BindLokiLogger sends every log entry of mach, and of its submachines, to
// Loki through client, with [NewLokiLogger]'s defaults. For example, with
// github.com/ic2hrmk/promtail:
//
//	client, err := promtail.NewJSONv1Client("localhost:3100", map[string]string{
//		"service_name": "my-service",
//	})
//	if err != nil {
//		return err
//	}
//	defer client.Close()
//	logger, err := amtele.BindLokiLogger(mach, client)
//	if err != nil {
//		return err
//	}
//	defer logger.Flush(ctx) // before client.Close
func BindLokiLogger(mach *am.Machine, client LokiClient) (*LokiLogger, error) {
	return NewLokiLogger(mach, client, nil)
}

// NewLokiLogger sends every log entry of mach, and of its submachines, to
// Loki through client. Each entry becomes a line holding its text, in a
// stream labelled with the machine ID ([LokiLabelMachineID]), the entry's
// level ([LokiLabelLevel]) and the client's own labels, such as
// service_name; the client picks its severity with [LokiLevel]. (The
// promtail JSON client starts each line with that severity, as in
// "INFO: [state] +Ready", and labels it logLevel.)
//
// Entries follow the machine's log level ([am.Machine.SetLogLevel]), which
// is [am.LogLevelNothing] unless [am.Opts.LogLevel] says otherwise. The
// binding is an inheritable tracer, so submachines created with
// [am.Opts.Parent] (or [am.OptsWithParentTracers]) are logged too.
//
// The machine only queues entries; a goroutine hands them to the client
// while there are any.
//
// The promtail client (v0.0.4) batches 5 entries or 5 seconds by default
// (see its WithSendBatchSize and WithSendBatchTimeout), posts one batch at
// a time without a timeout, and its Close drops the entries it has not
// taken from its own queue yet. A hanging Loki therefore stalls it until
// the connection breaks; the logger meanwhile drops and counts what does
// not fit in its queue, and delivery resumes with the client.
//
// Loki keeps an index entry per stream, and the labels make one stream per
// machine and level. Many short-lived machines with distinct IDs therefore
// mean many small streams, which Loki handles poorly; for those, reuse a
// few IDs, or send logs over OTLP with [BindOtelLogger], which Loki stores
// with the machine ID as structured metadata instead of a label.
func NewLokiLogger(mach *am.Machine, client LokiClient, opts *LokiLoggerOpts) (*LokiLogger, error) {
	if mach == nil || client == nil {
		return nil, errors.New("bind loki logger: nil machine or client")
	}
	size := DefaultLokiQueueSize
	if opts != nil && opts.QueueSize != 0 {
		size = opts.QueueSize
	}
	if size < 0 {
		return nil, fmt.Errorf("bind loki logger: negative queue size %d", size)
	}
	l := &LokiLogger{client: client, queue: make(chan lokiItem, size)}
	if err := mach.BindTracer(&lokiBinder{sink: l}); err != nil {
		return nil, fmt.Errorf("bind loki logger to %s: %w", mach.ID(), err)
	}
	return l, nil
}

// LokiLevel returns the severity under which an entry is sent: errors the
// machine reports (entries starting with "[error]") are Error, changes and
// ops are Info, decisions and everything are Debug.
func LokiLevel(e *am.LogEntry) promtail.Level {
	switch {
	case strings.HasPrefix(e.Text, "[error]"):
		return promtail.Error
	case e.Level <= am.LogLevelOps:
		return promtail.Info
	}
	return promtail.Debug
}

// Dropped returns how many entries were dropped because the queue was
// full: the client did not keep up, usually because Loki is down or slow.
func (l *LokiLogger) Dropped() uint64 { return l.dropped.Load() }

// Flush waits until every entry queued so far has been handed to the
// client, or until ctx ends. The client may still hold them in a batch of
// its own: close it (after Flush) to send that.
func (l *LokiLogger) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case l.queue <- lokiItem{flushed: done}:
	case <-ctx.Done():
		return fmt.Errorf("flush loki logger: %w", ctx.Err())
	}
	l.wake()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush loki logger: %w", ctx.Err())
	}
}

// LogEntry queues e, or drops it when the queue is full. It implements
// [am.LogSink] and never blocks.
func (l *LokiLogger) LogEntry(e *am.LogEntry) {
	select {
	case l.queue <- lokiItem{entry: *e}:
		l.wake()
	default:
		l.dropped.Add(1)
	}
}

// wake starts the delivery goroutine unless it runs.
func (l *LokiLogger) wake() {
	if l.running.CompareAndSwap(false, true) {
		go l.deliver()
	}
}

// deliver hands queued entries to the client until the queue has been
// empty for lokiIdle.
func (l *LokiLogger) deliver() {
	idle := time.NewTimer(lokiIdle)
	defer idle.Stop()
	for {
		select {
		case item := <-l.queue:
			l.send(item)
			idle.Reset(lokiIdle)
		case <-idle.C:
			l.running.Store(false)
			// an entry queued just before running was cleared found the
			// goroutine still running and did not wake it: take it over,
			// unless a new goroutine already did
			if len(l.queue) == 0 || !l.running.CompareAndSwap(false, true) {
				return
			}
			idle.Reset(lokiIdle)
		}
	}
}

func (l *LokiLogger) send(item lokiItem) {
	if item.flushed != nil {
		close(item.flushed)
		return
	}
	e := &item.entry
	labels := map[string]string{
		LokiLabelMachineID: e.MachineID,
		LokiLabelLevel:     e.Level.String(),
	}
	l.client.LogfWithLabels(LokiLevel(e), labels, "%s", e.Text)
}

// lokiBinder adds the logger's sink to every machine it is bound to or
// inherited by.
type lokiBinder struct {
	am.NoOpTracer
	sink *LokiLogger
}

// TracerID returns "loki-logger".
func (*lokiBinder) TracerID() string { return "loki-logger" }

// Inheritable returns true, so submachines log too.
func (*lokiBinder) Inheritable() bool { return true }

// MachineInit adds the sink. It is never removed: a machine logs its own
// disposal after its tracers heard of it, and without any sink that last
// entry would go to standard error.
func (b *lokiBinder) MachineInit(m *am.Machine) { m.AddLogSink(b.sink) }
