// Package ui is am-dbg's terminal interface, a Bubble Tea program over
// what machines send through pkg/telemetry/dbg.
//
// # Data
//
// A [Store] holds every machine heard of, its schema versions and its
// recent transitions. Live, the dbg server hands batches to an [Inbox]
// (a server.Handler that never makes a client wait) and the UI moves them
// into the store between frames, redrawing at most 20 times a second
// however fast transitions come. For a recording, the store is filled
// before the UI starts, with [Store.AddRecord].
//
// Memory is bounded by a per-machine history limit ([NewStore],
// [DefaultHistoryLimit], am-dbg's --history flag): a machine keeps its
// newest transitions, and the timeline says how many older ones were
// evicted. A kept transition costs about 1.3 KiB with five steps and two
// log lines, so the default of 5,000 is about 6.5 MB per busy machine.
//
// # Screen
//
//	machines | states | transitions
//	details           | log
//	status bar
//
// The machines pane is a tree by parent, each machine marked ● while it
// runs and its client is connected, ✕ once its client reported it
// disposed, and ○ when its client went away without that report (a
// crash, or the end of a recording made by an older client), with its
// transition count. The states pane shows the selected machine's states as they
// were right after the transition under the cursor, and what that
// transition changed, then the selected state's relations in both
// directions. The transitions pane is the timeline; the details pane
// explains the transition under the cursor step by step; the log pane
// shows the machine's log up to it.
//
// # Model
//
// [Model] follows Bubble Tea's model, update, view: Update takes keys,
// window sizes and inbox news and changes the state; View draws the
// state and changes nothing but scroll positions. Tests drive Update
// with key messages and read View. Keys are in keys.go; ? lists them.
package ui
