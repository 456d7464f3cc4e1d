package machine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// downloader's handlers are found by name: StartEnter may veto Start,
// StartState runs once Start is active.
type downloader struct{ url string }

func (d *downloader) StartEnter(e *am.Event) bool {
	d.url, _ = e.Args["url"].(string)
	return d.url != ""
}

func (d *downloader) StartState(e *am.Event) {
	fmt.Println("downloading", d.url)
	// handlers mutate through the queue; EvAdd1 records the cause
	e.Machine.EvAdd1(e, "Done", nil)
}

// A basic flow: a handler vetoes a bad mutation, a good one goes through
// and queues the next step.
func Example() {
	mach, err := am.New(context.Background(), am.Schema{
		"Start": {},
		"Done":  {Remove: am.S{"Start"}},
	}, &am.Opts{ID: "dl"})
	if err != nil {
		panic(err)
	}
	defer mach.Dispose()
	if err := mach.BindHandlers(&downloader{}); err != nil {
		panic(err)
	}

	fmt.Println(mach.Add1("Start", nil), mach.LastCancel())
	fmt.Println(mach.Add1("Start", am.A{"url": "https://example.com"}))
	fmt.Println(mach.ActiveStates(), mach.Clock(am.S{"Start", "Done"}))
	// Output:
	// canceled canceled by handler StartEnter
	// downloading https://example.com
	// executed
	// [Done] map[Done:1 Start:2]
}

// Relations: Add implies states, Require guards them, Remove excludes them.
// Every decision is a step of the transition.
func Example_relations() {
	mach, _ := am.New(context.Background(), am.Schema{
		"Connected": {Add: am.S{"Ready"}, Remove: am.S{"Offline"}},
		"Ready":     {Require: am.S{"Connected"}},
		"Offline":   {},
	}, nil)
	defer mach.Dispose()
	steps := &stepPrinter{}
	_ = mach.BindTracer(steps)

	mach.Add1("Offline", nil)
	mach.Add1("Connected", nil)
	fmt.Println(mach.ActiveStates())
	fmt.Println(mach.Add1("Ready", nil) == am.Executed)
	mach.Remove1("Connected", nil)
	fmt.Println(mach.ActiveStates())
	// Output:
	// Offline requested
	// Connected requested
	// Ready added by Connected (Add)
	// Offline removed by Connected (Remove)
	// [Connected Ready]
	// Ready requested
	// true
	// Connected requested
	// Ready removed: requires Connected, which is going away
	// []
}

// stepPrinter prints the relation steps of every transition.
type stepPrinter struct{ am.NoOpTracer }

func (*stepPrinter) TransitionEnd(tx *am.Transition) {
	for _, s := range tx.Steps {
		if s.Type < am.StepHandler {
			fmt.Println(s.Describe(tx.StateNames()))
		}
	}
}

// Waiting: When channels close once a condition holds, without a goroutine
// per waiter; a ctx bounds the wait.
func Example_waiting() {
	mach, _ := am.New(context.Background(), am.Schema{"Loaded": {}, "Tick": {Multi: true}}, nil)
	defer mach.Dispose()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	loaded := mach.When1("Loaded", ctx)
	twoTicks := mach.WhenTicks("Tick", 3, ctx) // activate, then re-activate

	go func() {
		mach.Add1("Tick", nil)
		mach.Add1("Tick", nil)
		mach.Add1("Loaded", nil)
	}()
	<-loaded
	<-twoTicks
	fmt.Println(mach.Is1("Loaded"), mach.Tick("Tick"), ctx.Err())
	// Output: true 3 <nil>
}

// Errors are a state: AddErr activates Exception, and so does a panic in a
// final handler. The machine keeps working.
func Example_errors() {
	mach, _ := am.New(context.Background(), am.Schema{"Fetch": {}}, nil)
	defer mach.Dispose()
	_ = mach.BindHandlers(&fetcher{})

	mach.Add1("Fetch", nil)
	<-mach.WhenErr(context.Background())
	fmt.Println(mach.ActiveStates())
	fmt.Println(errors.Is(mach.Err(), am.ErrHandlerPanic), mach.Err())

	mach.Remove1(am.Exception, nil)
	mach.AddErr(errors.New("disk full"), nil)
	fmt.Println(mach.Err(), mach.Tick(am.Exception))
	// Output:
	// [Exception Fetch]
	// true handler panicked: FetchState: no network
	// disk full 3
}

type fetcher struct{}

func (*fetcher) FetchState(*am.Event) { panic("no network") }

// A tracer sees every transition; embed NoOpTracer and implement what you
// need. Telemetry exporters are tracers.
func Example_tracer() {
	mach, _ := am.New(context.Background(), am.Schema{"A": {}, "B": {Require: am.S{"A"}}}, &am.Opts{
		Tracers: []am.Tracer{&txPrinter{}},
	})
	defer mach.Dispose()

	mach.Add1("B", nil)
	mach.Add(am.S{"A", "B"}, nil)
	// Output:
	// tx 1 [add] B: canceled (requirement not met: B requires A)
	// tx 2 [add] A B: accepted, time [0 1 1]
}

type txPrinter struct{ am.NoOpTracer }

func (*txPrinter) TransitionEnd(tx *am.Transition) {
	if tx.Accepted {
		fmt.Printf("tx %d %s: accepted, time %v\n", tx.ID, tx.Mutation.String(tx.StateNames()), tx.TimeAfter)
	} else {
		fmt.Printf("tx %d %s: canceled (%v)\n", tx.ID, tx.Mutation.String(tx.StateNames()), tx.Err)
	}
}

// Submachines inherit their parent's inheritable tracers and are disposed
// with it.
func Example_submachine() {
	parent, _ := am.New(context.Background(), am.Schema{"Running": {}}, &am.Opts{
		ID:      "pool",
		Tracers: []am.Tracer{&lifecycle{}},
	})
	worker, _ := am.New(context.Background(), am.Schema{"Busy": {}}, &am.Opts{
		ID:     "worker-1",
		Parent: parent,
		Tags:   []string{"worker"},
		// logs of both machines go to one sink
		LogLevel: am.LogLevelChanges,
		Logger:   am.NewTextSink(os.Stdout),
	})
	worker.Add1("Busy", nil)
	fmt.Println(worker.ParentID(), worker.Tags())

	parent.Dispose()
	<-worker.WhenDisposed()
	// Output:
	// init pool
	// pool started worker-1
	// init worker-1
	// [worker-1] [state] +Busy
	// pool [worker]
	// dispose worker-1
	// dispose pool
}

// lifecycle is an inheritable tracer that prints machine lifecycles.
type lifecycle struct{ am.NoOpTracer }

func (*lifecycle) Inheritable() bool              { return true }
func (*lifecycle) MachineInit(m *am.Machine)      { fmt.Println("init", m.ID()) }
func (*lifecycle) MachineDispose(id string)       { fmt.Println("dispose", id) }
func (*lifecycle) NewSubmachine(p, c *am.Machine) { fmt.Println(p.ID(), "started", c.ID()) }
