package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// stuckOf returns the machine's stuck handler, read under the lock.
func stuckOf(data *store.Store, id string) *store.Stuck {
	data.RLock()
	defer data.RUnlock()
	return data.Lookup(id).Stuck()
}

// A handler timeout marks the machine stuck until a transition arrives:
// a dry run ending meanwhile does not clear it, its own transition does,
// and so does a new machine reusing the ID after a disposal. The stuck
// handler's name counts in the memory budget.
func TestStuckHandler(t *testing.T) {
	data := store.New(nil)
	at := time.Unix(100, 0)
	st := &dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{am.Exception, "A"}, Clocks: am.Time{0, 0}}
	add(data, st, &dbg.DbgMsgTx{MachineID: "m", ID: 1, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true})
	if s := stuckOf(data, "m"); s != nil {
		t.Fatalf("stuck before any timeout: %+v", s)
	}
	bytesOf := func() int64 {
		data.RLock()
		defer data.RUnlock()
		return data.Stats().Bytes
	}
	before := bytesOf()
	long := strings.Repeat("H", 10_000)
	add(data, &dbg.DbgMsgHandlerTimeout{MachineID: "m", TxID: 2, Handler: long, Elapsed: 20 * time.Millisecond, Time: at})
	s := stuckOf(data, "m")
	if s == nil || s.Handler != long || s.TxID != 2 || s.Elapsed != 20*time.Millisecond || !s.Time.Equal(at) {
		t.Fatalf("stuck %+v; want the handler of #2, 20ms, at %v", s, at)
	}
	if grown := bytesOf() - before; grown < int64(len(long)) {
		t.Errorf("a stuck handler of %d bytes accounted as %d", len(long), grown)
	}
	add(data, &dbg.DbgMsgTx{MachineID: "m", CheckOnly: true, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true})
	if stuckOf(data, "m") == nil {
		t.Fatal("a dry run cleared the stuck handler")
	}
	add(data, &dbg.DbgMsgTx{MachineID: "m", ID: 2, Clocks: am.Time{0, 1}, Called: []int{1}, Accepted: true})
	if s := stuckOf(data, "m"); s != nil {
		t.Fatalf("still stuck after its transition arrived: %+v", s)
	}
	if after := bytesOf(); after-before >= int64(len(long)) {
		t.Errorf("the cleared handler still accounted: %d bytes before, %d after", before, after)
	}

	// a disposed machine keeps it; a new one with the ID does not
	add(data, &dbg.DbgMsgHandlerTimeout{MachineID: "m", TxID: 3, Handler: "AState", Elapsed: time.Second, Time: at})
	add(data, &dbg.DbgMsgDispose{MachineID: "m", Time: at})
	if s := stuckOf(data, "m"); s == nil || s.Handler != "AState" {
		t.Fatalf("disposed with a handler stuck: %+v", s)
	}
	add(data, st)
	if s := stuckOf(data, "m"); s != nil {
		t.Errorf("a new machine reusing the ID is stuck: %+v", s)
	}

	// a timeout of a machine not described yet makes the machine
	add(data, &dbg.DbgMsgHandlerTimeout{MachineID: "new", TxID: 1, Handler: "XState", Time: at})
	if s := stuckOf(data, "new"); s == nil || s.Handler != "XState" {
		t.Errorf("unknown machine: stuck %+v", s)
	}
}

// Handler durations pair with the handler steps in order; durations that
// do not pair are not shown at all.
func TestStepDurations(t *testing.T) {
	steps := []am.Step{
		{Type: am.StepRequested, State: 1, Related: -1},
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AEnter"},
		{Type: am.StepHandler, State: 1, Related: -1, Handler: "AState"},
		{Type: am.StepHandlerPanic, State: 1, Related: -1, Handler: "AState"},
	}
	for _, tc := range []struct {
		durations []time.Duration
		want      []time.Duration
	}{
		{[]time.Duration{3, 5}, []time.Duration{0, 3, 5, 0}},
		{nil, nil},
		{[]time.Duration{3}, nil},
		{[]time.Duration{3, 5, 7}, nil},
	} {
		tx := &store.Tx{Msg: &dbg.DbgMsgTx{Steps: steps, HandlerDurations: tc.durations}}
		if got := tx.StepDurations(); !slices.Equal(got, tc.want) {
			t.Errorf("durations %v: steps get %v, want %v", tc.durations, got, tc.want)
		}
	}
}
