package ui

import (
	"strconv"
	"testing"

	tea "charm.land/bubbletea/v2"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// A machine keeps its newest transitions only, in a ring of the limit's
// size, and the timeline says how many were evicted.
func TestHistoryLimit(t *testing.T) {
	s := newSynthetic(100)
	s.machine("busy", "")
	for range 250 {
		s.tx("busy")
	}
	h := &s.store.machs["busy"].hist
	if h.len() != 100 || cap(h.ring) != 100 || h.first != 150 || h.next != 250 {
		t.Fatalf("history: %d kept, ring cap %d, seqs %d-%d; want 100, 100, 150-250",
			h.len(), cap(h.ring), h.first, h.next)
	}
	if h.at(149) != nil || h.at(150).msg.ID != 151 || h.at(249).msg.ID != 250 || h.at(250) != nil {
		t.Errorf("history bounds: at(149) %v, at(150) #%d, at(249) #%d, at(250) %v",
			h.at(149), h.at(150).msg.ID, h.at(249).msg.ID, h.at(250))
	}
	m := New(s.store, nil)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	press(m, "home")
	scr := screen(m)
	wantLine(t, scr, "transitions 1/100 · 150 older evicted")
	wantLine(t, scr, "▶   151")
	wantLine(t, scr, "busy", "250") // the count includes evicted transitions
	wantLine(t, scr, "recording", "busy history 1/100")
}

// A struct message sent again unchanged keeps the schema version; a
// changed one starts a new version, and older transitions keep theirs.
func TestSchemaVersions(t *testing.T) {
	s := NewStore(0)
	src := source{conn: "c", live: true}
	v1 := &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A"}, Schema: am.Schema{"Exception": {Multi: true}, "A": {}}}
	s.add(src, v1)
	first := s.machs["m"].sch
	s.add(src, &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A"}, Schema: am.Schema{"Exception": {Multi: true}, "A": {}}})
	if s.machs["m"].sch != first {
		t.Error("an unchanged struct message made a new schema version")
	}
	s.add(src, &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true})
	s.add(src, &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A", "B"},
		Schema: am.Schema{"Exception": {Multi: true}, "A": {}, "B": {Require: am.S{"A"}}}, Clocks: am.Time{0, 1, 0}})
	s.add(src, &dbg.DbgMsgTx{MachineID: "m", ID: 2, Clocks: am.Time{0, 1, 1}, Called: []int{2}, Accepted: true})
	h := &s.machs["m"].hist
	one, two := h.at(0), h.at(1)
	if one.sch != first || two.sch == first {
		t.Fatal("transitions do not keep the schema version they ran with")
	}
	if one.calledNames()[0] != "A" || two.calledNames()[0] != "B" {
		t.Errorf("called: %v, %v", one.calledNames(), two.calledNames())
	}
	if two.change("B") != activated || two.change("A") != unchanged {
		t.Errorf("changes across versions: B %v, A %v", two.change("B"), two.change("A"))
	}
	if got := two.sch.inbound["A"].Require; len(got) != 1 || got[0] != "B" {
		t.Errorf("A required by %v, want B", got)
	}
}

// A disposal marks the machine whatever its connection does; a struct
// message for the same ID afterwards is a new machine, running.
func TestDisposeAndReuse(t *testing.T) {
	s := NewStore(0)
	src := source{conn: "c", live: true}
	st := &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception"}}
	s.add(src, st)
	s.add(src, &dbg.DbgMsgDispose{MachineID: "m"})
	m := s.machs["m"]
	if lifeMarker(m) != "✕" {
		t.Errorf("disposed, connected: %s, want ✕", lifeMarker(m))
	}
	s.connClosed("c")
	if lifeMarker(m) != "✕" {
		t.Errorf("disposed, disconnected: %s, want ✕", lifeMarker(m))
	}
	s.add(source{conn: "d", live: true}, st)
	if lifeMarker(m) != "●" {
		t.Errorf("the ID reused: %s, want ●", lifeMarker(m))
	}
	s.connClosed("d")
	if lifeMarker(m) != "○" {
		t.Errorf("its client gone: %s, want ○", lifeMarker(m))
	}
}

// Transitions of a machine no struct message described get states named
// by index, and never index out of range.
func TestTransitionWithoutStruct(t *testing.T) {
	s := NewStore(0)
	s.add(source{}, &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1, 7},
		Steps: []am.Step{{Type: am.StepRequested, State: 9, Related: -1}}, Accepted: true})
	m := New(s, nil)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	scr := screen(m)
	wantLine(t, scr, "● #1", "1 +*")
	wantLine(t, scr, "✓ #1 #7")
}

func TestTree(t *testing.T) {
	s := NewStore(0)
	for _, m := range []struct{ id, parent string }{
		{"root", ""}, {"a", "root"}, {"orphan", "gone"}, {"a1", "a"}, {"b", "root"}, {"x", "y"}, {"y", "x"},
	} {
		s.add(source{}, &dbg.DbgMsgStruct{MachineID: m.id, ParentID: m.parent})
	}
	var got []string
	for _, r := range buildTree(s.order, s.machs) {
		got = append(got, r.prefix+r.m.id)
	}
	want := []string{"root", "├ a", "│ └ a1", "└ b", "orphan", "x", "└ y"}
	if strconv.Quote(join(got)) != strconv.Quote(join(want)) {
		t.Errorf("tree:\n%s\nwant:\n%s", join(got), join(want))
	}
}

func join(lines []string) string {
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

// An inbox the UI stops taking from drops transitions past its limit, and
// keeps struct messages, which later transitions need, and dispose
// messages, which say how a machine ended.
func TestInboxLimit(t *testing.T) {
	in := NewInbox(10)
	s := newSynthetic(0)
	s.clock["m"] = make(am.Time, len(s.names))
	batch := &dbg.Batch{ClientID: "c", Dropped: 3}
	batch.Msgs = append(batch.Msgs, &dbg.DbgMsgStruct{MachineID: "m", StateNames: s.names})
	for range 20 {
		batch.Msgs = append(batch.Msgs, s.txMsg("m"))
	}
	batch.Msgs = append(batch.Msgs, &dbg.DbgMsgDispose{MachineID: "m"})
	in.HandleBatch(server.Peer{ID: 1, Addr: "a"}, batch)
	store := NewStore(0)
	in.drain(store)
	if len(store.order) != 1 || store.order[0].hist.len() != 0 || store.lost != 20 || store.droppedTotal() != 23 {
		t.Fatalf("machines %d, lost %d, dropped %d; want 1 without transitions, 20, 23",
			len(store.order), store.lost, store.droppedTotal())
	}
	if !store.order[0].disposed {
		t.Error("the dispose message was dropped")
	}
	m := New(store, &Options{Inbox: in, Source: "here"})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	wantLine(t, screen(m), "listening here", "0 clients", "23 dropped")
}

// Paging through a long timeline keeps the cursor on screen.
func TestScrolling(t *testing.T) {
	s := newSynthetic(0)
	s.machine("m", "")
	for range 500 {
		s.tx("m")
	}
	m := New(s.store, nil)
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
