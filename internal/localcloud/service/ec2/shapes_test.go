package ec2_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// handWritten are the operations still served with hand-written shapes;
// EC2 moves to the generated ones operation group by operation group, and
// this list only shrinks.
var handWritten = []string{
	"CreateLaunchTemplate", "CreateLaunchTemplateVersion", "CreateTags", "DeleteLaunchTemplate",
	"DeleteLaunchTemplateVersions", "DeleteTags", "DescribeAccountAttributes", "DescribeAvailabilityZones",
	"DescribeImages", "DescribeInstanceStatus", "DescribeInstanceTypes", "DescribeInstances",
	"DescribeLaunchTemplateVersions", "DescribeLaunchTemplates", "DescribeRegions", "DescribeTags",
	"ModifyLaunchTemplate", "RunInstances", "StartInstances", "StopInstances", "TerminateInstances",
}

// Every operation but the hand-written ones is served with the request and
// response types generated from AWS's model (package wire), and every
// generated operation has a handler.
func TestOperationsUseTheGeneratedShapes(t *testing.T) {
	ops := ec2.New(nil).Service().Operations
	for _, problem := range protocol.ShapeMismatches(ops, wire.Operations) {
		name, _, _ := strings.Cut(problem, " ")
		notMoved := slices.Contains(handWritten, name) || slices.Contains(ec2.RetiredOperations, name)
		if strings.HasSuffix(problem, "has no generated shapes (add it to model/gen's wirePackages and regenerate)") && notMoved {
			continue
		}
		t.Error(problem)
	}
	for _, name := range handWritten {
		if _, ok := wire.Operations[name]; ok {
			t.Errorf("%s has generated shapes: take it off handWritten", name)
		}
		if !slices.ContainsFunc(ops, func(op protocol.Operation) bool { return op.Name == name }) {
			t.Errorf("%s is not served: take it off handWritten", name)
		}
	}
}
