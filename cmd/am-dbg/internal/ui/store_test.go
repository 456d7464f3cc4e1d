package ui

import (
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// The timeline says how many transitions the history limit evicted.
func TestHistoryLimit(t *testing.T) {
	data := store.New(&store.Options{HistoryLimit: 100})
	syn := storetest.New()
	syn.Machine(data, "busy", "")
	syn.Txs(data, "busy", 250)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	press(m, "home")
	scr := screen(m)
	wantLine(t, scr, "transitions 1/100 · 150 older evicted")
	wantLine(t, scr, "▶   151")
	wantLine(t, scr, "busy", "250") // the count includes evicted transitions
	wantLine(t, scr, "recording", "busy history 1/100")
}

// Transitions of a machine no struct message described get states named
// by index, and never index out of range.
func TestTransitionWithoutStruct(t *testing.T) {
	data := store.New(nil)
	data.AddRecord(&recording.Record{Msg: &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1, 7},
		Steps: []am.Step{{Type: am.StepRequested, State: 9, Related: -1}}, Accepted: true}})
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	scr := screen(m)
	wantLine(t, scr, "● #1", "1 +*")
	wantLine(t, scr, "✓ #1 #7")
}

// The status bar counts what the clients and the inbox dropped.
func TestDroppedShown(t *testing.T) {
	in := store.NewInbox(&store.InboxOptions{MaxMsgs: 10})
	syn := storetest.New()
	batch := &dbg.Batch{ClientID: "c", Dropped: 3}
	batch.Msgs = append(batch.Msgs, syn.Struct("m", ""))
	for range 20 {
		batch.Msgs = append(batch.Msgs, syn.Tx("m"))
	}
	in.HandleBatch(server.Peer{ID: 1, Addr: "a"}, batch)
	data := store.New(nil)
	data.Drain(in)
	m := New(data, &Options{Live: true, Source: "here"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	wantLine(t, screen(m), "listening here", "0 clients", "23 dropped")
}

// The status bar counts the connections the server turned away, once
// there are any.
func TestTurnedAwayShown(t *testing.T) {
	var n uint64
	m := New(store.New(nil), &Options{Live: true, Source: "here", TurnedAway: func() uint64 { return n }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	if line := lineWith(screen(m), "listening here"); strings.Contains(line, "turned away") {
		t.Errorf("nothing turned away, yet the status bar says so: %q", line)
	}
	n = 3
	wantLine(t, screen(m), "listening here", "0 clients", "3 turned away")
}

// Paging through a long timeline keeps the cursor on screen.
func TestScrolling(t *testing.T) {
	data := store.New(nil)
	syn := storetest.New()
	syn.Machine(data, "m", "")
	syn.Txs(data, "m", 500)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	press(m, "tab", "tab", "home")
	wantLine(t, screen(m), "▶     1")
	press(m, "pgdown", "pgdown")
	pos := m.tl.pos(m.tl.cur) + 1
	if pos < 10 {
		t.Fatalf("two pages down: position %d", pos)
	}
	scr := screen(m)
	wantLine(t, scr, "▶", " "+strconv.Itoa(pos)+" ")
	wantLine(t, scr, "history "+strconv.Itoa(pos)+"/500")
	press(m, "end")
	wantLine(t, screen(m), "▶   500")

	// the log scrolls back from the cursor's entries, made at 500 ms
	press(m, "tab", "tab")
	wantLine(t, screen(m), ".500 handled State5")
	for range 30 {
		press(m, "up")
	}
	scr = screen(m)
	if lineWith(scr, ".500 handled") != "" || lineWith(scr, ".485 handled") == "" {
		t.Errorf("the log did not scroll back 30 lines:\n%s", scr)
	}
}

// The status bar says what the memory budget evicted.
func TestEvictionShown(t *testing.T) {
	data := store.New(&store.Options{MaxBytes: 1 << 20})
	syn := storetest.New()
	syn.Machine(data, "old", "")
	syn.Send(data, &dbg.DbgMsgDispose{MachineID: "old"})
	syn.Machine(data, "m", "")
	syn.Txs(data, "m", 2000)
	m := New(data, nil)
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	data.RLock()
	st := data.Stats()
	data.RUnlock()
	if st.EvictedMachines != 1 || st.EvictedTransitions == 0 {
		t.Fatalf("stats %+v; want the disposed machine and some transitions evicted", st)
	}
	scr := screen(m)
	wantLine(t, scr, "memory full: evicted "+strconv.FormatUint(st.EvictedTransitions, 10)+" transitions, 1 machine")
	wantLine(t, scr, strconv.FormatUint(st.EvictedTransitions, 10)+" older evicted")
	wantLine(t, scr, "machines (1)")
}
