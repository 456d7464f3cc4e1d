package machine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// failing panics in the handlers it lists.
type failing struct{ in map[string]bool }

func (p *failing) maybe(name string) {
	if p.in[name] {
		panic("boom in " + name)
	}
}

func (p *failing) ExceptionState(*am.Event) { p.maybe("ExceptionState") }
func (p *failing) AState(*am.Event)         { p.maybe("AState") }

// Peer case: AState panics, so Exception activates, and ExceptionState
// panics too. The second panic is reported, not raised as another
// Exception, and the queue drains (it used to livelock).
func TestPeerExceptionInException(t *testing.T) {
	sink := &errSink{}
	mach, inv := newMach(t, am.Schema{"A": {}}, &am.Opts{Logger: sink})
	if err := mach.BindHandlers(&failing{in: map[string]bool{"ExceptionState": true, "AState": true}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan am.Result)
	go func() { done <- mach.Add1("A", nil) }()
	select {
	case res := <-done:
		if res != am.Executed {
			t.Errorf("Add1(A) = %v", res)
		}
	case <-time.After(time.Minute):
		t.Fatal("Add1(A) did not return: the machine livelocks")
	}
	<-mach.WhenQueueDone(nil)
	if got := mach.Tick(am.Exception); got != 1 {
		t.Errorf("Exception ticked %d times, want 1", got)
	}
	if !errors.Is(mach.Err(), am.ErrHandlerPanic) || !strings.Contains(mach.Err().Error(), "AState") {
		t.Errorf("Err = %v, want AState's panic", mach.Err())
	}
	errs := sink.all()
	if len(errs) != 1 || !errors.Is(errs[0].Err, am.ErrHandlerPanic) || !strings.Contains(errs[0].Text, "ExceptionState") {
		t.Fatalf("error entries: %+v", errs)
	}
	txs := inv.all()
	last := txs[len(txs)-1]
	if !slices.Contains(describe(last), "ExceptionState panicked") || !slices.ContainsFunc(last.Logs, func(e am.LogEntry) bool { return e.Err != nil }) {
		t.Errorf("the Exception transition lacks the panic: steps %q, logs %+v", describe(last), last.Logs)
	}
	if res := mach.Add1("A", nil); res != am.Executed {
		t.Errorf("machine stopped working: %v", res)
	}
}

// autoVeto is the recorder with BEnter vetoing.
func autoVeto() *recorder {
	return &recorder{deny: map[string]bool{"BEnter": true}}
}

// peerCase is one case of the list below, in the style of the peer
// library's suite the machine was checked against: a schema, handlers, a
// scenario, and what must hold afterwards.
type peerCase struct {
	name   string
	schema am.Schema
	rec    *recorder
	opts   *am.Opts
	run    func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder)
}

