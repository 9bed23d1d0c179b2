package autoscaling_test

import (
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
)

// Every operation is served with the request and response types generated
// from AWS's model (package wire), and every generated operation has a
// handler.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	for _, problem := range protocol.ShapeMismatches(autoscaling.New(nil).Service().Operations, wire.Operations) {
		t.Error(problem)
	}
}
