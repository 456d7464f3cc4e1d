package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/termsafe"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// timeLayout is the time of day with microseconds, enough to order lines
// of one session by eye.
const timeLayout = "15:04:05.000000"

// printer writes a line per machine description, per transition and per
// disposal, like:
//
//	machine worker (parent root): 4 states, active: Ready
//	15:04:05.000123 worker #12 [add] Work -> +Work -Idle
//	15:04:05.000180 worker #13 [add] Done canceled: requirement not met
//	15:04:05.000250 worker disposed
//
// Every text a peer supplied is escaped with termsafe, so a line cannot
// carry terminal control sequences.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	machs map[string]*machView
	drops map[string]uint64
}

// machView is what the printer remembers of a machine: the names to show,
// already escaped, and the clocks to diff the next transition against.
type machView struct {
	names  am.S
	clocks am.Time
}

func newPrinter(w io.Writer) *printer {
	return &printer{w: w, machs: map[string]*machView{}, drops: map[string]uint64{}}
}

// HandleBatch prints the batch's messages, and the client's drop count
// when it grew.
func (p *printer) HandleBatch(_ server.Peer, b *dbg.Batch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noteDropped(b.ClientID, b.Dropped)
	for _, m := range b.Msgs {
		p.message(m)
	}
}

// Close does nothing: lines are written as they come.
func (p *printer) Close() error { return nil }

func (p *printer) noteDropped(client string, dropped uint64) {
	if dropped > p.drops[client] {
		p.drops[client] = dropped
		fmt.Fprintf(p.w, "client %s: %d messages dropped so far\n", termsafe.String(client), dropped)
	}
}

func (p *printer) message(m dbg.DbgMsg) {
	switch m := m.(type) {
	case *dbg.DbgMsgStruct:
		p.machine(m)
	case *dbg.DbgMsgTx:
		p.transition(m)
	case *dbg.DbgMsgDispose:
		// the machine's ID may come back with a new machine, which sends
		// its own struct message first
		delete(p.machs, m.MachineID)
		fmt.Fprintf(p.w, "%s %s disposed\n", m.Time.Format(timeLayout), termsafe.String(m.MachineID))
	}
}

func (p *printer) machine(m *dbg.DbgMsgStruct) {
	v := &machView{names: escapeAll(m.StateNames), clocks: m.Clocks}
	p.machs[m.MachineID] = v
	var b strings.Builder
	fmt.Fprintf(&b, "machine %s", termsafe.String(m.MachineID))
	if m.ParentID != "" || len(m.Tags) > 0 {
		var about []string
		if m.ParentID != "" {
			about = append(about, "parent "+termsafe.String(m.ParentID))
		}
		if len(m.Tags) > 0 {
			about = append(about, "tags "+strings.Join(escapeAll(m.Tags), ","))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(about, ", "))
	}
	fmt.Fprintf(&b, ": %d states", len(m.StateNames))
	var active []string
	for i, c := range m.Clocks {
		if c%2 == 1 {
			active = append(active, v.name(i))
		}
	}
	if len(active) > 0 {
		fmt.Fprintf(&b, ", active: %s", strings.Join(active, " "))
	}
	fmt.Fprintln(p.w, b.String())
}

func (p *printer) transition(m *dbg.DbgMsgTx) {
	v := p.machs[m.MachineID]
	if v == nil {
		// a client always sends the struct first; a recording cut at the
		// start, or a foreign client, might not
		v = &machView{}
		p.machs[m.MachineID] = v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s #%d ", m.End.Format(timeLayout), termsafe.String(m.MachineID), m.ID)
	if m.Auto {
		b.WriteString("[auto]")
	}
	fmt.Fprintf(&b, "[%s]", m.Type)
	for _, i := range m.Called {
		b.WriteString(" " + v.name(i))
	}
	for _, k := range slices.Sorted(maps.Keys(m.Args)) {
		fmt.Fprintf(&b, " %s=%s", termsafe.String(k), termsafe.String(m.Args[k]))
	}
	if !m.Accepted {
		fmt.Fprintf(&b, " canceled: %s", termsafe.String(m.Err))
	} else if changes := v.changes(m.Clocks); changes != "" {
		b.WriteString(" ->" + changes)
	}
	v.clocks = m.Clocks
	fmt.Fprintln(p.w, b.String())
}

// escapeAll returns ss with each string escaped by termsafe.String, or ss
// itself when none needed it.
func escapeAll(ss []string) []string {
	var out []string
	for i, s := range ss {
		e := termsafe.String(s)
		if e != s && out == nil {
			out = slices.Clone(ss)
		}
		if out != nil {
			out[i] = e
		}
	}
	if out == nil {
		return ss
	}
	return out
}

// name returns the name of state index i, or "#i" for an index the
// machine's struct message did not describe.
func (v *machView) name(i int) string {
	if i >= 0 && i < len(v.names) {
		return v.names[i]
	}
	return fmt.Sprintf("#%d", i)
}

// changes lists the states whose clocks moved since the previous message
// of the machine: "+Name" for an activation (or a Multi re-activation),
// "-Name" for a deactivation.
func (v *machView) changes(after am.Time) string {
	var b strings.Builder
	for i, tick := range after {
		var before uint64
		if i < len(v.clocks) {
			before = v.clocks[i]
		}
		switch {
		case tick == before:
		case tick%2 == 1:
			b.WriteString(" +" + v.name(i))
		default:
			b.WriteString(" -" + v.name(i))
		}
	}
	return b.String()
}
