package acm_test

import (
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/acm"
	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
)

// Every operation is served with the request and response types generated
// from AWS's model (package wire), and every generated operation has a
// handler: a hand-written shape, or an operation added without
// regenerating, fails here.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	b, err := acm.New(nil, acm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range protocol.ShapeMismatches(b.Service().Operations, wire.Operations) {
		t.Error(problem)
	}
}
