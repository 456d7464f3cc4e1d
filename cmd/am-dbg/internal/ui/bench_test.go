package ui

import (
	"fmt"
	"strconv"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store/storetest"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// benchModel returns a model over machines machines holding txs
// transitions in all, on a 200x60 screen, with the second machine
// selected.
func benchModel(b *testing.B, machines, txs int) (*Model, *storetest.Synthetic) {
	b.Helper()
	data := store.New(&store.Options{HistoryLimit: max(txs/machines, store.DefaultHistoryLimit)})
	syn := storetest.New()
	syn.Machine(data, "mach-0", "")
	for i := 1; i < machines; i++ {
		syn.Machine(data, "mach-"+strconv.Itoa(i), "mach-"+strconv.Itoa((i-1)/10))
	}
	batch := make([]dbg.DbgMsg, 0, 1000)
	for i := range txs {
		batch = append(batch, syn.Tx("mach-"+strconv.Itoa(i%machines)))
		if len(batch) == cap(batch) || i == txs-1 {
			syn.Send(data, batch...)
			batch = batch[:0]
		}
	}
	m := New(data, &Options{Live: true, Source: "127.0.0.1:7464"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	press(m, "down")
	return m, syn
}

// BenchmarkFrame measures one frame, Update then View, for the keys a
// user presses most and for every view, with 100 machines and 100,000
// transitions, and with one machine holding all 100,000. A frame at 60 Hz
// has 16 ms. Toggles (filters, views) alternate on and off.
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
			{"jump-100", []string{"<"}},
			{"filter-empty", []string{"e"}},
			{"filter-checks", []string{"x"}},
			{"log-level", []string{"L"}},
			{"help", []string{"?"}},
			{"matrix-open", []string{"m"}},
			{"matrix-state", []string{"m", "down"}},
			{"matrix-step", []string{"m", "left"}},
			{"rain-open", []string{"r"}},
			{"rain-step", []string{"r", "up"}},
			{"rain-page", []string{"r", "pgup"}},
			{"rain-filtered", []string{"r", "e", "c", "up"}},
			{"diagrams-key", []string{"d"}},
			{"mouse-click", []string{"click"}},
			{"mouse-wheel", []string{"wheel"}},
		} {
			b.Run(name+"/"+tc.name, func(b *testing.B) {
				m, _ := benchModel(b, size.machines, size.txs)
				// all but the last key set the scene
				press(m, tc.keys[:len(tc.keys)-1]...)
				var last tea.Msg = keyMsg(tc.keys[len(tc.keys)-1])
				l := m.layout()
				switch tc.keys[len(tc.keys)-1] {
				case "click":
					// a transition of the timeline, near its top
					last = tea.MouseClickMsg{X: l.machines.w + l.states.w + 3, Y: 5, Button: tea.MouseLeft}
				case "wheel":
					last = tea.MouseWheelMsg{X: l.machines.w + l.states.w + 3, Y: 5, Button: tea.MouseWheelUp}
				}
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
			m, syn := benchModel(b, size.machines, size.txs)
			in := store.NewInbox(nil)
			peer := server.Peer{ID: 1, Addr: "bench"}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// building and receiving the messages is the server's work,
				// not the frame's
				b.StopTimer()
				batch := &dbg.Batch{Msgs: make([]dbg.DbgMsg, 100)}
				for i := range batch.Msgs {
					batch.Msgs[i] = syn.Tx("mach-" + strconv.Itoa(i%size.machines))
				}
				in.HandleBatch(peer, batch)
				b.StartTimer()
				m.data.Drain(in)
				m.Update(changedMsg{})
				_ = m.View()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
		})
	}
}
