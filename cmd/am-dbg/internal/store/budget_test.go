package store_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// heap returns the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// wire sends msgs through the binary encoding the server decodes, so the
// store holds what a real peer's messages decode to.
func wire(t *testing.T, in *store.Inbox, msgs []dbg.DbgMsg) int {
	t.Helper()
	b, err := (&dbg.Batch{Version: dbg.ProtocolVersion, ClientID: "peer", Msgs: msgs}).GobEncode()
	if err != nil {
		t.Fatal(err)
	}
	var got dbg.Batch
	if err := got.GobDecode(b); err != nil {
		t.Fatal(err)
	}
	in.HandleBatch(server.Peer{ID: 1, Addr: "peer"}, &got)
	return len(b)
}

// bigStruct is a valid struct message of a new machine: 40 states, each
// requiring, adding and removing others, with tags.
func bigStruct(id string) *dbg.DbgMsgStruct {
	names := am.S{am.Exception}
	for i := range 39 {
		names = append(names, "State"+strconv.Itoa(i))
	}
	sch := am.Schema{am.Exception: {Multi: true}}
	for i, n := range names[1:] {
		sch[n] = am.State{
			Require: am.S{names[1+(i+1)%39]}, Add: am.S{names[1+(i+2)%39], names[1+(i+3)%39]},
			Remove: am.S{names[1+(i+5)%39]}, Tags: []string{"group" + strconv.Itoa(i%4)},
		}
	}
	return &dbg.DbgMsgStruct{MachineID: id, StateNames: names, Schema: sch, Clocks: make(am.Time, len(names))}
}

// bigTx is a transition of about 1 MiB: 256 log entries of 4 KiB.
func bigTx(id string, n uint64) *dbg.DbgMsgTx {
	logs := make([]am.LogEntry, 256)
	for i := range logs {
		logs[i] = am.LogEntry{Text: strings.Repeat(strconv.Itoa(i%10), 4<<10), MachineID: id, TxID: n}
	}
	return &dbg.DbgMsgTx{MachineID: id, ID: n, Clocks: am.Time{0, n}, Called: []int{1}, Accepted: true, Logs: logs}
}

// 28 MiB of valid struct messages, each for a new machine, stay within a
// 64 MiB budget: the store evicts the machines heard of first, and the
// heap stays bounded.
func TestBudgetManyMachines(t *testing.T) {
	const budget = 64 << 20
	base := heap()
	data := store.New(&store.Options{MaxBytes: budget})
	in := store.NewInbox(&store.InboxOptions{MaxBytes: budget / 4})
	sent, id := 0, 0
	for sent < 28<<20 {
		batch := make([]dbg.DbgMsg, 100)
		for i := range batch {
			batch[i] = bigStruct("mach-" + strconv.Itoa(id))
			id++
		}
		sent += wire(t, in, batch)
		data.Drain(in)
	}
	grown := int64(heap()) - int64(base)
	data.RLock()
	st := data.Stats()
	newest := data.Lookup("mach-" + strconv.Itoa(id-1))
	data.RUnlock()
	t.Logf("%d machines in %d MiB: %+v, heap +%d MiB", id, sent>>20, st, grown>>20)
	if st.Bytes > budget {
		t.Errorf("accounted %d bytes, over the budget of %d", st.Bytes, budget)
	}
	if st.EvictedMachines == 0 || st.Machines+int(st.EvictedMachines) != id || newest == nil {
		t.Errorf("%d machines sent; the store keeps %d and evicted %d, the newest kept: %v",
			id, st.Machines, st.EvictedMachines, newest != nil)
	}
	if grown > 2*budget || heap() > 256<<20 {
		t.Errorf("heap grew %d MiB with a budget of %d MiB", grown>>20, budget>>20)
	}
	runtime.KeepAlive(data)
}

// 60 transitions of 1 MiB stay within a 32 MiB budget: the oldest go.
func TestBudgetBigTransitions(t *testing.T) {
	const budget = 32 << 20
	base := heap()
	data := store.New(&store.Options{MaxBytes: budget})
	in := store.NewInbox(&store.InboxOptions{MaxBytes: budget / 4})
	wire(t, in, []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{am.Exception, "A"}}})
	for n := range uint64(60) {
		wire(t, in, []dbg.DbgMsg{bigTx("m", n+1)})
		data.Drain(in)
	}
	grown := int64(heap()) - int64(base)
	data.RLock()
	st := data.Stats()
	h := data.Lookup("m").History()
	data.RUnlock()
	t.Logf("%+v, heap +%d MiB", st, grown>>20)
	if st.Bytes > budget || st.Transitions == 0 || st.Transitions > 32 {
		t.Errorf("accounted %d bytes for %d transitions; budget %d", st.Bytes, st.Transitions, budget)
	}
	if h.Next() != 60 || h.First() != st.EvictedTransitions || h.At(59).Msg.ID != 60 {
		t.Errorf("history %d-%d, evicted %d: the oldest should go, the newest stay", h.First(), h.Next(), st.EvictedTransitions)
	}
	if grown > 2*budget || heap() > 256<<20 {
		t.Errorf("heap grew %d MiB with a budget of %d MiB", grown>>20, budget>>20)
	}
	runtime.KeepAlive(data)
}

