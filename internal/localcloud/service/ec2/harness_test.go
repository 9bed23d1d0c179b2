package ec2_test

import (
	"context"
	"testing"

	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// fixture serves the service inside a local cloud without its data plane:
// the router takes the region from the SigV4 scope, and no controller acts
// on the instances the tests launch.
type fixture struct {
	backend  *ec2.Backend
	client   *awsec2.Client
	endpoint string
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.StartControlPlane(t)
	return &fixture{backend: cloud.Cloud.EC2, client: awsec2.NewFromConfig(cloud.Config), endpoint: cloud.Endpoint}
}

// newClient is a client of endpoint that signs its requests for region.
func newClient(endpoint, region string) *awsec2.Client {
	return awsec2.NewFromConfig(deploytest.ConfigFor(endpoint), func(o *awsec2.Options) { o.Region = region })
}

var ctx = localcloudtest.InRegion(context.Background(), "us-east-1")

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}
