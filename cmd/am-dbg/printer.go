package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
//	15:04:05.000190 worker check [add] Done canceled: requirement not met
//	15:04:05.000200 worker #14 handler WorkState still running after 5.001s
//	15:04:05.000250 worker disposed
//
// Every text a peer supplied is escaped with termsafe, so a line cannot
// carry terminal control sequences. What the printer remembers is bounded
// by printerBudget: past it, the least recently described machines are
// forgotten, with a line saying so.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	machs *budgetMap[*machView]
	drops *budgetMap[uint64]
}

// printerBudget bounds the machine descriptions the printer keeps, and
// dropsBudget the clients whose drop counts it keeps. A peer inventing
// machines or clients costs output lines, not memory.
const (
	printerBudget = 16 << 20
	dropsBudget   = 1 << 20
)

// machView is what the printer remembers of a machine: the names to show,
// already escaped, and the clocks to diff the next transition against.
type machView struct {
	names  am.S
	clocks am.Time
}

// size approximates the memory v holds with its machine's ID.
func (v *machView) size(id string) int {
	n := 96 + len(id) + 8*cap(v.clocks)
	for _, s := range v.names {
		n += 16 + len(s)
	}
	return n
}

// maxUnnamedClocks bounds the clocks kept of a machine whose struct
// message never arrived.
const maxUnnamedClocks = 1024

func newPrinter(w io.Writer) *printer {
	p := &printer{w: w, drops: newBudgetMap[uint64](dropsBudget, nil)}
	p.machs = newBudgetMap(printerBudget, func(id string, _ *machView) {
		fmt.Fprintf(p.w, "machine %s forgotten: --print keeps %d MiB of machine descriptions; its states now print as #index\n",
			termsafe.String(id), printerBudget>>20)
	})
	return p
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
	if known, _ := p.drops.get(client); dropped > known {
		p.drops.set(client, dropped, 64+len(client))
		fmt.Fprintf(p.w, "client %s: %d messages dropped so far\n", termsafe.String(client), dropped)
	}
}

func (p *printer) message(m dbg.DbgMsg) {
	switch m := m.(type) {
	case *dbg.DbgMsgStruct:
		p.machine(m)
	case *dbg.DbgMsgTx:
		p.transition(m)
	case *dbg.DbgMsgHandlerTimeout:
		fmt.Fprintf(p.w, "%s %s #%d handler %s still running after %s\n", m.Time.Format(timeLayout),
			termsafe.String(m.MachineID), m.TxID, termsafe.String(m.Handler), m.Elapsed.Round(time.Millisecond))
	case *dbg.DbgMsgDispose:
		// the machine's ID may come back with a new machine, which sends
		// its own struct message first
		p.machs.delete(m.MachineID)
		fmt.Fprintf(p.w, "%s %s disposed\n", m.Time.Format(timeLayout), termsafe.String(m.MachineID))
	}
}

func (p *printer) machine(m *dbg.DbgMsgStruct) {
	v := &machView{names: escapeAll(m.StateNames)}
	v.clocks = keepClocks(m.Clocks, len(v.names))
	p.machs.set(m.MachineID, v, v.size(m.MachineID))
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
	v, ok := p.machs.get(m.MachineID)
	if !ok {
		// a client always sends the struct first; a recording cut at the
		// start, a foreign client, or the budget might not
		v = &machView{}
		p.machs.set(m.MachineID, v, v.size(m.MachineID))
	}
	var b strings.Builder
	if m.CheckOnly {
		// a dry run has no ID and moves no clock
		fmt.Fprintf(&b, "%s %s check ", m.End.Format(timeLayout), termsafe.String(m.MachineID))
	} else {
		fmt.Fprintf(&b, "%s %s #%d ", m.End.Format(timeLayout), termsafe.String(m.MachineID), m.ID)
	}
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
	switch {
	case !m.Accepted:
		fmt.Fprintf(&b, " canceled: %s", termsafe.String(m.Err))
	case m.CheckOnly:
		b.WriteString(" would be accepted")
	default:
		if changes := v.changes(m.Clocks); changes != "" {
			b.WriteString(" ->" + changes)
		}
	}
	if !m.CheckOnly {
		limit := len(v.names)
		if limit == 0 {
			limit = maxUnnamedClocks
		}
		v.clocks = keepClocks(m.Clocks, limit)
		p.machs.resize(m.MachineID, v.size(m.MachineID))
	}
	fmt.Fprintln(p.w, b.String())
}

// keepClocks returns the first n clocks, copied when that is fewer than
// given, so a peer's oversized list is not kept alive behind them.
func keepClocks(clocks am.Time, n int) am.Time {
	if len(clocks) <= n {
		return clocks
	}
	return slices.Clone(clocks[:n])
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
