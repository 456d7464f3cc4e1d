// Package store is what am-dbg knows of the machines it heard from:
// every machine, its tree by parent, its schema versions, its clocks,
// whether it runs, was disposed or went away, and its recent
// transitions with their steps and logs. The terminal UI and the web
// inspector read the same store, concurrently.
//
// # Writing
//
// Live, the dbg server hands batches to an [Inbox], a server.Handler
// that never makes a client wait, and one goroutine moves them into the
// store with [Store.Pump], at most once per frame gap however fast
// transitions come. A recording is added with [Store.AddRecord].
//
// # Reading
//
// Readers hold [Store.RLock] while they read (a frame, a response), and
// follow live changes with [Store.Revision] and [Store.Changed]. A [Tx]
// and a [Schema] never change once made, and may be kept after the lock
// is released; a [Machine] and its [History] change, and are read under
// the lock.
//
// # Memory
//
// One budget ([Options.MaxBytes], am-dbg's --max-mem, 1 GiB by default)
// bounds machines, schemas, transitions and logs. Each message is
// accounted on arrival by an estimate of the heap it takes; over the
// budget the store evicts disposed machines first, then the oldest
// transitions, then the machines heard of first, and counts what it
// evicted ([Store.Stats]). A machine also keeps at most
// [Options.HistoryLimit] transitions. The inbox has a budget of its own
// ([InboxOptions]) for a store that falls behind.
package store