func TestPeerCases(t *testing.T) {
	unknownSink := &errSink{}
	// A and B are auto, B adds D and BEnter vetoes; C is what the caller
	// adds
	autoSchema := am.Schema{"A": {Auto: true}, "B": {Auto: true, Add: am.S{"D"}}, "C": {}, "D": {}, "E": {}}
	cases := []peerCase{{
		name:   "a vetoed auto state is dropped and the other auto states activate",
		schema: autoSchema,
		rec:    autoVeto(),
		run: func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder) {
			if res := mach.Add1("C", nil); res != am.Executed {
				t.Errorf("Add1(C) = %v", res)
			}
			if got := mach.ActiveStates(); !slices.Equal(got, am.S{"A", "C"}) {
				t.Errorf("active = %v, want [A C]", got)
			}
			if err := mach.LastCancel(); err != nil {
				t.Errorf("LastCancel = %v, but the caller's transition was accepted", err)
			}
			var autos []string
			for _, tx := range inv.all()[1:] {
				if !tx.Mutation.Auto {
					t.Errorf("tx %d %s is not auto", tx.ID, tx)
				}
				autos = append(autos, tx.String())
			}
			want := []string{"[auto][add] A B (canceled: canceled by handler BEnter)", "[auto][add] A"}
			if !slices.Equal(autos, want) {
				t.Errorf("auto transitions:\n got  %q\n want %q", autos, want)
			}
		},
	}, {
		name:   "an activated auto state's handlers do not run again after later transitions",
		schema: autoSchema,
		rec:    autoVeto(),
		run: func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder) {
			mach.Add1("C", nil)
			rec.take()
			mach.Add1("E", nil)
			// B is still ready and is tried again; A stays active
			if got, want := rec.take(), []string{"EEnter", "EState", "BEnter"}; !slices.Equal(got, want) {
				t.Errorf("handlers after Add1(E): %q, want %q", got, want)
			}
		},
	}, {
		name:   "an auto state whose requirement cannot hold is dropped",
		schema: am.Schema{"A": {Auto: true}, "B": {Auto: true, Add: am.S{"D"}}, "C": {}, "D": {Require: am.S{"E"}}, "E": {}},
		run: func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder) {
			// B adds D, which requires E: D is dropped, B and A activate
			mach.Add1("C", nil)
			if got := mach.ActiveStates(); !slices.Equal(got, am.S{"A", "B", "C"}) {
				t.Errorf("active = %v, want [A B C]", got)
			}
		},
	}, {
		name:   "an auto state removed by another auto state's relation is dropped",
		schema: am.Schema{"A": {Auto: true, Add: am.S{"E"}}, "B": {Auto: true}, "C": {}, "D": {}, "E": {Remove: am.S{"B"}}},
		run: func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder) {
			mach.Add1("C", nil)
			if got := mach.ActiveStates(); !slices.Equal(got, am.S{"A", "C", "E"}) {
				t.Errorf("active = %v, want [A C E]", got)
			}
			last := inv.all()[len(inv.all())-1]
			if !slices.Contains(describe(last), "B removed by E (Remove)") {
				t.Errorf("auto steps %q", describe(last))
			}
		},
	}, {
		name:   "an auto transition vetoed by AnyEnter ends the chain",
		schema: autoSchema,
		rec:    &recorder{},
		run: func(t *testing.T, mach *am.Machine, inv *invariants, rec *recorder) {
			if err := mach.BindHandlers(&anyVeto{}); err != nil {
				t.Fatal(err)
			}
			if res := mach.Add1("C", nil); res != am.Executed {
				t.Errorf("Add1(C) = %v (%v)", res, mach.LastCancel())
			}
			if got := mach.ActiveStates(); !slices.Equal(got, am.S{"C"}) {
				t.Errorf("active = %v, want [C]", got)
			}
		},
	}, {
		name:   "WhenNot on an unknown state closes at once",
		schema: am.Schema{},
		run: func(t *testing.T, mach *am.Machine, _ *invariants, _ *recorder) {
			if !closed(mach.WhenNot(am.S{"Nope"}, nil)) || !mach.Not(am.S{"Nope"}) {
				t.Error("WhenNot(Nope) is open")
			}
		},
	}, {
		name:   "every wait on an unknown state ends at once, with an error entry",
		schema: am.Schema{},
		opts:   &am.Opts{Logger: unknownSink},
		run: func(t *testing.T, mach *am.Machine, _ *invariants, _ *recorder) {
			waits := map[string]<-chan struct{}{
				"When":      mach.When(am.S{"A", "Nope"}, nil),
				"When1":     mach.When1("Nope", nil),
				"WhenNot":   mach.WhenNot(am.S{"Nope"}, nil),
				"WhenTime":  mach.WhenTime(am.S{"Nope"}, am.Time{1}, nil),
				"WhenTicks": mach.WhenTicks("Nope", 1, nil),
			}
			for name, ch := range waits {
				if !closed(ch) {
					t.Errorf("%s is open", name)
				}
			}
			errs := unknownSink.all()
			if len(errs) != len(waits) {
				t.Fatalf("%d error entries for %d waits", len(errs), len(waits))
			}
			for _, e := range errs {
				if !errors.Is(e.Err, am.ErrUnknownState) || !strings.Contains(e.Text, `"Nope"`) {
					t.Errorf("entry %q", e.Text)
				}
			}
		},
	}, {
		name:   "waits end on dispose, and waits on a disposed machine end at once",
		schema: am.Schema{},
		run: func(t *testing.T, mach *am.Machine, _ *invariants, _ *recorder) {
			mach.Add1("B", nil)
			waits := []<-chan struct{}{
				mach.When1("A", nil), mach.WhenNot(am.S{"B"}, nil), mach.WhenErr(nil),
				mach.WhenTicks("A", 4, nil), mach.WhenTime(am.S{"A"}, am.Time{3}, nil),
			}
			for k, ch := range waits {
				if closed(ch) {
					t.Fatalf("wait %d closed before dispose", k)
				}
			}
			mach.Dispose()
			for k, ch := range waits {
				select {
				case <-ch:
				case <-time.After(time.Minute):
					t.Fatalf("wait %d still open after dispose", k)
				}
			}
			for k, ch := range []<-chan struct{}{mach.When1("Nope", nil), mach.When1("A", nil), mach.WhenTicks("A", 2, nil), mach.WhenQueueDone(nil)} {
				if !closed(ch) {
					t.Errorf("wait %d on the disposed machine is open", k)
				}
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts == nil {
				opts = &am.Opts{Logger: am.DiscardLogs}
			}
			mach, inv := newMach(t, abcde(tc.schema), opts)
			rec := tc.rec
			if rec == nil {
				rec = &recorder{}
			}
			if err := mach.BindHandlers(rec); err != nil {
				t.Fatal(err)
			}
			tc.run(t, mach, inv, rec)
		})
	}
}

// anyVeto vetoes every auto transition in AnyEnter.
type anyVeto struct{}

func (anyVeto) AnyEnter(e *am.Event) bool { return !e.Transition().Mutation.Auto }
