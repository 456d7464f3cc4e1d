package amprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amkit-dev/amkit/internal/machtest"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amprom "github.com/amkit-dev/amkit/pkg/telemetry/prometheus"
)

// TestTotals runs a known workload on a machine and a submachine and checks
// every counter and histogram of both against the transitions themselves.
func TestTotals(t *testing.T) {
	parent := newMachine(t, "parent", nil)
	rec := newRecorder()
	if err := parent.BindTracer(rec); err != nil {
		t.Fatal(err)
	}
	metrics := amprom.TransitionsToPrometheus(parent, time.Hour)
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	child := newMachine(t, "child", parent)

	pw, cw := workload{ops: 7, errs: 3, cancels: 2}, workload{ops: 4, errs: 1, cancels: 5}
	pw.run(t, parent)
	cw.run(t, child)

	got := gather(t, reg)
	for _, m := range []struct {
		id string
		w  workload
	}{{"parent", pw}, {"child", cw}} {
		e := expect(rec.of(m.id))
		// the hand-counted figures pin the recorder too, so that a
		// recorder that missed transitions cannot make the test pass
		if int(e.transitions) != m.w.transitions() || int(e.errors) != m.w.errs || int(e.canceled) != m.w.cancels {
			t.Fatalf("%s: recorder saw %v transitions, %v errors, %v canceled; workload made %d, %d, %d",
				m.id, e.transitions, e.errors, e.canceled, m.w.transitions(), m.w.errs, m.w.cancels)
		}
		compare(t, m.id, got.of("machine_id="+m.id), e.want(amprom.DefaultDurationBuckets, amprom.DefaultQueueBuckets))
	}
}

// TestMachineGauges checks the gauges that describe machines, and that
// they follow a schema change.
func TestMachineGauges(t *testing.T) {
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	mach.Add1("D", nil) // D adds C, DState adds A
	// MutationsSchema: B requires A, C removes B, D adds C: 3 relations
	// naming A, B and C
	compare(t, "initial", gather(t, reg).of("machine_id=m"), series{
		"am_machines{}":          1,
		"am_states{}":            5,
		"am_relations{}":         3,
		"am_referenced_states{}": 3,
		"am_active_states{}":     3,
		"am_inactive_states{}":   2,
	})

	schema := machtest.MutationsSchema()
	schema["E"] = am.State{Require: am.S{"D"}, After: am.S{"A"}}
	if err := mach.SetSchema(schema); err != nil {
		t.Fatal(err)
	}
	mach.Add1("E", nil)
	compare(t, "after SetSchema", gather(t, reg).of("machine_id=m"), series{
		"am_states{}":            6,
		"am_relations{}":         5,
		"am_referenced_states{}": 4,
		"am_active_states{}":     4,
		"am_inactive_states{}":   2,
	})
}

// TestCanceledCounted checks that canceled transitions count everywhere a
// transition counts, including rejected ones that name unknown states.
func TestCanceledCounted(t *testing.T) {
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	mach.Add1("B", nil)       // requirement A missing
	mach.Add1("Unknown", nil) // rejected before resolution
	if !errors.Is(mach.LastCancel(), am.ErrUnknownState) {
		t.Fatalf("LastCancel = %v, want ErrUnknownState", mach.LastCancel())
	}
	compare(t, "canceled", gather(t, reg).of("machine_id=m"), series{
		"am_transitions_total{}":                 2,
		"am_transitions_canceled_total{}":        2,
		"am_mutations_total{type=add}":           2,
		"am_states_added_total{}":                0,
		"am_transition_duration_seconds_count{}": 2,
	})
}

