package machine_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// fuzzNames mixes valid state names with every kind of invalid one.
var fuzzNames = am.S{"A", "B", "C", "Exception", "Any", "", "lower", "With Space", "Ünicode", "D_1", "9Lives"}

// FuzzSchema checks that am.New either accepts a schema, with an index that
// follows machine.md, or rejects it with ErrSchema; never a panic.
func FuzzSchema(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{4, 0, 0, 1, 1, 2, 2, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &byteChooser{b: data}
		schema := am.Schema{}
		for range 1 + c.intn(5) {
			name := fuzzNames[c.intn(len(fuzzNames))]
			st := am.State{Auto: c.intn(2) == 0, Multi: c.intn(2) == 0}
			for _, rel := range []*am.S{&st.Require, &st.Add, &st.Remove, &st.After} {
				for range c.intn(3) {
					*rel = append(*rel, fuzzNames[c.intn(len(fuzzNames))])
				}
			}
			schema[name] = st
		}
		mach, err := am.New(context.Background(), schema, nil)
		if err != nil {
			if !errors.Is(err, am.ErrSchema) {
				t.Fatalf("error %v does not wrap ErrSchema", err)
			}
			return
		}
		defer mach.Dispose()
		names := mach.StateNames()
		if names[0] != am.Exception {
			t.Fatalf("index %v does not start with Exception", names)
		}
		if !slices.IsSorted(names[1:]) {
			t.Fatalf("index %v is not sorted after Exception", names)
		}
		for name := range schema {
			if !slices.Contains(names, name) {
				t.Fatalf("index %v lacks %s", names, name)
			}
		}
		if len(mach.Time(nil)) != len(names) {
			t.Fatalf("time has %d clocks for %d states", len(mach.Time(nil)), len(names))
		}
	})
}
