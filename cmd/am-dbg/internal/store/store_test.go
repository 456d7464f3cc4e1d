package store_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// A machine keeps its newest transitions only, and its history says how
// many were evicted.
func TestHistoryLimit(t *testing.T) {
	data := store.New(&store.Options{HistoryLimit: 100})
	syn := storetest.New()
	syn.Machine(data, "busy", "")
	syn.Txs(data, "busy", 250)
	data.RLock()
	defer data.RUnlock()
	h := data.Lookup("busy").History()
	if h.Len() != 100 || h.First() != 150 || h.Next() != 250 {
		t.Fatalf("history: %d kept, seqs %d-%d; want 100, 150-250", h.Len(), h.First(), h.Next())
	}
	if h.At(149) != nil || h.At(150).Msg.ID != 151 || h.At(249).Msg.ID != 250 || h.At(250) != nil {
		t.Errorf("history bounds: At(149) %v, At(150) #%d, At(249) #%d, At(250) %v",
			h.At(149), h.At(150).Msg.ID, h.At(249).Msg.ID, h.At(250))
	}
	if st := data.Stats(); st.Transitions != 100 || st.TrimmedTransitions != 150 || st.EvictedTransitions != 0 {
		t.Errorf("stats %+v; want 100 kept, 150 trimmed, none evicted", st)
	}
}

// add applies messages as a recording would.
func add(data *store.Store, msgs ...dbg.DbgMsg) {
	for _, m := range msgs {
		data.AddRecord(&recording.Record{ClientID: "c", Conn: 1, Msg: m})
	}
}

// A struct message sent again unchanged keeps the schema version; a
// changed one starts a new version, and older transitions keep theirs.
func TestSchemaVersions(t *testing.T) {
	data := store.New(nil)
	v1 := &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A"}, Schema: am.Schema{"Exception": {Multi: true}, "A": {}}}
	add(data, v1)
	data.RLock()
	first := data.Lookup("m").Schema()
	data.RUnlock()
	add(data, &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A"}, Schema: am.Schema{"Exception": {Multi: true}, "A": {}}})
	data.RLock()
	if data.Lookup("m").Schema() != first {
		t.Error("an unchanged struct message made a new schema version")
	}
	data.RUnlock()
	add(data,
		&dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true},
		&dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A", "B"},
			Schema: am.Schema{"Exception": {Multi: true}, "A": {}, "B": {Require: am.S{"A"}}}, Clocks: am.Time{0, 1, 0}},
		&dbg.DbgMsgTx{MachineID: "m", ID: 2, Clocks: am.Time{0, 1, 1}, Called: []int{2}, Accepted: true})
	data.RLock()
	defer data.RUnlock()
	h := data.Lookup("m").History()
	one, two := h.At(0), h.At(1)
	if one.Schema != first || two.Schema == first {
		t.Fatal("transitions do not keep the schema version they ran with")
	}
	if one.CalledNames()[0] != "A" || two.CalledNames()[0] != "B" {
		t.Errorf("called: %v, %v", one.CalledNames(), two.CalledNames())
	}
	if two.Change("B") != store.Activated || two.Change("A") != store.Unchanged {
		t.Errorf("changes across versions: B %v, A %v", two.Change("B"), two.Change("A"))
	}
	if got := two.Schema.Inbound["A"].Require; len(got) != 1 || got[0] != "B" {
		t.Errorf("A required by %v, want B", got)
	}
}

// life returns how the machine's life stands, under the read lock.
func life(data *store.Store, id string) store.Life {
	data.RLock()
	defer data.RUnlock()
	return data.Lookup(id).Life()
}

// A disposal marks the machine whatever its connection does; a struct
// message for the same ID afterwards is a new machine, running.
func TestDisposeAndReuse(t *testing.T) {
	data := store.New(nil)
	syn := storetest.New()
	in := store.NewInbox(nil)
	ln := newPipeListener(in)
	c := ln.dial()
	st := syn.Struct("m", "")
	in.HandleBatch(server.Peer{Addr: c.addr}, &dbg.Batch{Msgs: []dbg.DbgMsg{st, &dbg.DbgMsgDispose{MachineID: "m"}}})
	data.Drain(in)
	if l := life(data, "m"); l != store.Disposed {
		t.Errorf("disposed, connected: %v", l)
	}
	c.close()
	data.Drain(in)
	if l := life(data, "m"); l != store.Disposed {
		t.Errorf("disposed, disconnected: %v", l)
	}
	d := ln.dial()
	in.HandleBatch(server.Peer{Addr: d.addr}, &dbg.Batch{Msgs: []dbg.DbgMsg{st}})
	data.Drain(in)
	if l := life(data, "m"); l != store.Running {
		t.Errorf("the ID reused: %v", l)
	}
	d.close()
	data.Drain(in)
	if l := life(data, "m"); l != store.Gone {
		t.Errorf("its client gone: %v", l)
	}
}

