package recording_test

import (
	"bytes"
	"fmt"
	"io"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// A recording written and read back. am-dbg --record writes to a file
// with recording.Create; recording.Open reads one.
func Example() {
	var file bytes.Buffer
	w, err := recording.NewWriter(&file)
	if err != nil {
		panic(err)
	}
	received := time.Now()
	_ = w.Write(&recording.Record{Received: received, ClientID: "c1", Conn: 1, Msg: &dbg.DbgMsgStruct{
		MachineID: "worker", StateNames: am.S{am.Exception, "Ready"}, Clocks: am.Time{0, 0},
	}})
	_ = w.Write(&recording.Record{Received: received, ClientID: "c1", Conn: 1, Msg: &dbg.DbgMsgTx{
		MachineID: "worker", ID: 1, Clocks: am.Time{0, 1}, Type: am.MutationAdd, Called: []int{1}, Accepted: true,
	}})
	_ = w.Write(&recording.Record{Received: received, ClientID: "c1", Conn: 1, Msg: &dbg.DbgMsgDispose{
		MachineID: "worker", Time: received,
	}})
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := recording.NewReader(&file)
	if err != nil {
		panic(err)
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			panic(err)
		}
		switch m := rec.Msg.(type) {
		case *dbg.DbgMsgStruct:
			fmt.Println("machine", m.MachineID, m.StateNames)
		case *dbg.DbgMsgTx:
			fmt.Println("transition", m.MachineID, m.ID, m.Clocks)
		case *dbg.DbgMsgDispose:
			fmt.Println("disposed", m.MachineID)
		}
	}
	// Output:
	// machine worker [Exception Ready]
	// transition worker 1 [0 1]
	// disposed worker
}
