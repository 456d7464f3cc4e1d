package machine_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func TestGroups(t *testing.T) {
	groups := map[string]am.S{"io": {"D", "B", "D"}, "all": {"E", am.Exception, "A"}}
	mach, _ := newMach(t, abcde(nil), &am.Opts{Groups: groups})
	want := map[string]am.S{"io": {"B", "D"}, "all": {am.Exception, "A", "E"}}
	got := mach.Groups()
	if !maps.EqualFunc(got, want, func(a, b am.S) bool { return strings.Join(a, ",") == strings.Join(b, ",") }) {
		t.Errorf("Groups() = %v, want %v (index order, no duplicates)", got, want)
	}
	got["io"][0] = "X"
	groups["io"][0] = "X"
	if mach.Groups()["io"][0] != "B" {
		t.Error("Groups() shares memory with the options or an earlier result")
	}
	if g := (&am.Machine{}).Groups(); len(g) != 0 {
		t.Errorf("zero machine has groups %v", g)
	}
}

func TestGroupsInvalid(t *testing.T) {
	for _, tc := range []struct {
		groups map[string]am.S
		want   string
	}{
		{map[string]am.S{"io": {"A", "Nope"}}, `group "io" lists unknown state "Nope"`},
		{map[string]am.S{"": {"A"}}, "empty name"},
	} {
		_, err := am.New(context.Background(), abcde(nil), &am.Opts{Groups: tc.groups})
		if !errors.Is(err, am.ErrSchema) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Groups %v: err = %v, want ErrSchema with %q", tc.groups, err, tc.want)
		}
	}
}
