// Package ui is am-dbg's terminal interface, a Bubble Tea program over
// what machines send through pkg/telemetry/dbg.
//
// # Data
//
// The UI reads a [store.Store], holding its read lock for each Update
// and View. Live, the store is pumped from the dbg server by another
// goroutine, and the UI redraws when the store's revision moves, at most
// 20 times a second ([FrameGap]); a recording's store is full before the
// UI starts. The timeline says how many of a machine's transitions the
// history limit or the memory budget evicted, and the status bar how many
// the budget evicted in all.
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
// transition count; ⏱ marks a machine with a handler stuck now, past
// its timeout, which the details pane and the status bar name while its
// transition has not ended. The states pane shows the selected machine's states as they
// were right after the transition under the cursor, and what that
// transition changed, then the selected state's relations in both
// directions. The transitions pane is the timeline; the details pane
// explains the transition under the cursor step by step, with how long
// each handler ran when the client timed it; the log pane
// shows the machine's log up to it.
//
// Two views take the place of the panes: the relations matrix of the
// selected machine, states × states (view_matrix.go), and the rain, a
// line per transition of every machine in arrival order (rain.go,
// view_rain.go). The diagrams key writes the selected machine's Mermaid
// and DOT files (diagrams.go). Clicks select and the wheel scrolls
// (mouse.go). Everything a peer sent is escaped before it reaches the
// terminal (safe.go).
//
// # Model
//
// [Model] follows Bubble Tea's model, update, view: Update takes keys,
// window sizes and store news and changes the state; View draws the
// state and changes nothing but scroll positions. Tests drive Update
// with key and mouse messages and read View. Keys are in keys.go; ?
// lists them.
package ui
