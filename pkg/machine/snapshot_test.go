package machine_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func snapshotSchema() am.Schema {
	return am.Schema{
		"Start": {Tags: []string{"lifecycle"}},
		"Ready": {Require: am.S{"Start"}},
		"Work":  {Multi: true, Require: am.S{"Ready"}},
		"Stop":  {Remove: am.S{"Start"}},
	}
}

// A machine exported to JSON or binary and imported again has the same ID,
// active states and clocks, and the import ran no transition.
func TestExportImport(t *testing.T) {
	mach, _ := newMach(t, snapshotSchema(), &am.Opts{ID: "wf"})
	mach.Add(am.S{"Start", "Ready"}, nil)
	mach.Add1("Work", nil)
	mach.Add1("Work", nil)
	snap := mach.Export()
	if want := (am.S{"Ready", "Start", "Work"}); !slices.Equal(snap.Active, want) {
		t.Fatalf("Active = %v, want %v", snap.Active, want)
	}

	encodings := map[string]func(*testing.T) *am.Snapshot{
		"json": func(t *testing.T) *am.Snapshot {
			b, err := json.Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			out := &am.Snapshot{}
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
			return out
		},
		"binary": func(t *testing.T) *am.Snapshot {
			b, err := snap.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			jsonLen, _ := json.Marshal(snap)
			if len(b) >= len(jsonLen)/2 {
				t.Errorf("binary form takes %d bytes, JSON %d", len(b), len(jsonLen))
			}
			out := &am.Snapshot{}
			if err := out.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			return out
		},
	}
	for name, roundTrip := range encodings {
		t.Run(name, func(t *testing.T) {
			got := roundTrip(t)
			// a different index order and different tags are the same schema
			schema := snapshotSchema()
			schema["Start"] = am.State{}
			inv := newInvariants(t, schema)
			imported, err := am.Import(context.Background(), schema, got, &am.Opts{Order: am.S{"Work", "Stop", "Start", "Ready"}, Tracers: []am.Tracer{inv}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(imported.Dispose)
			if txs := inv.all(); len(txs) > 0 {
				t.Errorf("import ran %d transitions", len(txs))
			}
			if imported.ID() != "wf" {
				t.Errorf("ID = %q", imported.ID())
			}
			for _, state := range mach.StateNames() {
				if imported.Tick(state) != mach.Tick(state) {
					t.Errorf("tick of %s = %d, want %d", state, imported.Tick(state), mach.Tick(state))
				}
			}
			if !imported.Is(snap.Active) || imported.Is1("Stop") {
				t.Errorf("active = %v", imported.ActiveStates())
			}
			if res := imported.Add1("Stop", nil); res != am.Executed || imported.Any(am.S{"Start", "Ready", "Work"}) {
				t.Errorf("imported machine does not work: %v, active %v", res, imported.ActiveStates())
			}
		})
	}
}

func TestImportDifferentSchema(t *testing.T) {
	mach, _ := newMach(t, snapshotSchema(), nil)
	snap := mach.Export()
	schema := snapshotSchema()
	delete(schema, "Stop")
	schema["Pause"] = am.State{}
	schema["Ready"] = am.State{Require: am.S{"Start"}, Add: am.S{"Pause"}}
	_, err := am.Import(context.Background(), schema, snap, nil)
	want := "not in the schema: Stop; not in the snapshot: Pause; defined differently: Ready"
	if !errors.Is(err, am.ErrSnapshot) || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want ErrSnapshot naming %q", err, want)
	}
}

func TestSnapshotInvalid(t *testing.T) {
	mach, _ := newMach(t, snapshotSchema(), nil)
	mach.Add1("Start", nil)
	good, err := mach.Export().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not ours":  []byte("{}"),
		"version":   append([]byte("amS\x09"), good[4:]...),
		"truncated": good[:len(good)-3],
		"trailing":  append(slices.Clone(good), 0),
		"count":     append(slices.Clone(good[:4+1+0+8]), 0xff, 0xff, 0x03),
	} {
		if err := (&am.Snapshot{}).UnmarshalBinary(b); !errors.Is(err, am.ErrSnapshot) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	snap := mach.Export()
	snap.Active = nil
	if _, err := am.Import(context.Background(), snapshotSchema(), snap, nil); !errors.Is(err, am.ErrSnapshot) {
		t.Errorf("import with Active disagreeing with the clocks: %v", err)
	}
	if _, err := am.Import(context.Background(), snapshotSchema(), nil, nil); !errors.Is(err, am.ErrSnapshot) {
		t.Errorf("import of nil: %v", err)
	}
}

// FuzzSnapshotBinary checks that decoding never panics and that what
// decodes encodes back to the same bytes.
func FuzzSnapshotBinary(f *testing.F) {
	mach, err := am.New(context.Background(), snapshotSchema(), &am.Opts{ID: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	mach.Add1("Start", nil)
	good, err := mach.Export().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		snap := &am.Snapshot{}
		if snap.UnmarshalBinary(b) != nil {
			return
		}
		again, err := snap.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back := &am.Snapshot{}
		if err := back.UnmarshalBinary(again); err != nil || back.ID != snap.ID || !slices.Equal(back.States, snap.States) {
			t.Fatalf("round trip changed the snapshot: %v", err)
		}
	})
}
