// Package drops counts the telemetry that exporters drop or fail to
// deliver, in one place that every exporter writes to and any reader (such
// as amprom's am_telemetry_dropped_total) reads, without the reader
// importing the exporters.
//
// An exporter registers a counter under its name; the counts of one name
// add up, across instances and over time:
//
//	unregister := drops.Register(drops.OtelSpans, exp.Dropped)
//	defer unregister() // keeps the final count in the total
package drops

import (
	"slices"
	"sync"
)

// Exporter names used by amkit's exporters.
const (
	// OtelSpans counts spans that amtele's providers dropped from a full
	// queue or failed to export.
	OtelSpans = "otel_spans"
	// OtelLogs counts log records that amtele's providers dropped from a
	// full queue or failed to export.
	OtelLogs = "otel_logs"
	// Pushgateway counts failed pushes of amprom.
	Pushgateway = "pushgateway"
	// Dbg counts the messages a dbg tracer dropped.
	Dbg = "dbg"
	// Loki counts the log entries the Loki client dropped or failed to
	// push.
	Loki = "loki"
)

// registry holds the counters; exporters come and go rarely, so a mutex
// is enough.
var registry = struct {
	sync.Mutex
	live map[string][]*entry
	// gone keeps the final counts of unregistered counters, so that a total
	// never decreases.
	gone map[string]uint64
}{live: map[string][]*entry{}, gone: map[string]uint64{}}

type entry struct{ count func() uint64 }

// Register adds count to the total of exporter. count must be safe to call
// from any goroutine and never decrease. Calling the returned function
// stops calling count and keeps its last value in the total; calling it
// again does nothing.
func Register(exporter string, count func() uint64) (unregister func()) {
	e := &entry{count: count}
	registry.Lock()
	registry.live[exporter] = append(registry.live[exporter], e)
	registry.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			registry.Lock()
			defer registry.Unlock()
			registry.live[exporter] = slices.DeleteFunc(registry.live[exporter], func(x *entry) bool { return x == e })
			registry.gone[exporter] += e.count()
		})
	}
}

// Total returns the count of one exporter.
func Total(exporter string) uint64 {
	registry.Lock()
	defer registry.Unlock()
	return totalLocked(exporter)
}

func totalLocked(exporter string) uint64 {
	n := registry.gone[exporter]
	for _, e := range registry.live[exporter] {
		n += e.count()
	}
	return n
}

// Each calls fn with the total of every exporter that has registered a
// counter, in name order.
func Each(fn func(exporter string, total uint64)) {
	registry.Lock()
	names := make([]string, 0, len(registry.live)+len(registry.gone))
	for name := range registry.live {
		names = append(names, name)
	}
	for name := range registry.gone {
		if _, ok := registry.live[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	totals := make([]uint64, len(names))
	for i, name := range names {
		totals[i] = totalLocked(name)
	}
	registry.Unlock()
	for i, name := range names {
		fn(name, totals[i])
	}
}
