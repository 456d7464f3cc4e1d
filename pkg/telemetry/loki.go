package amtele

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// Loki stream labels and structured metadata that [BindLokiLogger] adds to
// every entry. The service name comes from the client's own labels
// (loki.Options.Labels), as in the example of BindLokiLogger.
const (
	// LokiLabelMachineID holds the ID of the machine that logged.
	LokiLabelMachineID = "machine_id"
	// LokiLabelLevel holds the entry's machine log level: "changes",
	// "ops", "decisions" or "everything".
	LokiLabelLevel = "level"
	// LokiMetaTxID is the structured metadata holding the ID of the
	// transition that logged, for entries made during one. It is not a
	// label: every transition has its own, which as a label would make a
	// stream per transition.
	LokiMetaTxID = "tx_id"
	// LokiMetaTraceID and LokiMetaSpanID are the structured metadata
	// holding the trace and span IDs (in hex) of the transition that
	// logged, when an OTel tracer ([NewOtelMachTracer]) traces the machine
	// and sampled the transition's span.
	LokiMetaTraceID = "trace_id"
	LokiMetaSpanID  = "span_id"
)

// DefaultLokiQueueSize is the number of entries a [LokiLogger] holds for
// its client when [LokiLoggerOpts.QueueSize] is zero.
const DefaultLokiQueueSize = 2048

// The delivery goroutine takes what is queued every lokiTick, rather
// than waking for each entry: waking a parked goroutine costs the machine
// more than the entry itself, and logs can wait a few milliseconds, as
// the client batches them for longer anyway. It exits after lokiIdle
// without entries; a busy machine keeps one goroutine, an idle one none.
const (
	lokiTick = 5 * time.Millisecond
	lokiIdle = time.Second
)

// LokiClient is what [BindLokiLogger] needs from a Loki client; the
// [loki.Client] of package github.com/amkit-dev/amkit/pkg/telemetry/loki
// implements it. Push must not block; it is never called from a
// machine's goroutine.
type LokiClient interface {
	// Push queues an entry, or drops it and returns false.
	Push(e loki.Entry) bool
	// Flush sends what was pushed before it.
	Flush(ctx context.Context) error
}

// LokiLoggerOpts configures [NewLokiLogger]. The zero value is valid.
type LokiLoggerOpts struct {
	// QueueSize bounds the entries waiting to be handed to the client.
	// While the queue is full, new entries are dropped and counted (see
	// [LokiLogger.Dropped]), so that the machine never waits. The client
	// has a bounded queue of its own, which absorbs a slow or unreachable
	// Loki; this one only has to hold what arrives while entries are
	// converted. Zero means [DefaultLokiQueueSize].
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

	// only the delivering goroutine uses what follows
	//
	// streams holds one label map per machine and level, shared by their
	// entries
	streams map[lokiStream]map[string]string
	// tx is the metadata of the last transition that logged, shared by
	// its entries, which come one after another
	tx lokiTx
	// slab holds the metadata slices handed out, lokiSlab labels per
	// allocation
	slab []loki.Label
}

// lokiSlab is how many metadata labels one allocation holds.
const lokiSlab = 256

// lokiTx is the structured metadata of one transition's entries.
type lokiTx struct {
	machineID string
	id        uint64
	trace     trace.TraceID
	span      trace.SpanID
	meta      []loki.Label
}

// lokiStream names the stream of an entry, within the client's labels.
type lokiStream struct {
	machineID string
	level     am.LogLevel
}

// lokiStreamsKept bounds the label maps a logger keeps; past it, they
// are made again, so that many short-lived machine IDs cost no memory.
const lokiStreamsKept = 1024

// lokiItem is a queued entry, or a flush request that the delivery
// goroutine answers by closing flushed.
type lokiItem struct {
	entry am.LogEntry
	// trace and span are the IDs of the entry's transition span, zero
	// without one
	trace   trace.TraceID
	span    trace.SpanID
	flushed chan struct{}
}