// The estimates follow the heap: what the store accounts for typical
// transitions and for machines is within a factor of the heap they take,
// never much below it.
func TestBudgetAccountsHeap(t *testing.T) {
	gen := storetest.New()
	for _, tc := range []struct {
		name string
		send func(in *store.Inbox, i int) int
		n    int
	}{
		{"transitions", func(in *store.Inbox, i int) int {
			return wire(t, in, []dbg.DbgMsg{gen.Tx("m")})
		}, 20_000},
		{"machines", func(in *store.Inbox, i int) int {
			return wire(t, in, []dbg.DbgMsg{bigStruct("mach-" + strconv.Itoa(i))})
		}, 2_000},
		{"small machines", func(in *store.Inbox, i int) int {
			return wire(t, in, []dbg.DbgMsg{&dbg.DbgMsgStruct{MachineID: "m" + strconv.Itoa(i), StateNames: am.S{am.Exception}}})
		}, 20_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := store.New(&store.Options{HistoryLimit: 100_000})
			in := store.NewInbox(nil)
			wire(t, in, []dbg.DbgMsg{gen.Struct("m", "")})
			data.Drain(in)
			base := heap()
			data.RLock()
			before := data.Stats().Bytes
			data.RUnlock()
			for i := range tc.n {
				tc.send(in, i)
				if i%100 == 0 {
					data.Drain(in)
				}
			}
			data.Drain(in)
			grown := float64(int64(heap()) - int64(base))
			data.RLock()
			accounted := float64(data.Stats().Bytes - before)
			data.RUnlock()
			ratio := accounted / grown
			t.Logf("accounted %.0f B, heap %.0f B per message: %.2f", accounted/float64(tc.n), grown/float64(tc.n), ratio)
			if ratio < 0.9 || ratio > 2 {
				t.Errorf("accounted %.2f times the heap; want 0.9 to 2", ratio)
			}
			runtime.KeepAlive(data)
		})
	}
}

// Over the budget, disposed machines go before the oldest transitions of
// running ones.
func TestBudgetDisposedFirst(t *testing.T) {
	data := store.New(&store.Options{MaxBytes: 2 << 20})
	syn := storetest.New()
	syn.Machine(data, "done", "")
	syn.Txs(data, "done", 10)
	syn.Send(data, &dbg.DbgMsgDispose{MachineID: "done"})
	syn.Machine(data, "busy", "")
	for {
		syn.Txs(data, "busy", 100)
		data.RLock()
		st := data.Stats()
		done := data.Lookup("done")
		busy := data.Lookup("busy").History()
		data.RUnlock()
		if st.EvictedTransitions > 0 {
			if done != nil || st.EvictedMachines != 1 {
				t.Errorf("transitions evicted before the disposed machine: %+v", st)
			}
			if busy.First() != st.EvictedTransitions {
				t.Errorf("busy lost %d transitions, %d evicted", busy.First(), st.EvictedTransitions)
			}
			return
		}
	}
}

// Readers follow a store that a pump fills, concurrently: each revision
// they see is consistent, and the last shows everything sent.
func TestConcurrentReaders(t *testing.T) {
	data := store.New(&store.Options{MaxBytes: 1 << 20})
	in := store.NewInbox(nil)
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		data.Pump(in, time.Millisecond)
	}()
	readers := make(chan int, 3)
	for range 3 {
		go func() {
			rev, seen := uint64(0), 0
			for {
				<-data.Changed(rev)
				rev = data.Revision()
				data.RLock()
				for _, r := range data.Tree() {
					h := r.Machine.History()
					for seq := h.First(); seq < h.Next(); seq++ {
						if tx := h.At(seq); tx.Seq != seq || tx.Msg.MachineID != r.Machine.ID() {
							t.Errorf("inconsistent history of %s at %d", r.Machine.ID(), seq)
						}
					}
				}
				m := data.Lookup("m9")
				if m != nil {
					seen = int(m.History().Next())
				}
				data.RUnlock()
				if seen == 200 {
					readers <- seen
					return
				}
			}
		}()
	}
	syn := storetest.New()
	for i := range 10 {
		id := "m" + strconv.Itoa(i)
		in.HandleBatch(server.Peer{Addr: "p"}, &dbg.Batch{Msgs: []dbg.DbgMsg{syn.Struct(id, "")}})
		for range 20 {
			batch := make([]dbg.DbgMsg, 10)
			for j := range batch {
				batch[j] = syn.Tx(id)
			}
			in.HandleBatch(server.Peer{Addr: "p"}, &dbg.Batch{Msgs: batch})
		}
	}
	for range 3 {
		<-readers
	}
	in.Close()
	<-pumped
}

// BenchmarkMemory reports the heap a kept transition costs, with the
// messages as the server decodes them, and what the store accounts.
func BenchmarkMemory(b *testing.B) {
	const txs = 100_000
	for b.Loop() {
		base := heap()
		data := store.New(&store.Options{HistoryLimit: txs})
		syn := storetest.New()
		syn.Machine(data, "mach-0", "")
		syn.Txs(data, "mach-0", txs)
		grown := heap() - base
		data.RLock()
		accounted := data.Stats().Bytes
		data.RUnlock()
		b.ReportMetric(float64(grown)/txs, "B/tx")
		b.ReportMetric(float64(accounted)/txs, "accounted-B/tx")
		runtime.KeepAlive(data)
	}
}