func TestTree(t *testing.T) {
	data := store.New(nil)
	for _, m := range []struct{ id, parent string }{
		{"root", ""}, {"a", "root"}, {"orphan", "gone"}, {"a1", "a"}, {"b", "root"}, {"x", "y"}, {"y", "x"},
	} {
		add(data, &dbg.DbgMsgStruct{MachineID: m.id, ParentID: m.parent})
	}
	data.RLock()
	defer data.RUnlock()
	var got []string
	for _, r := range data.Tree() {
		got = append(got, r.Prefix+r.Machine.ID()+"/"+strconv.Itoa(r.Depth))
	}
	want := []string{"root/0", "├ a/1", "│ └ a1/2", "└ b/1", "orphan/0", "x/0", "└ y/1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An inbox the store stops taking from drops transitions past its limit,
// and keeps struct messages, which later transitions need, and dispose
// messages, which say how a machine ended.
func TestInboxLimit(t *testing.T) {
	for _, opts := range []store.InboxOptions{{MaxMsgs: 10}, {MaxBytes: 10 << 10}} {
		in := store.NewInbox(&opts)
		syn := storetest.New()
		batch := &dbg.Batch{ClientID: "c", Dropped: 3}
		batch.Msgs = append(batch.Msgs, syn.Struct("m", ""))
		for range 20 {
			batch.Msgs = append(batch.Msgs, syn.Tx("m"))
		}
		batch.Msgs = append(batch.Msgs, &dbg.DbgMsgDispose{MachineID: "m"})
		in.HandleBatch(server.Peer{ID: 1, Addr: "a"}, batch)
		data := store.New(nil)
		data.Drain(in)
		data.RLock()
		ms := data.Machines()
		if len(ms) != 1 || ms[0].History().Len() != 0 || data.Dropped() != 23 {
			t.Fatalf("%+v: machines %d, dropped %d; want 1 without transitions, 23", opts, len(ms), data.Dropped())
		}
		if !ms[0].Disposed() {
			t.Errorf("%+v: the dispose message was dropped", opts)
		}
		data.RUnlock()
	}
}

// Arrivals lists every machine's kept transitions in the order they
// arrived, from a number either way, skipping what the history limit
// evicted and what keep refuses.
func TestArrivals(t *testing.T) {
	data := store.New(&store.Options{HistoryLimit: 5})
	syn := storetest.New()
	for _, id := range []string{"a", "b"} {
		syn.Machine(data, id, "")
	}
	// a gets 10, b 3: a's first 5 are evicted by the limit
	for i := range 13 {
		id := "a"
		if i%4 == 3 {
			id = "b"
		}
		syn.Send(data, syn.Tx(id))
	}
	data.RLock()
	defer data.RUnlock()
	str := func(as []store.Arrival) string {
		var out []string
		for _, a := range as {
			out = append(out, strconv.FormatUint(a.N, 10)+a.Machine.ID()+strconv.FormatUint(a.Tx.Msg.ID, 10))
		}
		return strings.Join(out, " ")
	}
	if data.Arrived() != 13 {
		t.Errorf("arrived %d, want 13", data.Arrived())
	}
	// arrivals 0-12: a1 a2 a3 b1 a4 a5 a6 b2 a7 a8 a9 b3 a10; a keeps 6-10
	for _, tc := range []struct {
		from     uint64
		dir, max int
		keep     func(store.Arrival) bool
		want     string
	}{
		{0, 1, 100, nil, "3b1 6a6 7b2 8a7 9a8 10a9 11b3 12a10"},
		{8, 1, 2, nil, "8a7 9a8"},
		{8, -1, 3, nil, "6a6 7b2 8a7"},
		{^uint64(0), -1, 2, nil, "11b3 12a10"},
		{0, 1, 2, func(a store.Arrival) bool { return a.Machine.ID() == "a" }, "6a6 8a7"},
		{5, -1, 10, func(a store.Arrival) bool { return a.Machine.ID() == "a" }, ""},
	} {
		if got := str(data.Arrivals(tc.from, tc.dir, tc.max, tc.keep)); got != tc.want {
			t.Errorf("Arrivals(%d, %d, %d) = %q, want %q", tc.from, tc.dir, tc.max, got, tc.want)
		}
	}
}