// BindLokiLogger sends every log entry of mach, and of its submachines, to
// Loki through client, with [NewLokiLogger]'s defaults. For example:
//
//	client, err := loki.New(loki.Options{
//		URL:    "http://localhost:3100",
//		Labels: map[string]string{"service_name": "my-service"},
//	})
//	if err != nil {
//		return err
//	}
//	defer client.Close(ctx)
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
// service_name; an entry made during a transition carries the
// transition's ID as structured metadata ([LokiMetaTxID]). When an OTel
// tracer ([NewOtelMachTracer]) is bound to the same machine, in either
// order, such an entry also carries the trace and span IDs of the
// transition's span ([LokiMetaTraceID], [LokiMetaSpanID]), so that a line
// leads to its span; see [BindOtelLogger] for when a span is named.
//
// Entries follow the machine's log level ([am.Machine.SetLogLevel]), which
// is [am.LogLevelNothing] unless [am.Opts.LogLevel] says otherwise. The
// binding is an inheritable tracer, so submachines created with
// [am.Opts.Parent] (or [am.OptsWithParentTracers]) are logged too.
//
// The machine only copies each entry into a queue; a goroutine, running
// while there are entries, takes them every few milliseconds, turns them
// into [loki.Entry] values and pushes them to the client, which batches
// and sends them on a goroutine of its own.
//
// Loki keeps an index entry per stream, and the labels make one stream per
// machine and level. Many short-lived machines with distinct IDs therefore
// mean many small streams, which Loki handles poorly; for those, reuse a
// few IDs, or send logs over OTLP with [BindOtelLogger], which Loki stores
// with the machine ID as structured metadata instead of a label.
func NewLokiLogger(mach *am.Machine, client LokiClient, opts *LokiLoggerOpts) (*LokiLogger, error) {
	if mach == nil {
		return nil, errors.New("bind loki logger: nil machine")
	}
	b, err := newLokiBinder(client, opts)
	if err != nil {
		return nil, fmt.Errorf("bind loki logger: %w", err)
	}
	if err := mach.BindTracer(b); err != nil {
		return nil, fmt.Errorf("bind loki logger to %s: %w", mach.ID(), err)
	}
	return b.sink, nil
}

// newLokiBinder returns a logger's binder, to bind to a machine.
func newLokiBinder(client LokiClient, opts *LokiLoggerOpts) (*lokiBinder, error) {
	if client == nil {
		return nil, errors.New("nil client")
	}
	size := DefaultLokiQueueSize
	if opts != nil && opts.QueueSize != 0 {
		size = opts.QueueSize
	}
	if size < 0 {
		return nil, fmt.Errorf("negative queue size %d", size)
	}
	l := &LokiLogger{
		client:  client,
		queue:   make(chan lokiItem, size),
		streams: map[lokiStream]map[string]string{},
	}
	return &lokiBinder{sink: l}, nil
}

// lokiQueueDrops counts the entries that the queues of all loggers
// dropped, for package drops under [drops.Loki], next to the clients'
// counts; entries a client refused are in its count.
var lokiQueueDrops atomic.Uint64

func init() { drops.Register(drops.Loki, lokiQueueDrops.Load) }

// Dropped returns how many entries never reached the client's queue:
// the logger's queue was full, or the client refused them (its queue was
// full, usually because Loki is down or slow, or it was closed). The
// client's own counts, such as entries that Loki refused, are in its
// Stats. Both add up in package drops, under [drops.Loki], which amprom
// exports as am_telemetry_dropped_total{exporter="loki"}.
func (l *LokiLogger) Dropped() uint64 { return l.dropped.Load() }

// Flush hands every entry queued so far to the client and flushes the
// client, so that once it returns nil they are in Loki. It fails with
// the client's error, or when ctx ends.
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
	case <-ctx.Done():
		return fmt.Errorf("flush loki logger: %w", ctx.Err())
	}
	if err := l.client.Flush(ctx); err != nil {
		return fmt.Errorf("flush loki logger: %w", err)
	}
	return nil
}

// LogEntry queues e, or drops it when the queue is full. It implements
// [am.LogSink] and never blocks. Entries that reach the logger this way,
// rather than through a machine it is bound to, carry no span IDs.
func (l *LokiLogger) LogEntry(e *am.LogEntry) { l.enqueue(lokiItem{entry: *e}) }

// enqueue queues item, or drops it when the queue is full.
func (l *LokiLogger) enqueue(item lokiItem) {
	select {
	case l.queue <- item:
		l.wake()
	default:
		l.dropped.Add(1)
		lokiQueueDrops.Add(1)
	}
}

// wake starts the delivery goroutine unless it runs. The load spares
// the machine a read-modify-write per entry while it runs.
func (l *LokiLogger) wake() {
	if !l.running.Load() && l.running.CompareAndSwap(false, true) {
		go l.deliver()
	}
}

// deliver hands queued entries to the client every lokiTick, until the
// queue has been empty for lokiIdle.
func (l *LokiLogger) deliver() {
	tick := time.NewTicker(lokiTick)
	defer tick.Stop()
	idle := time.Duration(0)
	for {
		if l.drain() {
			idle = 0
		} else if idle += lokiTick; idle >= lokiIdle {
			l.running.Store(false)
			// an entry queued just before running was cleared found the
			// goroutine still running and did not wake it: take it over,
			// unless a new goroutine already did
			if len(l.queue) == 0 || !l.running.CompareAndSwap(false, true) {
				return
			}
			idle = 0
		}
		<-tick.C
	}
}

// drain hands what is queued to the client, and reports whether there
// was anything.
func (l *LokiLogger) drain() bool {
	for n := 0; ; n++ {
		select {
		case item := <-l.queue:
			l.send(&item)
		default:
			return n > 0
		}
	}
}