// TestDisposeUnregisters checks that a disposed submachine's series go
// away and that disposing the observed machine empties the registry.
func TestDisposeUnregisters(t *testing.T) {
	parent := newMachine(t, "parent", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(parent, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	child := newMachine(t, "child", parent)
	if got := gather(t, reg).of("machine_id=child"); len(got) == 0 {
		t.Fatal("no series for the submachine")
	}

	child.Dispose()
	<-child.WhenDisposed()
	got := gather(t, reg)
	if n := len(got.of("machine_id=child")); n != 0 {
		t.Errorf("%d series of the disposed submachine remain", n)
	}
	if len(got.of("machine_id=parent")) == 0 {
		t.Error("disposing the submachine removed the parent's series")
	}

	parent.Dispose()
	<-parent.WhenDisposed()
	for k := range gather(t, reg) {
		// the drop counts are the process's, not the machine's
		if !strings.HasPrefix(k, amprom.MetricDropped+"{") {
			t.Errorf("series %s remains after disposing the observed machine", k)
		}
	}
	// the registry is free for another machine with the same ID
	again := newMachine(t, "parent", nil)
	if err := amprom.TransitionsToPrometheus(again, time.Hour).BindToRegistry(reg); err != nil {
		t.Errorf("binding a new machine with the disposed one's ID: %v", err)
	}
}

// TestRegistrationConflict checks that two machines with one ID in one
// registry are an error, returned or reported, never a panic, and that
// the registry keeps the first machine's series.
func TestRegistrationConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	first := newMachine(t, "dup", nil)
	if err := amprom.TransitionsToPrometheus(first, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	first.Add1("A", nil)

	second := newMachine(t, "dup", nil)
	err := amprom.TransitionsToPrometheus(second, time.Hour).BindToRegistry(reg)
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		t.Fatalf("BindToRegistry = %v, want an AlreadyRegisteredError", err)
	}
	if !strings.Contains(err.Error(), `machine_id="dup"`) {
		t.Errorf("error %q does not name the machine", err)
	}
	if got := gather(t, reg).of("machine_id=dup")["am_transitions_total{}"]; got != 1 {
		t.Errorf("am_transitions_total = %v, want the first machine's 1", got)
	}

	// a submachine created later cannot return an error: it is reported
	errs := &errorCollector{}
	root := newMachine(t, "root", nil)
	metrics, err := amprom.New(root, &amprom.Opts{ErrorHandler: errs.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	newMachine(t, "dup", root)
	if err := errs.all(); !errors.As(err, &already) {
		t.Errorf("reported %v, want an AlreadyRegisteredError", err)
	}
}

// TestDuplicateIDInTree checks that a second machine with an ID already
// observed by the same metrics is reported and left out, rather than
// breaking the whole registry with duplicate series.
func TestDuplicateIDInTree(t *testing.T) {
	errs := &errorCollector{}
	root := newMachine(t, "root", nil)
	metrics, err := amprom.New(root, &amprom.Opts{ErrorHandler: errs.handle})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	a := newMachine(t, "twin", root)
	b := newMachine(t, "twin", root)
	if errs.all() == nil {
		t.Error("the second twin was not reported")
	}
	a.Add1("A", nil)
	b.Add1("A", nil)
	b.Add1("D", nil)
	if got := gather(t, reg).of("machine_id=twin")["am_transitions_total{}"]; got != 1 {
		t.Errorf("am_transitions_total = %v, want the first twin's 1", got)
	}
	// disposing the left-out twin must not remove the first twin's series
	b.Dispose()
	<-b.WhenDisposed()
	if got := gather(t, reg).of("machine_id=twin")["am_transitions_total{}"]; got != 1 {
		t.Errorf("after disposing the second twin: am_transitions_total = %v, want 1", got)
	}
}

// TestSchemaLabel checks Opts.SchemaOf: machines of one type share a
// series set whose counters survive the machines.
func TestSchemaLabel(t *testing.T) {
	root := newMachine(t, "root", nil)
	metrics, err := amprom.New(root, &amprom.Opts{
		Interval: time.Hour,
		SchemaOf: func(m *am.Machine) string {
			if m.ParentID() != "" {
				return "worker"
			}
			return "" // the root keeps its ID
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := metrics.BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	w1 := newMachine(t, "w1", root)
	w2 := newMachine(t, "w2", root)
	workload{ops: 2}.run(t, w1)
	workload{ops: 3, errs: 1}.run(t, w2)

	got := gather(t, reg)
	compare(t, "two workers", got.of("schema=worker"), series{
		"am_machines{}":          2,
		"am_transitions_total{}": 5*5 + 1,
		"am_errors_total{}":      1,
		"am_states{}":            5,
		"am_inactive_states{}":   2*5 - 1, // w2's Exception is active
	})
	if len(got.of("machine_id=w1")) != 0 {
		t.Error("a worker has series of its own")
	}
	if len(got.of("machine_id=root")) == 0 {
		t.Error("the root has no series")
	}
	for k := range got {
		if strings.Contains(k, "machine_id=") && strings.Contains(k, "schema=") {
			t.Errorf("%s has both labels", k)
		}
	}

	w1.Dispose()
	<-w1.WhenDisposed()
	compare(t, "after disposing one", gather(t, reg).of("schema=worker"), series{
		"am_machines{}":          1,
		"am_transitions_total{}": 5*5 + 1,
	})
}

// TestLabelsBounded checks that series carry only the documented labels,
// and the type label only the three mutation types, whatever the states
// and args.
func TestLabelsBounded(t *testing.T) {
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	mach.Add(am.S{"A", "B"}, am.A{"secret": "s3cr3t"})
	mach.Set(am.S{"D"}, nil)
	mach.Remove1("D", nil)
	allowed := map[string]bool{"machine_id=m": true, "type=add": true, "type=remove": true, "type=set": true}
	for k := range gather(t, reg) {
		name, rest, _ := strings.Cut(k, "{")
		if name == amprom.MetricDropped {
			continue // labelled by exporter names, a fixed few
		}
		for _, l := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			if !allowed[l] && !strings.HasPrefix(l, "le=") {
				t.Errorf("%s: unexpected label %s", k, l)
			}
		}
	}
}

// TestBindErrors checks the errors of binding what cannot be bound.
func TestBindErrors(t *testing.T) {
	disposed := newMachine(t, "gone", nil)
	disposed.Dispose()
	<-disposed.WhenDisposed()
	if err := amprom.TransitionsToPrometheus(disposed, time.Minute).BindToRegistry(prometheus.NewRegistry()); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("binding a disposed machine: %v, want ErrDisposed", err)
	}

	mach := newMachine(t, "m", nil)
	for _, opts := range []*amprom.Opts{
		{Interval: -time.Second},
		{DurationBuckets: []float64{1, 0.5}},
		{QueueBuckets: []float64{1, 1}},
	} {
		if _, err := amprom.New(mach, opts); err == nil {
			t.Errorf("New(%+v) did not fail", *opts)
		}
	}
	metrics := amprom.TransitionsToPrometheus(mach, time.Minute)
	if err := metrics.BindToRegistry(nil); err == nil {
		t.Error("binding to a nil registry did not fail")
	}
	mach.Dispose()
	<-mach.WhenDisposed()
	if err := metrics.BindToRegistry(prometheus.NewRegistry()); !errors.Is(err, am.ErrDisposed) {
		t.Errorf("binding after dispose: %v, want ErrDisposed", err)
	}
}

// TestOptsWithParentTracers checks that a machine made with the observed
// machine's tracers, without being its submachine, gets metrics too.
func TestOptsWithParentTracers(t *testing.T) {
	root := newMachine(t, "root", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(root, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	peer, err := am.New(context.Background(), machtest.MutationsSchema(), am.OptsWithParentTracers(&am.Opts{ID: "peer"}, root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Dispose)
	peer.Add1("A", nil)
	if got := gather(t, reg).of("machine_id=peer")["am_transitions_total{}"]; got != 1 {
		t.Errorf("peer's am_transitions_total = %v, want 1", got)
	}
}

// TestNoEmptySchemaLabel checks that series carry no empty schema label
// unless Opts.SchemaOf asks for schema sets, which need it.
func TestNoEmptySchemaLabel(t *testing.T) {
	mach := newMachine(t, "m", nil)
	reg := prometheus.NewRegistry()
	if err := amprom.TransitionsToPrometheus(mach, time.Hour).BindToRegistry(reg); err != nil {
		t.Fatal(err)
	}
	mach.Add1("A", nil)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == amprom.LabelSchema {
					t.Fatalf("%s has the label %s=%q", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}
