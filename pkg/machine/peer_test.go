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
