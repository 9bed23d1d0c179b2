package elbv2_test

import (
	"context"
	"testing"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
)

// fixture serves the service inside a local cloud without its data plane,
// so the tests see what the API does and no controller acts on the load
// balancers.
type fixture struct {
	backend  *elbv2.Backend
	client   *elb.Client
	endpoint string
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.StartControlPlane(t)
	backend := cloud.Cloud.ELBv2
	// These tests exercise ELBv2 alone with made-up subnet ids: unresolved,
	// subnets (and VPCs) are taken on trust, subnets given zones in the order
	// listed.
	backend.ResolveSubnet, backend.VPCExists = nil, nil
	return &fixture{backend: backend, client: elb.NewFromConfig(cloud.Config), endpoint: cloud.Endpoint}
}

var ctx = localcloudtest.InRegion(context.Background(), "us-east-1")
