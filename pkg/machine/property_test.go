package machine_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// chooser picks numbers for the random schema and mutation generators, so
// the property test (math/rand) and the fuzz targets (fuzzer bytes) share
// them.
type chooser interface {
	intn(n int) int
}

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int) int { return c.r.IntN(n) }

// byteChooser reads choices from fuzzer input; once it runs out it keeps
// choosing 0, so every input means something.
type byteChooser struct{ b []byte }

func (c *byteChooser) intn(n int) int {
	if len(c.b) == 0 {
		return 0
	}
	v := int(c.b[0])
	c.b = c.b[1:]
	return v % n
}

func (c *byteChooser) empty() bool { return len(c.b) == 0 }

var recorderStates = am.S{"A", "B", "C", "D", "E"}

// genSchema draws relations between states A to E. Some schemas are
// invalid on purpose (After cycles, a state adding and removing the same
// state); am.New must reject those with ErrSchema.
func genSchema(c chooser) am.Schema {
	pick := func() am.S {
		var out am.S
		for _, name := range recorderStates {
			if c.intn(5) == 0 {
				out = append(out, name)
			}
		}
		return out
	}
	schema := am.Schema{}
	for _, name := range recorderStates {
		st := am.State{Auto: c.intn(6) == 0, Multi: c.intn(4) == 0}
		for _, rel := range []*am.S{&st.Require, &st.Add, &st.Remove, &st.After} {
			for _, other := range pick() {
				if other != name {
					*rel = append(*rel, other)
				}
			}
		}
		schema[name] = st
	}
	return schema
}

// genOp draws a mutation of one to three states, sometimes of Exception.
func genOp(c chooser) op {
	states := am.S{}
	for range 1 + c.intn(3) {
		if c.intn(12) == 0 {
			states = append(states, am.Exception)
		} else {
			states = append(states, recorderStates[c.intn(len(recorderStates))])
		}
	}
	return op{typ: []am.MutationType{am.MutationAdd, am.MutationRemove, am.MutationSet}[c.intn(3)], states: states}
}

// genHandlers draws which handlers deny or panic. Panics are rare so that
// most transitions get past negotiation.
func genHandlers(c chooser) *recorder {
	rec := &recorder{deny: map[string]bool{}, panics: map[string]bool{}}
	for _, name := range recorderStates {
		for _, kind := range []string{"Enter", "Exit", "State", "End"} {
			switch c.intn(16) {
			case 0:
				rec.panics[name+kind] = true
			case 1, 2:
				rec.deny[name+kind] = true
			}
		}
	}
	return rec
}

// checkRun runs ops on a new machine with schema and rec bound. The
// invariants tracer checks every transition; checkRun also checks that each
// result agrees with the transition it made.
func checkRun(t *testing.T, schema am.Schema, rec *recorder, ops []op) {
	t.Helper()
	// panics while Exception is handled are reported as error entries,
	// which would flood the test's output
	mach, err := am.New(context.Background(), schema, &am.Opts{Logger: am.DiscardLogs})
	if err != nil {
		if !errors.Is(err, am.ErrSchema) {
			t.Fatalf("schema %v: error %v does not wrap ErrSchema", schema, err)
		}
		return
	}
	defer mach.Dispose()
	mach.SetLogLevel(am.LogLevelNothing)
	// borrowing, so that every transition reuses one record, as it does
	// with telemetry that borrows them
	inv := newInvariants(t, schema)
	inv.borrow = true
	if err := mach.BindTracer(inv); err != nil {
		t.Fatal(err)
	}
	if err := mach.BindHandlers(rec); err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		seen := len(inv.all())
		res := o.apply(mach)
		txs := inv.all()[seen:]
		if len(txs) == 0 {
			t.Fatalf("%v: no transition", o)
		}
		if accepted := txs[0].Accepted; accepted != (res == am.Executed) {
			t.Fatalf("%v: result %v but transition accepted=%v (%v)", o, res, accepted, txs[0].Err)
		}
		if res == am.Executed && !mach.Is(activatedBy(o)) {
			t.Fatalf("%v executed, but active states are %v", o, mach.ActiveStates())
		}
		if t.Failed() {
			t.Fatalf("schema %v, after %v", schema, o)
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if len(inv.txs) > 2 && inv.reused == 0 {
		t.Fatalf("%d transitions and no record reused", len(inv.txs))
	}
}

// activatedBy returns the states an executed mutation must leave active.
// The recorder queues no mutations and an auto transition never displaces
// an active state, not even through a state it implies, so only a Remove
// leaves no called state behind.
func activatedBy(o op) am.S {
	if o.typ == am.MutationRemove {
		return nil
	}
	return o.states
}

// TestPropertyRandomSchemas runs random mutation sequences on random
// schemas and checks machine.md's invariants after every transition.
func TestPropertyRandomSchemas(t *testing.T) {
	iterations := 2000
	if testing.Short() {
		iterations = 200
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range iterations {
		c := randChooser{r}
		schema := genSchema(c)
		rec := genHandlers(c)
		ops := make([]op, 40)
		for k := range ops {
			ops[k] = genOp(c)
		}
		t.Run("", func(t *testing.T) {
			t.Logf("iteration %d", i)
			checkRun(t, schema, rec, ops)
		})
	}
}

// FuzzMutations checks the invariants for fuzzer-chosen schemas, handler
// outcomes and mutation sequences.
func FuzzMutations(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte("\x05\x00\x07\x03\x02\x09\x00\x00\x11\x01\x04\xff\x80\x40\x20"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &byteChooser{b: data}
		schema := genSchema(c)
		rec := genHandlers(c)
		var ops []op
		for len(ops) < 64 && !c.empty() {
			ops = append(ops, genOp(c))
		}
		checkRun(t, schema, rec, ops)
	})
}
