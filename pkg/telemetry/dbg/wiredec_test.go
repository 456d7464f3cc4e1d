package dbg

import (
	"errors"
	"fmt"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// The budget refuses what would decode to more memory than it allows,
// before allocating it.
func TestDecoderBudget(t *testing.T) {
	st := &DbgMsgStruct{MachineID: "m", Schema: am.Schema{}}
	for i := range 100 {
		st.Schema[fmt.Sprint(i)] = am.State{}
	}
	data, _ := st.MarshalBinary()
	for _, tc := range []struct {
		budget int
		ok     bool
	}{{1 << 20, true}, {1000, false}} {
		d := &decoder{data: data, budget: tc.budget}
		var got DbgMsgStruct
		d.structBody(&got)
		err := d.end()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("budget %d: %v", tc.budget, err)
		}
	}
}