func (l *LokiLogger) send(item *lokiItem) {
	if item.flushed != nil {
		close(item.flushed)
		return
	}
	if !l.client.Push(l.entry(item)) {
		l.dropped.Add(1)
	}
}

// entry makes the Loki entry of a queued item.
func (l *LokiLogger) entry(item *lokiItem) loki.Entry {
	e := &item.entry
	out := loki.Entry{Time: e.Time, Labels: l.labels(e), Line: e.Text}
	if e.TxID != 0 {
		out.Metadata = l.txMeta(item)
	}
	return out
}

// txMeta returns the metadata of an entry made during a transition: its
// ID, and its span's IDs if it has one. The slice is shared by the
// transition's entries, which the client only reads.
func (l *LokiLogger) txMeta(item *lokiItem) []loki.Label {
	e := &item.entry
	tx := &l.tx
	if tx.meta != nil && tx.id == e.TxID && tx.machineID == e.MachineID && tx.trace == item.trace && tx.span == item.span {
		return tx.meta
	}
	n := 1
	if item.trace.IsValid() {
		n = 3
	}
	meta := l.labelSlice(n)
	meta[0] = loki.Label{Name: LokiMetaTxID, Value: strconv.FormatUint(e.TxID, 10)}
	if n == 3 {
		meta[1] = loki.Label{Name: LokiMetaTraceID, Value: item.trace.String()}
		meta[2] = loki.Label{Name: LokiMetaSpanID, Value: item.span.String()}
	}
	*tx = lokiTx{machineID: e.MachineID, id: e.TxID, trace: item.trace, span: item.span, meta: meta}
	return meta
}

// labelSlice returns a slice of n labels, cut from the slab so that
// metadata costs an allocation per lokiSlab labels, not one per entry.
// Its capacity is n: an append to it cannot reach into the slab.
func (l *LokiLogger) labelSlice(n int) []loki.Label {
	if len(l.slab)+n > cap(l.slab) {
		l.slab = make([]loki.Label, 0, max(lokiSlab, n))
	}
	start := len(l.slab)
	l.slab = l.slab[:start+n]
	return l.slab[start : start+n : start+n]
}

// labels returns the stream labels of e, one map per machine and level,
// which the client keeps until it sent the entries using it.
func (l *LokiLogger) labels(e *am.LogEntry) map[string]string {
	key := lokiStream{machineID: e.MachineID, level: e.Level}
	if m, ok := l.streams[key]; ok {
		return m
	}
	if len(l.streams) >= lokiStreamsKept {
		clear(l.streams)
	}
	m := map[string]string{
		LokiLabelMachineID: e.MachineID,
		LokiLabelLevel:     e.Level.String(),
	}
	l.streams[key] = m
	return m
}

// lokiBinder adds the logger's sink to every machine it is bound to or
// inherited by.
type lokiBinder struct {
	am.NoOpTracer
	sink  *LokiLogger
	spans logSpans
}

// TracerID returns "loki-logger".
func (*lokiBinder) TracerID() string { return "loki-logger" }

// Inheritable returns true, so submachines log too.
func (*lokiBinder) Inheritable() bool { return true }

// BorrowsTransitions returns true: the binder reads a transition only
// within its hooks, and entries are copies, so the machine may reuse its
// transition records ([am.TransitionBorrower]).
func (*lokiBinder) BorrowsTransitions() bool { return true }

// TracerHooks returns TransitionInit, the one hook of the hot path the
// binder implements, so that machines skip the others ([am.HookFilter]).
func (*lokiBinder) TracerHooks() am.TracerHooks { return am.HookTransitionInit }

// MachineInit adds the sink. It is never removed: a machine logs its own
// disposal after its tracers heard of it, and without any sink that last
// entry would go to standard error.
func (b *lokiBinder) MachineInit(m *am.Machine) {
	m.AddLogSink(&lokiMachineSink{logger: b.sink, spans: b.spans.machine(m)})
}

// TransitionInit looks for the machine's transition spans, while it has
// none.
func (b *lokiBinder) TransitionInit(tx *am.Transition) { b.spans.seen(tx) }

// MachineDispose forgets the machine's span lookup; its sink keeps its own.
func (b *lokiBinder) MachineDispose(machineID string) { b.spans.disposed(machineID) }

// lokiMachineSink queues the entries of one machine with the IDs of their
// transition's span. The lookup runs here, on the machine's side, because
// the transition may have long ended by the time the delivery goroutine
// takes the entry; it costs one span lookup per transition, not per entry.
type lokiMachineSink struct {
	logger *LokiLogger
	spans  *machineSpans
}

// LogEntry queues e with its span's IDs.
func (s *lokiMachineSink) LogEntry(e *am.LogEntry) {
	item := lokiItem{entry: *e}
	if sc, ok := s.spans.span(e.TxID); ok {
		item.trace, item.span = sc.TraceID(), sc.SpanID()
	}
	s.logger.enqueue(item)
}
