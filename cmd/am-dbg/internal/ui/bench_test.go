package ui

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// synthetic builds machines and transitions shaped like real ones: 12
// states with relations, one or two called states, five steps and two log
// entries per transition, one in ten canceled, one in five auto.
type synthetic struct {
	store *Store
	src   source
	next  map[string]uint64
	names am.S
	clock map[string]am.Time
}

func newSynthetic(limit int) *synthetic {
	names := am.S{am.Exception}
	for i := range 11 {
		names = append(names, "State"+strconv.Itoa(i))
	}
	return &synthetic{
		store: NewStore(limit), src: source{conn: "bench", client: "bench", live: true},
		next: map[string]uint64{}, names: names, clock: map[string]am.Time{},
	}
}

func (s *synthetic) machine(id, parent string) {
	sch := am.Schema{am.Exception: {Multi: true}}
	for i, n := range s.names[1:] {
		sch[n] = am.State{Require: am.S{s.names[1+(i+1)%11]}, Remove: am.S{s.names[1+(i+5)%11]}}
	}
	s.clock[id] = make(am.Time, len(s.names))
	s.store.add(s.src, &dbg.DbgMsgStruct{MachineID: id, ParentID: parent, StateNames: s.names, Schema: sch, Clocks: s.clock[id]})
}

func (s *synthetic) tx(id string) { s.store.add(s.src, s.txMsg(id)) }

// txMsg returns the machine's next transition.
func (s *synthetic) txMsg(id string) *dbg.DbgMsgTx {
	s.next[id]++
	n := s.next[id]
	clocks := append(am.Time(nil), s.clock[id]...)
	called := 1 + int(n%11)
	accepted := n%10 != 0
	if accepted {
		clocks[called]++
	}
	s.clock[id] = clocks
	at := time.Unix(0, int64(n)*int64(time.Millisecond))
	return &dbg.DbgMsgTx{
		MachineID: id, ID: n, Clocks: clocks, QueueLen: int(n % 3), Type: am.MutationAdd,
		Called: []int{called}, Auto: n%5 == 0, Accepted: accepted,
		Args: map[string]string{"job": "job-" + strconv.FormatUint(n, 10)},
		Steps: []am.Step{
			{Type: am.StepRequested, State: called, Related: -1},
			{Type: am.StepImplied, State: 1 + (called+1)%11, Related: called},
			{Type: am.StepRemoved, State: 1 + (called+5)%11, Related: called},
			{Type: am.StepHandler, State: called, Related: -1, Handler: s.names[called] + "Enter"},
			{Type: am.StepHandler, State: called, Related: -1, Handler: s.names[called] + "State"},
		},
		Logs: []am.LogEntry{
			{Time: at, Level: am.LogLevelChanges, Text: "[state] +" + s.names[called], MachineID: id, TxID: n},
			{Time: at, Level: am.LogLevelChanges, Text: "handled " + s.names[called], MachineID: id, TxID: n},
		},
		Start: at, End: at.Add(40 * time.Microsecond),
	}
}

// benchModel returns a model over machines machines holding txs
// transitions in all, on a 200x60 screen, with the second machine
// selected.
func benchModel(b *testing.B, machines, txs int) (*Model, *synthetic) {
	b.Helper()
	s := newSynthetic(max(txs/machines, DefaultHistoryLimit))
	s.machine("mach-0", "")
	for i := 1; i < machines; i++ {
		s.machine("mach-"+strconv.Itoa(i), "mach-"+strconv.Itoa((i-1)/10))
	}
	for i := range txs {
		s.tx("mach-" + strconv.Itoa(i%machines))
	}
	m := New(s.store, &Options{Inbox: NewInbox(0), Source: "127.0.0.1:7464"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	press(m, "down")
	return m, s
}

// BenchmarkFrame measures one frame, Update then View, for the keys a
// user presses most, with 100 machines and 100,000 transitions, and with
// one machine holding all 100,000. A frame at 60 Hz has 16 ms.
func BenchmarkFrame(b *testing.B) {
	for _, size := range []struct{ machines, txs int }{{100, 100_000}, {1, 100_000}} {
		name := fmt.Sprintf("%dx%d", size.machines, size.txs)
		for _, tc := range []struct {
			name string
			keys []string
		}{
			{"step", []string{"left"}},
			{"page", []string{"tab", "tab", "pgup"}},
			{"first-last", []string{"home"}},
			{"next-touching", []string{"]"}},
			{"filter-touching", []string{"t"}},
			{"filter-canceled", []string{"c"}},
			{"switch-machine", []string{"down"}},
			{"search-key", []string{"/", "s"}},
		} {
			b.Run(name+"/"+tc.name, func(b *testing.B) {
				m, _ := benchModel(b, size.machines, size.txs)
				// all but the last key set the scene
				press(m, tc.keys[:len(tc.keys)-1]...)
				last := keyMsg(tc.keys[len(tc.keys)-1])
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if tc.name == "first-last" && i%2 == 1 {
						m.Update(keyMsg("end"))
					} else {
						m.Update(last)
					}
					_ = m.View()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
			})
		}
		b.Run(name+"/live-100-new", func(b *testing.B) {
			m, s := benchModel(b, size.machines, size.txs)
			peer := server.Peer{ID: 1, Addr: "bench"}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// building the messages is the server's work, not the frame's
				b.StopTimer()
				batch := &dbg.Batch{Msgs: make([]dbg.DbgMsg, 100)}
				for i := range batch.Msgs {
					batch.Msgs[i] = s.txMsg("mach-" + strconv.Itoa(i%size.machines))
				}
				m.inbox.HandleBatch(peer, batch)
				b.StartTimer()
				m.Update(inboxMsg{})
				_ = m.View()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
		})
	}
}

// BenchmarkMemory reports the heap a kept transition costs, with the
// messages as the server decodes them.
func BenchmarkMemory(b *testing.B) {
	const txs = 100_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := newSynthetic(txs)
		s.machine("mach-0", "")
		for range txs {
			s.tx("mach-0")
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/txs, "B/tx")
		runtime.KeepAlive(s)
	}
}
