// Package loki is a client for the push API of Grafana Loki
// (POST /loki/api/v1/push), which VictoriaLogs and other log stores accept
// too. Import it as loki:
//
//	import "github.com/amkit-dev/amkit/pkg/telemetry/loki"
//
// A [Client] takes entries with [Client.Push], which never blocks: entries
// wait in a bounded queue, and while the queue is full new entries are
// dropped and counted. One goroutine per client groups queued entries into
// batches, by count ([Options.BatchEntries]), by size
// ([Options.BatchBytes]) and by age ([Options.BatchWait]), and posts one
// batch at a time, so a slow or unreachable server costs dropped entries,
// never the caller's time or unbounded memory.
//
// # Wire format
//
// Batches are sent as snappy-compressed protobuf by default, the format of
// Loki's own agents, or as JSON ([JSON]). Each entry belongs to the stream
// named by its labels, [Options.Labels] merged with [Entry.Labels]; labels
// must stay few and low-cardinality, because the server keeps an index
// entry per stream. Values that vary per entry, such as request or trace
// IDs, belong in [Entry.Metadata], which Loki stores as structured metadata
// next to the line (Loki 3.0 or later, with structured metadata allowed).
//
// # Delivery
//
// Every request has a timeout ([Options.Timeout]). A batch answered with
// 429 Too Many Requests, a 5xx status or a network error is sent again
// after an exponential backoff, or after the server's Retry-After when it
// sends one, up to [Options.MaxRetries] times; other 4xx answers mean the
// server will never take that batch, so it is given up at once. Batches
// that are given up are counted as failed ([Stats]), and failures are
// logged at most once per [Options.ErrorLogInterval], with counts, so a
// long outage costs a handful of log lines.
//
// [Client.Flush] and [Client.Close] send what is queued and say how many
// entries could not be delivered ([LostError]).
package loki
