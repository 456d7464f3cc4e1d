package dbg_test

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// tree is a parent machine with two submachines. The parent's StartState
// adds Work to both children from its handler, so the children see queued
// mutations with a source on another machine.
type tree struct {
	parent, a, b *am.Machine
	queued       atomic.Uint64
}

func parentSchema() am.Schema {
	return am.Schema{
		"Start": {Tags: []string{"lifecycle"}},
		"Ready": {Require: am.S{"Start"}, Tags: []string{"lifecycle"}},
		"Stop":  {Remove: am.S{"Start"}},
	}
}

func childSchema() am.Schema {
	return am.Schema{
		"Work": {},
		"Done": {Remove: am.S{"Work"}},
		"Idle": {Auto: true, Remove: am.S{"Work"}},
	}
}

type parentHandlers struct{ tr *tree }

func (h *parentHandlers) StartState(e *am.Event) {
	h.tr.a.EvAdd1(e, "Work", nil)
	h.tr.b.EvAdd1(e, "Work", nil)
}

// newTree builds the tree with tracers bound to the parent and inherited
// by the children.
func newTree(t *testing.T, tracers ...am.Tracer) *tree {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tr := &tree{}
	var err error
	tr.parent, err = am.New(ctx, parentSchema(), &am.Opts{
		ID: "parent", Tags: []string{"root"}, Tracers: tracers,
		Groups:   map[string]am.S{"lifecycle": {"Start", "Ready"}},
		LogLevel: am.LogLevelOps, Logger: am.NewTextSink(io.Discard),
		LoggableArgs: []string{"n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m  **am.Machine
		id string
	}{{&tr.a, "child-a"}, {&tr.b, "child-b"}} {
		*c.m, err = am.New(ctx, childSchema(), &am.Opts{ID: c.id, Parent: tr.parent})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.parent.BindHandlers(&parentHandlers{tr: tr}); err != nil {
		t.Fatal(err)
	}
	return tr
}

// run mutates the three machines from three goroutines, rounds times
// each, with accepted and canceled transitions and log lines between
// them.
func (tr *tree) run(rounds int) {
	var wg sync.WaitGroup
	wg.Go(func() {
		p := tr.parent
		for i := range rounds {
			p.Add1("Start", am.A{"n": i, "secret": "not exported"})
			p.Add1("Ready", nil)
			p.Add1("Stop", nil)
			p.Add1("Ready", nil) // canceled: Start is inactive
			p.Remove1("Stop", nil)
			p.Log("round %d", i)
		}
		// the last log line travels with the next transition
		p.Add1("Stop", nil)
	})
	for _, c := range []*am.Machine{tr.a, tr.b} {
		wg.Go(func() {
			for range rounds {
				c.Add1("Work", nil)
				c.Add1("Done", nil)
				c.Remove1("Done", nil)
			}
		})
	}
	wg.Wait()
	for _, m := range []*am.Machine{tr.parent, tr.a, tr.b} {
		<-m.WhenQueueDone(context.Background())
	}
}

type queueCounter struct {
	am.NoOpTracer
	mu sync.Mutex
	n  map[string]uint64
}

func (q *queueCounter) Inheritable() bool { return true }

func (q *queueCounter) BorrowsTransitions() bool { return true }

func (q *queueCounter) MutationQueued(m *am.Machine, _ *am.Mutation, _ int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n[m.ID()]++
}

// A machine tree sending to a server over real TCP: every transition
// arrives once, in order per machine, with the clocks the machine had right
// after it, and each machine's struct message comes before its
// transitions.
func TestTreeOverTCP(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	tru := newTruth()
	queues := &queueCounter{n: map[string]uint64{}}
	tr := newTree(t, tracer, tru, queues)
	tr.run(200)
	flush(t, tracer)

	if d := tracer.Dropped(); d != 0 {
		t.Errorf("Dropped() = %d, want 0", d)
	}
	msgs := col.all()
	for _, m := range []*am.Machine{tr.parent, tr.a, tr.b} {
		id := m.ID()
		t.Run(id, func(t *testing.T) {
			checkStructFirst(t, msgs, m)
			got := col.txs(id)
			want := tru.get(id)
			if len(got) != len(want) {
				t.Fatalf("got %d transitions, want %d", len(got), len(want))
			}
			loggable := map[string]string(nil)
			var lastTick uint64
			timed, handlers := 0, 0
			for i, tt := range want {
				if id == "parent" {
					loggable = m.LoggableArgs(tt.tx.Mutation.Args)
				}
				g := normalize(got[i])
				if g.QueueTick < lastTick {
					t.Errorf("tx %d: QueueTick went back from %d to %d", g.ID, lastTick, g.QueueTick)
				}
				lastTick = g.QueueTick
				checkDurations(t, g)
				timed += len(g.HandlerDurations)
				for _, s := range g.Steps {
					if s.Type == am.StepHandler {
						handlers++
					}
				}
				g.QueueTick, g.LogsBefore, g.HandlerDurations = 0, nil, nil
				if w := expected(tt, loggable); !reflect.DeepEqual(g, w) {
					t.Fatalf("tx %d:\n got %+v\nwant %+v", i+1, g, w)
				}
			}
			queues.mu.Lock()
			wantTick := queues.n[id]
			queues.mu.Unlock()
			if lastTick != wantTick {
				t.Errorf("last QueueTick = %d, want %d mutations queued", lastTick, wantTick)
			}
			if handlers > 0 && timed == 0 {
				t.Errorf("none of %d handlers was timed", handlers)
			}
		})
	}

	var rounds []string
	for _, tx := range col.txs("parent") {
		for _, e := range tx.LogsBefore {
			if e.TxID != 0 || e.MachineID != "parent" {
				t.Errorf("LogsBefore of tx %d holds %+v", tx.ID, e)
			}
			rounds = append(rounds, e.Text)
		}
	}
	if len(rounds) != 200 || rounds[0] != "round 0" || rounds[199] != "round 199" {
		t.Errorf("LogsBefore: got %d lines, %q ... ", len(rounds), rounds[:min(len(rounds), 3)])
	}
	if queued := col.txs("child-a"); !slices.ContainsFunc(queued, func(tx *dbg.DbgMsgTx) bool {
		return tx.Source.MachineID == "parent"
	}) {
		t.Error("no child transition links to its source on the parent")
	}
}

// checkStructFirst checks that m's first message is a struct message
// describing it.
func checkStructFirst(t *testing.T, msgs []dbg.DbgMsg, m *am.Machine) {
	t.Helper()
	i := slices.IndexFunc(msgs, func(msg dbg.DbgMsg) bool { return msg.MachID() == m.ID() })
	if i < 0 {
		t.Fatal("no message")
	}
	st, ok := msgs[i].(*dbg.DbgMsgStruct)
	if !ok {
		t.Fatalf("first message is %T, want *dbg.DbgMsgStruct", msgs[i])
	}
	if !slices.Equal(st.StateNames, m.StateNames()) || st.ParentID != m.ParentID() ||
		!slices.Equal(st.Tags, m.Tags()) || len(st.Schema) != len(m.Schema()) {
		t.Errorf("struct message %+v does not describe %s", st, m.ID())
	}
	if m.ID() == "parent" {
		want := map[string]am.S{"lifecycle": {"Ready", "Start"}}
		if !reflect.DeepEqual(st.Groups, want) {
			t.Errorf("Groups = %v, want %v", st.Groups, want)
		}
		if !reflect.DeepEqual(st.Schema["Ready"], am.State{Require: am.S{"Start"}, Tags: []string{"lifecycle"}}) {
			t.Errorf("Schema[Ready] = %+v", st.Schema["Ready"])
		}
	}
}

// A schema change sends a new struct message, ahead of the transitions
// that use the new index.
func TestSchemaChange(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	mach, err := am.New(context.Background(), am.Schema{"A": {}}, &am.Opts{ID: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	tracer, err := dbg.TransitionsToDbg(mach, srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	if err := mach.SetSchema(am.Schema{"A": {}, "B": {Require: am.S{"A"}}}); err != nil {
		t.Fatal(err)
	}
	mach.Add1("B", nil)
	flush(t, tracer)

	// each transition is read with the latest struct message before it;
	// a struct may come more than once, if the schema changed while the
	// client connected
	latest := map[string]am.S{}
	var seen []string
	for _, m := range col.all() {
		switch m := m.(type) {
		case *dbg.DbgMsgStruct:
			latest[m.MachineID] = m.StateNames
		case *dbg.DbgMsgTx:
			seen = append(seen, fmt.Sprintf("tx%d%v%v", m.ID, latest[m.MachineID], m.Clocks))
		}
	}
	want := "tx1[Exception A][0 1] tx2[Exception A B][0 1 1]"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := latest["m"]; !slices.Equal(got, am.S{am.Exception, "A", "B"}) {
		t.Errorf("latest struct %v", got)
	}
}

type loudHandlers struct{}

// BigState logs a line larger than any batch may be.
func (*loudHandlers) BigState(e *am.Event) { e.Machine.Log("%s", strings.Repeat("x", 100<<10)) }

// A transition too large for a batch is dropped and counted; the ones
// around it arrive.
func TestOversizedTransitionDropped(t *testing.T) {
	srv, col := startServer(t, "127.0.0.1:0")
	mach, err := am.New(context.Background(), am.Schema{"Small": {}, "Big": {}}, &am.Opts{
		ID: "m", LogLevel: am.LogLevelChanges, Logger: am.NewTextSink(io.Discard),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mach.Dispose()
	if err := mach.BindHandlers(&loudHandlers{}); err != nil {
		t.Fatal(err)
	}
	tracer := dbg.NewTracer(srv.Addr().String(), &dbg.Opts{MaxBatchBytes: 64 << 10})
	if err := mach.BindTracer(tracer); err != nil {
		t.Fatal(err)
	}
	mach.Add1("Small", nil)
	mach.Add1("Big", nil)
	mach.Remove1("Small", nil)
	flush(t, tracer)

	var ids []uint64
	for _, tx := range col.txs("m") {
		ids = append(ids, tx.ID)
	}
	if !slices.Equal(ids, []uint64{1, 3}) || tracer.Dropped() != 1 {
		t.Errorf("received %v, dropped %d; want [1 3] and 1", ids, tracer.Dropped())
	}
}

// One tracer serves any number of root machines over one connection: a
// server with a single slot receives every machine and transition of
// three roots bound to it, and refuses nobody.
func TestOneTracerManyRoots(t *testing.T) {
	col := newCollector()
	srv, err := server.Listen("127.0.0.1:0", col, &server.Opts{MaxClients: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tracer := dbg.NewTracer(srv.Addr().String(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ids := []string{"root-1", "root-2", "root-3"}
	for _, id := range ids {
		mach, err := am.New(ctx, am.Schema{"A": {}}, &am.Opts{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if err := mach.BindTracer(tracer); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			mach.Add1("A", nil)
			mach.Remove1("A", nil)
		}
	}
	flush(t, tracer)
	for _, id := range ids {
		if got := len(col.txs(id)); got != 10 {
			t.Errorf("%s: %d transitions arrived, want 10", id, got)
		}
	}
	if st := srv.Stats(); st.TurnedAway() != 0 || st.Clients != 1 {
		t.Errorf("server stats %+v, want one client and none turned away", st)
	}
}
