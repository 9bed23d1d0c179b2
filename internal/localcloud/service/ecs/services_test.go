package ecs_test

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

const targetGroupARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"

// stack creates the cluster (with an ASG provider as its default strategy)
// and task definition a service needs.
func (f *fixture) stack(t *testing.T) {
	t.Helper()
	f.createProvider(t, "web-cp", asgARN)
	_, err := f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{
		ClusterName: aws.String("web"), CapacityProviders: []string{"web-cp"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp"), Weight: 1}},
	})
	localcloudtest.WantCode(t, err, "")
	f.register(t, appDefinition("app"))
}

func serviceInput(name string) *awsecs.CreateServiceInput {
	return &awsecs.CreateServiceInput{
		Cluster:        aws.String("web"),
		ServiceName:    aws.String(name),
		TaskDefinition: aws.String("app"),
		DesiredCount:   aws.Int32(2),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: []string{"subnet-1", "subnet-2"}, SecurityGroups: []string{"sg-1"},
		}},
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(targetGroupARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8000)}},
		Tags:          []types.Tag{{Key: aws.String("app"), Value: aws.String("web")}},
	}
}

var deploymentID = regexp.MustCompile(`^ecs-svc/[0-9]{19}$`)

func TestServiceLifecycle(t *testing.T) {
	f := start(t)
	f.stack(t)

	created, err := f.client.CreateService(f.ctx, serviceInput("api"))
	localcloudtest.WantCode(t, err, "")
	svc := created.Service
	if aws.ToString(svc.ServiceArn) != "arn:aws:ecs:us-east-1:000000000000:service/web/api" || aws.ToString(svc.Status) != "ACTIVE" {
		t.Fatalf("created %s %s", aws.ToString(svc.ServiceArn), aws.ToString(svc.Status))
	}
	if svc.SchedulingStrategy != types.SchedulingStrategyReplica {
		t.Errorf("schedulingStrategy = %s", svc.SchedulingStrategy)
	}
	dc := svc.DeploymentConfiguration
	if aws.ToInt32(dc.MinimumHealthyPercent) != 100 || aws.ToInt32(dc.MaximumPercent) != 200 || dc.DeploymentCircuitBreaker == nil || dc.DeploymentCircuitBreaker.Enable {
		t.Errorf("deployment configuration = %+v", dc)
	}
	if len(svc.CapacityProviderStrategy) != 1 || aws.ToString(svc.CapacityProviderStrategy[0].CapacityProvider) != "web-cp" {
		t.Errorf("the cluster's default strategy was not applied: %+v", svc.CapacityProviderStrategy)
	}
	if len(svc.Deployments) != 1 {
		t.Fatalf("deployments = %+v", svc.Deployments)
	}
	primary := svc.Deployments[0]
	id := aws.ToString(primary.Id)
	if !deploymentID.MatchString(id) || aws.ToString(primary.Status) != "PRIMARY" || primary.RolloutState != types.DeploymentRolloutStateInProgress ||
		aws.ToString(primary.RolloutStateReason) != "ECS deployment "+id+" in progress." {
		t.Errorf("primary deployment = %s %s %s %q", id, aws.ToString(primary.Status), primary.RolloutState, aws.ToString(primary.RolloutStateReason))
	}
	if aws.ToString(primary.TaskDefinition) != "arn:aws:ecs:us-east-1:000000000000:task-definition/app:1" || primary.DesiredCount != 2 {
		t.Errorf("primary runs %s x%d", aws.ToString(primary.TaskDefinition), primary.DesiredCount)
	}

	_, err = f.client.CreateService(f.ctx, serviceInput("api"))
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	described, err := f.client.DescribeServices(f.ctx, &awsecs.DescribeServicesInput{
		Cluster: aws.String("web"), Services: []string{"api", "ghost"}, Include: []types.ServiceField{types.ServiceFieldTags},
	})
	localcloudtest.WantCode(t, err, "")
	if len(described.Services) != 1 || len(described.Failures) != 1 || aws.ToString(described.Failures[0].Reason) != "MISSING" ||
		aws.ToString(described.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:service/web/ghost" {
		t.Fatalf("describe: %d services, failures %+v", len(described.Services), described.Failures)
	}
	if len(described.Services[0].Tags) != 1 {
		t.Errorf("tags = %+v", described.Services[0].Tags)
	}

	// Scaling alone keeps the deployment; a new revision starts another.
	scaled, err := f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("api"), DesiredCount: aws.Int32(3)})
	localcloudtest.WantCode(t, err, "")
	if len(scaled.Service.Deployments) != 1 || scaled.Service.Deployments[0].DesiredCount != 3 {
		t.Errorf("after scaling: %+v", scaled.Service.Deployments)
	}
	f.register(t, appDefinition("app"))
	redeployed, err := f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("api"), TaskDefinition: aws.String("app")})
	localcloudtest.WantCode(t, err, "")
	deps := redeployed.Service.Deployments
	if len(deps) != 2 || aws.ToString(deps[0].Status) != "PRIMARY" || aws.ToString(deps[1].Status) != "ACTIVE" || aws.ToString(deps[1].Id) != id {
		t.Errorf("after a new revision: %+v", deps)
	}
	if aws.ToString(redeployed.Service.TaskDefinition) != "arn:aws:ecs:us-east-1:000000000000:task-definition/app:2" {
		t.Errorf("service runs %s", aws.ToString(redeployed.Service.TaskDefinition))
	}
	forced, err := f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("api"), ForceNewDeployment: true})
	localcloudtest.WantCode(t, err, "")
	if len(forced.Service.Deployments) != 3 {
		t.Errorf("forceNewDeployment: %d deployments, want 3", len(forced.Service.Deployments))
	}

	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "ClusterContainsServicesException")
	_, err = f.client.PutClusterCapacityProviders(f.ctx, &awsecs.PutClusterCapacityProvidersInput{
		Cluster: aws.String("web"), CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{},
	})
	localcloudtest.WantCode(t, err, "ResourceInUseException")

	_, err = f.client.DeleteService(f.ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("api")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	deleted, err := f.client.DeleteService(f.ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("api"), Force: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(deleted.Service.Status) != "DRAINING" || deleted.Service.DesiredCount != 0 {
		t.Errorf("deleted service: %s desired %d", aws.ToString(deleted.Service.Status), deleted.Service.DesiredCount)
	}
	_, err = f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("api"), DesiredCount: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "ServiceNotActiveException")
	_, err = f.client.DeleteService(f.ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("api")})
	localcloudtest.WantCode(t, err, "ServiceNotActiveException")
	_, err = f.client.CreateService(f.ctx, serviceInput("api"))
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	_, err = f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("ghost")})
	localcloudtest.WantCode(t, err, "ServiceNotFoundException")
}

