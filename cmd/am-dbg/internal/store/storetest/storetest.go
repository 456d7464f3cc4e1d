// Package storetest makes machines and transitions shaped like real ones,
// for the tests and benchmarks of the store and its views.
package storetest

import (
	"strconv"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// Synthetic makes machines of 12 states with relations, and their
// transitions: one or two called states, five steps and two log entries
// each, one in ten canceled, one in five auto. It sends them to a store
// as a live client would, through an inbox.
type Synthetic struct {
	// Names is every machine's state index.
	Names am.S
	next  map[string]uint64
	clock map[string]am.Time
	inbox *store.Inbox
	peer  server.Peer
}

// New returns a generator sending as a connected client.
func New() *Synthetic {
	names := am.S{am.Exception}
	for i := range 11 {
		names = append(names, "State"+strconv.Itoa(i))
	}
	return &Synthetic{
		Names: names, next: map[string]uint64{}, clock: map[string]am.Time{},
		inbox: store.NewInbox(nil), peer: server.Peer{ID: 1, Addr: "synthetic"},
	}
}

// Struct returns the struct message of a machine, and starts its clocks.
func (s *Synthetic) Struct(id, parent string) *dbg.DbgMsgStruct {
	sch := am.Schema{am.Exception: {Multi: true}}
	for i, n := range s.Names[1:] {
		sch[n] = am.State{Require: am.S{s.Names[1+(i+1)%11]}, Remove: am.S{s.Names[1+(i+5)%11]}}
	}
	s.clock[id] = make(am.Time, len(s.Names))
	return &dbg.DbgMsgStruct{MachineID: id, ParentID: parent, StateNames: s.Names, Schema: sch, Clocks: s.clock[id]}
}

// Tx returns the machine's next transition.
func (s *Synthetic) Tx(id string) *dbg.DbgMsgTx {
	s.next[id]++
	n := s.next[id]
	clocks := append(am.Time(nil), s.clock[id]...)
	if len(clocks) == 0 {
		clocks = make(am.Time, len(s.Names))
	}
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
			{Type: am.StepHandler, State: called, Related: -1, Handler: s.Names[called] + "Enter"},
			{Type: am.StepHandler, State: called, Related: -1, Handler: s.Names[called] + "State"},
		},
		Logs: []am.LogEntry{
			{Time: at, Level: am.LogLevelChanges, Text: "[state] +" + s.Names[called], MachineID: id, TxID: n},
			{Time: at, Level: am.LogLevelChanges, Text: "handled " + s.Names[called], MachineID: id, TxID: n},
		},
		Start: at, End: at.Add(40 * time.Microsecond),
	}
}

// Send delivers msgs to st as one batch of a live client, and applies it.
func (s *Synthetic) Send(st *store.Store, msgs ...dbg.DbgMsg) {
	s.inbox.HandleBatch(s.peer, &dbg.Batch{ClientID: "synthetic", Msgs: msgs})
	st.Drain(s.inbox)
}

// Machine sends a machine's struct message.
func (s *Synthetic) Machine(st *store.Store, id, parent string) { s.Send(st, s.Struct(id, parent)) }

// Txs sends n transitions of the machine, in batches of up to 100.
func (s *Synthetic) Txs(st *store.Store, id string, n int) {
	for n > 0 {
		batch := make([]dbg.DbgMsg, min(n, 100))
		for i := range batch {
			batch[i] = s.Tx(id)
		}
		s.Send(st, batch...)
		n -= len(batch)
	}
}
