package amtele

import (
	"context"
	"sync/atomic"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// The SDK's batch processors drop what a full queue cannot hold and count
// it privately. To count drops where users can read them, a processor
// wrapper keeps the number of items handed to the batch processor and not
// yet through its exporter (pending) under the queue's size, dropping and
// counting the rest itself: the batch processor's queue then never fills,
// so it never drops anything uncounted. The exporter wrapper counts what
// leaves, and what failed.

// exportCounts are the counters of one batch processor and its exporter.
type exportCounts struct {
	// capacity is the batch processor's queue size.
	capacity int64
	pending  atomic.Int64
	dropped  atomic.Uint64
	failed   atomic.Uint64
}

// admit reports whether one more item fits in the queue, counting a drop
// when it does not.
func (c *exportCounts) admit() bool {
	if c.pending.Add(1) > c.capacity {
		c.pending.Add(-1)
		c.dropped.Add(1)
		return false
	}
	return true
}

// exported records an export of n items that returned err.
func (c *exportCounts) exported(n int, err error) {
	c.pending.Add(-int64(n))
	if err != nil {
		c.failed.Add(uint64(n))
	}
}

// lost is what never reached the backend: dropped and failed.
func (c *exportCounts) lost() uint64 { return c.dropped.Load() + c.failed.Load() }

// countingSpanProcessor counts the spans its batch processor would drop.
type countingSpanProcessor struct {
	sdktrace.SpanProcessor
	c *exportCounts
	// unregister ends the count in package drops.
	unregister func()
}

// OnEnd hands s to the batch processor if its queue has room.
func (p *countingSpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	// the batch processor ignores spans that are not sampled
	if s.SpanContext().IsSampled() && p.c.admit() {
		p.SpanProcessor.OnEnd(s)
	}
}

// countingSpanExporter counts the spans exported and failed.
type countingSpanExporter struct {
	sdktrace.SpanExporter
	c *exportCounts
}

// ExportSpans exports spans and counts them.
func (e *countingSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.c.exported(len(spans), err)
	return err
}

// Shutdown flushes and stops the batch processor, then keeps the final
// count in the drops total. The tracer provider calls it from its own
// Shutdown.
func (p *countingSpanProcessor) Shutdown(ctx context.Context) error {
	err := p.SpanProcessor.Shutdown(ctx)
	p.unregister()
	return err
}

// newCountingSpanBatcher returns a batch span processor over exp whose
// drops and failures go to c, and to package drops under [drops.OtelSpans]
// until the processor is shut down.
func newCountingSpanBatcher(exp sdktrace.SpanExporter, c *exportCounts) sdktrace.SpanProcessor {
	bsp := sdktrace.NewBatchSpanProcessor(&countingSpanExporter{SpanExporter: exp, c: c},
		sdktrace.WithMaxQueueSize(int(c.capacity)))
	return &countingSpanProcessor{SpanProcessor: bsp, c: c, unregister: drops.Register(drops.OtelSpans, c.lost)}
}

// countingLogProcessor counts the log records its batch processor would
// drop.
type countingLogProcessor struct {
	*sdklog.BatchProcessor
	c *exportCounts
	// unregister ends the count in package drops.
	unregister func()
}

// OnEmit hands r to the batch processor if its queue has room.
func (p *countingLogProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if !p.c.admit() {
		return nil
	}
	return p.BatchProcessor.OnEmit(ctx, r)
}

// countingLogExporter counts the records exported and failed.
type countingLogExporter struct {
	sdklog.Exporter
	c *exportCounts
}

// Export exports records and counts them.
func (e *countingLogExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := e.Exporter.Export(ctx, records)
	e.c.exported(len(records), err)
	return err
}

// Shutdown flushes and stops the batch processor, then keeps the final
// count in the drops total. The logger provider calls it from its own
// Shutdown, which is what lets a provider that is only an
// *sdklog.LoggerProvider, as NewOtelLoggerProvider returns, unregister.
func (p *countingLogProcessor) Shutdown(ctx context.Context) error {
	err := p.BatchProcessor.Shutdown(ctx)
	p.unregister()
	return err
}

// newCountingLogBatcher returns a batch log processor over exp whose drops
// and failures go to c, and to package drops under [drops.OtelLogs] until
// the processor is shut down.
func newCountingLogBatcher(exp sdklog.Exporter, c *exportCounts) sdklog.Processor {
	blp := sdklog.NewBatchProcessor(&countingLogExporter{Exporter: exp, c: c},
		sdklog.WithMaxQueueSize(int(c.capacity)))
	return &countingLogProcessor{BatchProcessor: blp, c: c, unregister: drops.Register(drops.OtelLogs, c.lost)}
}
