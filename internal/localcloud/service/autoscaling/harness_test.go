package autoscaling_test

import (
	"context"
	"testing"

	asg "github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
)

// fixture serves the service inside a local cloud without its data plane,
// so the tests see what the API does and no controller acts on the groups.
type fixture struct {
	backend  *autoscaling.Backend
	client   *asg.Client
	endpoint string
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.StartControlPlane(t)
	backend := cloud.Cloud.AutoScaling
	// These tests exercise Auto Scaling alone with made-up subnet ids and
	// launch templates: unresolved, both are taken on trust and zones follow
	// the subnets' order.
	backend.ResolveSubnetZone, backend.ResolveLaunchTemplate = nil, nil
	return &fixture{backend: backend, client: asg.NewFromConfig(cloud.Config), endpoint: cloud.Endpoint}
}

var ctx = localcloudtest.InRegion(context.Background(), "us-east-1")
