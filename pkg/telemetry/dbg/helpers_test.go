package dbg_test

import (
	"context"
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// collector is a server handler keeping every message, in arrival order.
type collector struct {
	mu      sync.Mutex
	msgs    []dbg.DbgMsg
	dropped uint64
	clients map[string]bool
	// changed is signaled after each batch.
	changed chan struct{}
}

func newCollector() *collector {
	return &collector{clients: map[string]bool{}, changed: make(chan struct{}, 1)}
}

func (c *collector) HandleBatch(_ server.Peer, b *dbg.Batch) {
	c.mu.Lock()
	c.msgs = append(c.msgs, b.Msgs...)
	c.dropped = b.Dropped
	c.clients[b.ClientID] = true
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector) all() []dbg.DbgMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

func (c *collector) lastDropped() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// txs returns the transition messages of one machine, in arrival order.
func (c *collector) txs(machID string) []*dbg.DbgMsgTx {
	var out []*dbg.DbgMsgTx
	for _, m := range c.all() {
		if tx, ok := m.(*dbg.DbgMsgTx); ok && tx.MachineID == machID {
			out = append(out, tx)
		}
	}
	return out
}

// waitFor waits until cond holds for the collected messages.
func (c *collector) waitFor(t *testing.T, what string, cond func([]dbg.DbgMsg) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for !cond(c.all()) {
		select {
		case <-c.changed:
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// startServer serves a new collector on addr ("127.0.0.1:0" for any
// port) until the test ends.
func startServer(t *testing.T, addr string) (*server.Server, *collector) {
	t.Helper()
	col := newCollector()
	srv, err := server.Listen(addr, col, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, col
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// truth is an inheritable tracer recording what each transition really
// was: the transition and the machine's clocks read right after it. It
// borrows records and keeps clones, so that machines reuse their records
// next to it as they do for a dbg tracer alone: a message that still read
// the record after TransitionEnd would then differ from the truth.
type truth struct {
	am.NoOpTracer
	mu  sync.Mutex
	txs map[string][]truthTx
}

type truthTx struct {
	tx    *am.Transition
	after am.Time
}

func newTruth() *truth { return &truth{txs: map[string][]truthTx{}} }

func (tr *truth) Inheritable() bool { return true }

func (tr *truth) BorrowsTransitions() bool { return true }

func (tr *truth) TransitionEnd(tx *am.Transition) {
	tx, after := tx.Clone(), tx.Machine.Time(nil)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.txs[tx.MachineID] = append(tr.txs[tx.MachineID], truthTx{tx: tx, after: after})
}

func (tr *truth) get(machID string) []truthTx {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.txs[machID])
}

// normalize makes a received or expected message comparable with
// reflect.DeepEqual: gob sends empty slices and maps as nil and times
// without their monotonic reading.
func normalize(m *dbg.DbgMsgTx) *dbg.DbgMsgTx {
	out := *m
	out.Clocks = nilIfEmpty(out.Clocks)
	out.Called = nilIfEmpty(out.Called)
	out.Steps = nilIfEmpty(out.Steps)
	if len(out.Args) == 0 {
		out.Args = nil
	}
	out.Start, out.End = out.Start.Round(0), out.End.Round(0)
	out.Logs = normalizeLogs(out.Logs)
	out.LogsBefore = normalizeLogs(out.LogsBefore)
	return &out
}

func normalizeLogs(logs []am.LogEntry) []am.LogEntry {
	if len(logs) == 0 {
		return nil
	}
	out := slices.Clone(logs)
	for i := range out {
		out[i].Time = out[i].Time.Round(0)
		out[i].States = nilIfEmpty(out[i].States)
	}
	return out
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// expected builds the message a transition should arrive as, except for
// QueueTick and LogsBefore, which the machine does not record.
func expected(tt truthTx, loggable map[string]string) *dbg.DbgMsgTx {
	tx := tt.tx
	m := &dbg.DbgMsgTx{
		MachineID: tx.MachineID,
		ID:        tx.ID,
		Clocks:    tt.after,
		QueueLen:  tx.QueueLen,
		Type:      tx.Mutation.Type,
		Called:    tx.Mutation.Called,
		Args:      maps.Clone(loggable),
		Auto:      tx.Mutation.Auto,
		Source:    tx.Mutation.Source,
		Steps:     tx.Steps,
		Logs:      tx.Logs,
		Accepted:  tx.Accepted,
		Start:     tx.Start,
		End:       tx.End,
	}
	if tx.Err != nil {
		m.Err = tx.Err.Error()
	}
	return normalize(m)
}

func flush(t *testing.T, tr *dbg.Tracer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkDurations checks a transition's handler durations, which only
// the tracer knows: none, when it was not connected while the transition
// ran, or one per handler step, none longer than the transition.
func checkDurations(t *testing.T, m *dbg.DbgMsgTx) {
	t.Helper()
	if m.HandlerDurations == nil {
		return
	}
	handlers := 0
	for _, s := range m.Steps {
		if s.Type == am.StepHandler {
			handlers++
		}
	}
	if len(m.HandlerDurations) != handlers {
		t.Errorf("tx %d: %d handler durations for %d handler steps", m.ID, len(m.HandlerDurations), handlers)
	}
	for _, d := range m.HandlerDurations {
		if d < 0 || d > m.End.Sub(m.Start) {
			t.Errorf("tx %d: a handler took %v, out of the transition's %v", m.ID, d, m.End.Sub(m.Start))
		}
	}
}
