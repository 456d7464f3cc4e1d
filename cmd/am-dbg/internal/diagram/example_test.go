package diagram_test

import (
	"os"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/diagram"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

func ExampleGraph_Mermaid() {
	msg := &dbg.DbgMsgStruct{
		MachineID:  "door",
		StateNames: am.S{"Exception", "Open", "Closed"},
		Schema: am.Schema{
			"Exception": {Multi: true},
			"Open":      {Remove: am.S{"Closed"}},
			"Closed":    {Auto: true, Remove: am.S{"Open"}},
		},
		Clocks: am.Time{0, 1, 2},
	}
	g := diagram.FromStruct(msg)
	_ = g.Mermaid(os.Stdout, diagram.Highlight{Active: diagram.Active(msg.StateNames, msg.Clocks)})
	// Output:
	// %% machine door
	// flowchart LR
	//   s0["Exception<br/>multi"]
	//   s1["Open"]
	//   s2["Closed<br/>auto"]
	//   s1 --x|remove| s2
	//   s2 --x|remove| s1
	//   linkStyle 0,1 stroke:#d62728,color:#d62728
	//   style s1 fill:#c8f0c0
}
