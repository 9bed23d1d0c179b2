package ecs_test

import (
	"context"
	"testing"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// These tests drive the backend through the real SDK over HTTP, served by a
// local cloud without its data plane: no scheduler places the tasks they
// run, so they see only what the API does (the e2e directory runs the same
// service with the data plane).

type fixture struct {
	backend *ecs.Backend
	client  *awsecs.Client
	ctx     context.Context
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.StartControlPlane(t)
	client := awsecs.NewFromConfig(cloud.Config, func(o *awsecs.Options) { o.RetryMaxAttempts = 1 })
	return &fixture{backend: cloud.Cloud.ECS, client: client, ctx: localcloudtest.InRegion(context.Background(), "us-east-1")}
}
