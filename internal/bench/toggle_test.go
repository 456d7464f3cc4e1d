package bench

import (
	"context"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/looplab/fsm"
	"github.com/qmuntal/stateless"
)

// BenchmarkToggle: one op is one transition between the states On and
// Off, with no handlers or callbacks, in each library.
func BenchmarkToggle(b *testing.B) {
	b.Run("lib=amkit", func(b *testing.B) {
		mach, err := am.New(context.Background(), am.Schema{
			"On":  {Remove: am.S{"Off"}},
			"Off": {Remove: am.S{"On"}},
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer mach.Dispose()
		mach.Add1("Off", nil)
		b.ReportAllocs()
		on := false
		for b.Loop() {
			on = !on
			if on {
				mach.Add1("On", nil)
			} else {
				mach.Add1("Off", nil)
			}
		}
		if mach.Is1("On") != on {
			b.Fatal("the toggle did not toggle")
		}
	})

	b.Run("lib=stateless", func(b *testing.B) {
		sm := stateless.NewStateMachine("off")
		sm.Configure("off").Permit("toggle", "on")
		sm.Configure("on").Permit("toggle", "off")
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := sm.Fire("toggle"); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if want := map[bool]string{true: "on", false: "off"}[n%2 == 1]; sm.MustState() != want {
			b.Fatal("the toggle did not toggle")
		}
	})

	b.Run("lib=looplab", func(b *testing.B) {
		f := fsm.NewFSM("off", fsm.Events{
			{Name: "toggle", Src: []string{"off"}, Dst: "on"},
			{Name: "toggle", Src: []string{"on"}, Dst: "off"},
		}, fsm.Callbacks{})
		ctx := context.Background()
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := f.Event(ctx, "toggle"); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if want := map[bool]string{true: "on", false: "off"}[n%2 == 1]; f.Current() != want {
			b.Fatal("the toggle did not toggle")
		}
	})
}
