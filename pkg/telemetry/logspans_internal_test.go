package amtele

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// fixedSpanner names one sampled span for every transition.
type fixedSpanner struct{ sc trace.SpanContext }

func (s fixedSpanner) TransitionSpanContext(string, uint64) (trace.SpanContext, bool) {
	return s.sc, true
}

// dropClient takes every entry and keeps none.
type dropClient struct{}

func (dropClient) Push(loki.Entry) bool        { return true }
func (dropClient) Flush(context.Context) error { return nil }

// BenchmarkLokiSinkEntry times what the Loki logger costs the machine's
// goroutine per entry, with the delivery running: queuing an entry alone
// (untraced), and queuing it with its transition span's IDs, three entries
// per transition as the machine benchmarks make (traced). Flushes every
// queue's worth of entries keep the queue from filling, outside the timer;
// the queue is large because a flush waits for the delivery's next tick.
func BenchmarkLokiSinkEntry(b *testing.B) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	})
	for _, traced := range []bool{false, true} {
		name := "untraced"
		if traced {
			name = "traced"
		}
		b.Run(name, func(b *testing.B) {
			const queue = 1 << 16
			l, err := NewLokiLogger(mustMachine(b), dropClient{}, &LokiLoggerOpts{QueueSize: queue})
			if err != nil {
				b.Fatal(err)
			}
			ms := &machineSpans{id: "bench"}
			ms.spanner.Store(&spannerRef{fixedSpanner{sc}})
			sink := &lokiMachineSink{logger: l, spans: ms}
			e := am.LogEntry{Time: time.Now(), Level: am.LogLevelChanges, Text: "[state] +A", MachineID: "bench"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.TxID = uint64(i/3 + 1)
				if traced {
					sink.LogEntry(&e)
				} else {
					l.LogEntry(&e)
				}
				if i++; i%queue == 0 {
					b.StopTimer()
					if err := l.Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
			if n := l.Dropped(); n != 0 {
				b.Fatalf("%d entries dropped", n)
			}
		})
	}
}

// mustMachine returns an idle machine for the logger to bind to.
func mustMachine(b *testing.B) *am.Machine {
	b.Helper()
	m, err := am.New(context.Background(), am.Schema{}, &am.Opts{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Dispose)
	return m
}
