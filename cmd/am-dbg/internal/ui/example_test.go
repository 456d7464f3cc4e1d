package ui_test

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/ui"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// The UI over two transitions of a recording, driven as Bubble Tea would
// drive it: a window size, a key (← steps back to the canceled
// transition), then View.
func Example() {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	names := am.S{am.Exception, "Paid", "Shipped"}
	schema := am.Schema{am.Exception: {Multi: true}, "Paid": {}, "Shipped": {Require: am.S{"Paid"}}}
	data := store.New(nil)
	for _, msg := range []dbg.DbgMsg{
		&dbg.DbgMsgStruct{MachineID: "order", StateNames: names, Schema: schema, Clocks: am.Time{0, 0, 0}},
		&dbg.DbgMsgTx{
			MachineID: "order", ID: 1, Clocks: am.Time{0, 0, 0}, Type: am.MutationAdd, Called: []int{2},
			Steps: []am.Step{
				{Type: am.StepRequested, State: 2, Related: -1},
				{Type: am.StepMissingRequirement, State: 2, Related: 1},
			},
			Err: "requirement not met: Shipped requires Paid", Start: at, End: at,
		},
		&dbg.DbgMsgTx{
			MachineID: "order", ID: 2, Clocks: am.Time{0, 1, 0}, Type: am.MutationAdd, Called: []int{1},
			Steps: []am.Step{{Type: am.StepRequested, State: 1, Related: -1}}, Accepted: true,
			Start: at.Add(time.Second), End: at.Add(time.Second),
		},
	} {
		data.AddRecord(&recording.Record{ClientID: "c", Conn: 1, Msg: msg})
	}

	m := ui.New(data, &ui.Options{Source: "orders.amdbg"})
	m.Update(tea.WindowSizeMsg{Width: 112, Height: 20})
	m.Update(tea.KeyPressMsg{Code: tea.KeyLeft})
	for _, line := range strings.Split(ansi.Strip(m.View().Content), "\n") {
		fmt.Println(strings.TrimRight(line, " "))
	}
	// Output:
	// ╭─ machines (1) ───────╮╭─ states · order after #1 ───╮╭─ transitions 1/2 ─────────────────────────────────────╮
	// │▸○ order             2││▸○ Exception             0   ││     id time         type   auto    q   called         │
	// │                      ││ ○ Paid                  0   ││▶     1 15:04:05.000 add            0 ✗ Shipped        │
	// │                      ││ ○ Shipped               0  *││      2 15:04:06.000 add            0 ✓ Paid           │
	// │                      ││                             ││                                                       │
	// │                      ││                             ││                                                       │
	// │                      ││                             ││                                                       │
	// │                      ││─ Exception ─────────────────││                                                       │
	// │                      ││multi                        ││                                                       │
	// ╰──────────────────────╯╰─────────────────────────────╯╰───────────────────────────────────────────────────────╯
	// ╭─ transition #1 ───────────────────────────────────────────╮╭─ log · order ───────────────────────────────────╮
	// │#1 [add] Shipped                                           ││no log entries up to here                        │
	// │✗ canceled: requirement not met: Shipped requires Paid     ││                                                 │
	// │15:04:05.000000 · took 0s · queue 0 · queue tick 0         ││                                                 │
	// │steps                                                      ││                                                 │
	// │   1 Shipped requested                                     ││                                                 │
	// │   2 canceled: Shipped requires Paid, which cannot be      ││                                                 │
	// │active                                                     ││                                                 │
	// ╰───────────────────────────────────────────────────────────╯╰─────────────────────────────────────────────────╯
	//  am-dbg · recording orders.amdbg · order history 1/2 · paused                                    ? keys  q quit
}
