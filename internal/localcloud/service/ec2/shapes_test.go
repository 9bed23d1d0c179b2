package ec2_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// Every operation is served with the request and response types generated
// from AWS's model (package wire), and every generated operation has a
// handler: a hand-written shape, or an operation added without
// regenerating, fails here. The retired operations (ClassicLink and the
// like) answer AWS's fixed error and read nothing, so they need no shapes.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	for _, problem := range protocol.ShapeMismatches(ec2.New(nil).Service().Operations, wire.Operations) {
		name, _, _ := strings.Cut(problem, " ")
		if strings.HasSuffix(problem, "has no generated shapes (add it to model/gen's wirePackages and regenerate)") &&
			slices.Contains(ec2.RetiredOperations, name) {
			continue
		}
		t.Error(problem)
	}
}
