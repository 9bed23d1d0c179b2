package applicationautoscaling_test

import (
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
)

// Every operation is served with the request and response types generated
// from AWS's model (package wire), and every generated operation has a
// handler: a hand-written shape, or an operation added without
// regenerating, fails here.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	for _, problem := range protocol.ShapeMismatches(applicationautoscaling.New(nil).Service().Operations, wire.Operations) {
		t.Error(problem)
	}
}