func TestCreateServiceValidation(t *testing.T) {
	f := start(t)
	f.stack(t)
	bridge := appDefinition("bridge")
	bridge.NetworkMode = types.NetworkModeBridge
	f.register(t, bridge)
	tests := []struct {
		name   string
		change func(in *awsecs.CreateServiceInput)
		code   string
	}{
		{"unknown cluster", func(in *awsecs.CreateServiceInput) { in.Cluster = aws.String("nope") }, "ClusterNotFoundException"},
		{"unknown task definition", func(in *awsecs.CreateServiceInput) { in.TaskDefinition = aws.String("nope:1") }, "ClientException"},
		{"awsvpc without network configuration", func(in *awsecs.CreateServiceInput) { in.NetworkConfiguration = nil }, "InvalidParameterException"},
		{"network configuration outside awsvpc", func(in *awsecs.CreateServiceInput) {
			in.TaskDefinition = aws.String("bridge")
			in.LoadBalancers = nil
		}, "InvalidParameterException"},
		{"no subnets", func(in *awsecs.CreateServiceInput) { in.NetworkConfiguration.AwsvpcConfiguration.Subnets = []string{} }, "InvalidParameterException"},
		{"public IP on EC2", func(in *awsecs.CreateServiceInput) {
			in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp = types.AssignPublicIpEnabled
		}, "InvalidParameterException"},
		{"load balancer container unknown", func(in *awsecs.CreateServiceInput) { in.LoadBalancers[0].ContainerName = aws.String("db") }, "InvalidParameterException"},
		{"load balancer port unmapped", func(in *awsecs.CreateServiceInput) { in.LoadBalancers[0].ContainerPort = aws.Int32(9000) }, "InvalidParameterException"},
		{"load balancer without container", func(in *awsecs.CreateServiceInput) { in.LoadBalancers[0].ContainerName = nil }, "InvalidParameterException"},
		{"no desired count", func(in *awsecs.CreateServiceInput) { in.DesiredCount = nil }, "InvalidParameterException"},
		{"negative desired count", func(in *awsecs.CreateServiceInput) { in.DesiredCount = aws.Int32(-1) }, "InvalidParameterException"},
		{"launch type and strategy", func(in *awsecs.CreateServiceInput) {
			in.LaunchType = types.LaunchTypeEc2
			in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp"), Weight: 1}}
		}, "InvalidParameterException"},
		{"strategy outside the cluster", func(in *awsecs.CreateServiceInput) {
			in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
		}, "InvalidParameterException"},
		{"binpack on an unknown field", func(in *awsecs.CreateServiceInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("disk")}}
		}, "InvalidParameterException"},
		{"spread on nothing", func(in *awsecs.CreateServiceInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread}}
		}, "InvalidParameterException"},
		{"spread on an unknown field", func(in *awsecs.CreateServiceInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("rack")}}
		}, "InvalidParameterException"},
		{"spread on an empty attribute", func(in *awsecs.CreateServiceInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:")}}
		}, "InvalidParameterException"},
		{"unknown strategy type", func(in *awsecs.CreateServiceInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: "pack"}}
		}, "InvalidParameterException"},
		{"memberOf without expression", func(in *awsecs.CreateServiceInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf}}
		}, "InvalidParameterException"},
		{"memberOf with a bad expression", func(in *awsecs.CreateServiceInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type in t3.small")}}
		}, "InvalidParameterException"},
		{"distinctInstance with an expression", func(in *awsecs.CreateServiceInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance, Expression: aws.String("attribute:a == b")}}
		}, "InvalidParameterException"},
		{"minimum healthy above 100", func(in *awsecs.CreateServiceInput) {
			in.DeploymentConfiguration = &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(150)}
		}, "InvalidParameterException"},
		{"valid with placement", func(in *awsecs.CreateServiceInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance},
				{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type in [t3.small, t2.medium] and attribute:ecs.os-type == linux")}}
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")},
				{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("MEMORY")}, {Type: types.PlacementStrategyTypeRandom}}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := serviceInput("svc")
			tt.change(in)
			out, err := f.client.CreateService(f.ctx, in)
			localcloudtest.WantCode(t, err, tt.code)
			if err == nil {
				_, err = f.client.DeleteService(f.ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("web"), Service: out.Service.ServiceName, Force: aws.Bool(true)})
				localcloudtest.WantCode(t, err, "")
			}
		})
	}
	list, err := f.client.ListServices(f.ctx, &awsecs.ListServicesInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(list.ServiceArns) != 1 { // the DRAINING one from the valid case
		t.Errorf("services = %v", list.ServiceArns)
	}
}

func TestListServicesPagination(t *testing.T) {
	f := start(t)
	f.stack(t)
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		_, err := f.client.CreateService(f.ctx, serviceInput(name))
		localcloudtest.WantCode(t, err, "")
	}
	first, err := f.client.ListServices(f.ctx, &awsecs.ListServicesInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(first.ServiceArns) != 10 || first.NextToken == nil {
		t.Fatalf("first page: %d services, token %v (default page size is 10)", len(first.ServiceArns), first.NextToken)
	}
	second, err := f.client.ListServices(f.ctx, &awsecs.ListServicesInput{Cluster: aws.String("web"), NextToken: first.NextToken})
	localcloudtest.WantCode(t, err, "")
	if len(second.ServiceArns) != 2 || second.NextToken != nil {
		t.Errorf("second page: %d services, token %v", len(second.ServiceArns), second.NextToken)
	}
	_, err = f.client.ListServices(f.ctx, &awsecs.ListServicesInput{Cluster: aws.String("nope")})
	localcloudtest.WantCode(t, err, "ClusterNotFoundException")
}
