package machine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// A dry run answers "would this go through?" from the relations, and why
// not, without running handlers or moving clocks.
func ExampleMachine_CanAdd() {
	mach, _ := am.New(context.Background(), am.Schema{
		"Paid":    {},
		"Shipped": {Require: am.S{"Paid"}},
	}, nil)
	defer mach.Dispose()

	fmt.Println(mach.CanAdd1("Shipped", nil), mach.Check(am.MutationAdd, am.S{"Shipped"}, nil))
	mach.Add1("Paid", nil)
	fmt.Println(mach.CanAdd1("Shipped", nil), mach.ActiveStates())
	// Output:
	// canceled requirement not met: Shipped requires Paid
	// executed [Paid]
}

// Toggle flips a set of states: off when all are on, on otherwise.
func ExampleMachine_Toggle() {
	mach, _ := am.New(context.Background(), am.Schema{"Light": {}, "Fan": {}}, nil)
	defer mach.Dispose()
	for range 3 {
		mach.Toggle(am.S{"Light", "Fan"}, nil)
		fmt.Println(mach.ActiveStates())
	}
	// Output:
	// [Fan Light]
	// []
	// [Fan Light]
}

// counter's handler owns n; Eval reads it on the queue, never concurrently
// with the handler.
type counter struct{ n int }

func (c *counter) TickState(*am.Event) { c.n++ }

// Eval gives other goroutines safe access to what handlers own.
func ExampleMachine_Eval() {
	mach, _ := am.New(context.Background(), am.Schema{"Tick": {Multi: true}}, nil)
	defer mach.Dispose()
	c := &counter{}
	_ = mach.BindHandlers(c)
	for range 3 {
		mach.Add1("Tick", nil)
	}
	var n int
	if err := mach.Eval(context.Background(), func() { n = c.n }); err != nil {
		panic(err)
	}
	fmt.Println(n)
	// Output: 3
}

// WhenTime waits for clocks to reach values, here for Tick to be
// re-activated twice more.
func ExampleMachine_WhenTime() {
	mach, _ := am.New(context.Background(), am.Schema{"Tick": {Multi: true}}, nil)
	defer mach.Dispose()
	mach.Add1("Tick", nil)
	now := mach.Time(am.S{"Tick"})
	done := mach.WhenTime(am.S{"Tick"}, am.Time{now[0] + 4}, nil)
	go func() {
		mach.Add1("Tick", nil)
		mach.Add1("Tick", nil)
	}()
	<-done
	fmt.Println(mach.Tick("Tick"), mach.IsTime(now, am.S{"Tick"}))
	// Output: 5 false
}

// A workflow survives a restart: export the machine, store the JSON (or
// the binary form), and import it into a machine with the same schema.
func ExampleImport() {
	schema := am.Schema{"Ordered": {}, "Paid": {Require: am.S{"Ordered"}}}
	mach, _ := am.New(context.Background(), schema, &am.Opts{ID: "order-7"})
	mach.Add(am.S{"Ordered", "Paid"}, nil)
	stored, _ := json.Marshal(mach.Export())
	mach.Dispose()

	snap := &am.Snapshot{}
	if err := json.Unmarshal(stored, snap); err != nil {
		panic(err)
	}
	restored, err := am.Import(context.Background(), schema, snap, nil)
	if err != nil {
		panic(err)
	}
	defer restored.Dispose()
	fmt.Println(restored.ID(), restored.ActiveStates(), restored.Clock(nil))

	changed := am.Schema{"Ordered": {}, "Paid": {}}
	_, err = am.Import(context.Background(), changed, snap, nil)
	fmt.Println(err)
	// Output:
	// order-7 [Ordered Paid] map[Exception:0 Ordered:1 Paid:1]
	// import machine "order-7": invalid snapshot: the schema differs from the exported one; defined differently: Paid
}

// stuckFetch's handler is stuck on a call that ignores the deadline until
// its context ends.
type stuckFetch struct{}

func (stuckFetch) FetchEnter(e *am.Event) bool {
	<-e.Ctx().Done() // a blocking call that takes e.Ctx()
	return true
}

// A handler past Opts.HandlerTimeout: it is reported while it hangs, its
// context ends, and when it returns its transition is canceled.
func ExampleOpts_handlerTimeout() {
	mach, _ := am.New(context.Background(), am.Schema{"Fetch": {}}, &am.Opts{
		ID:             "client",
		HandlerTimeout: 10 * time.Millisecond,
		Logger:         am.DiscardLogs, // the error entry would go to standard error
	})
	defer mach.Dispose()
	_ = mach.BindHandlers(&stuckFetch{})

	fmt.Println(mach.Add1("Fetch", nil), errors.Is(mach.LastCancel(), am.ErrHandlerTimeout))
	// Output: canceled true
}

// Past Opts.QueueLimit, mutations are canceled instead of waiting.
func ExampleOpts_queueLimit() {
	mach, _ := am.New(context.Background(), am.Schema{"Job": {Multi: true}}, &am.Opts{QueueLimit: 2})
	defer mach.Dispose()
	_ = mach.BindHandlers(&flooder{})

	mach.Add1("Job", nil)
	fmt.Println(errors.Is(mach.LastCancel(), am.ErrQueueFull), mach.Tick("Job"))
	// Output: true 5
}

// flooder queues more jobs than the queue holds from the first one.
type flooder struct{ done bool }

func (f *flooder) JobState(e *am.Event) {
	if f.done {
		return
	}
	f.done = true
	for range 4 {
		e.Machine.EvAdd1(e, "Job", nil)
	}
}

// Groups name sets of states for debuggers and telemetry filters.
func ExampleMachine_Groups() {
	mach, _ := am.New(context.Background(), am.Schema{"Dial": {}, "Connected": {}, "Closed": {}}, &am.Opts{
		Groups: map[string]am.S{"network": {"Dial", "Connected"}},
	})
	defer mach.Dispose()
	fmt.Println(mach.Groups())
	// Output: map[network:[Connected Dial]]
}
