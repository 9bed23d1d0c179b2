package cloudwatch_test

import (
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
)

// Every operation is served, in each of CloudWatch's protocols, with the
// request and response types generated from AWS's model (package wire),
// and every generated operation has a handler.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	for _, svc := range cloudwatch.New(nil).Services() {
		for _, problem := range protocol.ShapeMismatches(svc.Operations, wire.Operations) {
			t.Errorf("%T: %s", svc.Codec, problem)
		}
	}
}
