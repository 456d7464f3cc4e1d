package machine_test

import (
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

func TestStepTypeFailed(t *testing.T) {
	failed := map[am.StepType]bool{
		am.StepConflict: true, am.StepMissingRequirement: true, am.StepHandlerCanceled: true,
		am.StepHandlerPanic: true, am.StepHandlerTimeout: true,
	}
	for typ := am.StepRequested; typ <= am.StepHandlerTimeout; typ++ {
		if got := typ.Failed(); got != failed[typ] {
			t.Errorf("%s.Failed() = %v, want %v", typ, got, failed[typ])
		}
	}
}
