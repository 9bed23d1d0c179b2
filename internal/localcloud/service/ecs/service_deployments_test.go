package ecs_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func (f *agentFixture) waitStable(t *testing.T, service string) {
	t.Helper()
	stable := awsecs.NewServicesStableWaiter(f.client, func(o *awsecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := stable.Wait(f.ctx, &awsecs.DescribeServicesInput{Cluster: aws.String("agents"), Services: []string{service}}, 2*time.Minute); err != nil {
		t.Fatalf("service %s never became stable: %v", service, err)
	}
}

func TestServiceDeploymentsAndInactiveServices(t *testing.T) {
	f := startAgents(t)
	ci := f.registerAgent(t, "i-0deploy000000001", 4096, 8000)
	created, err := f.client.CreateService(f.ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String("agents"), ServiceName: aws.String("web"), TaskDefinition: aws.String("sleeper"), DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeEc2,
	})
	localcloudtest.WantCode(t, err, "")
	f.waitStable(t, "web")
	first := aws.ToString(created.Service.Deployments[0].Id)

	_, err = f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("agents"), Service: aws.String("web"), ForceNewDeployment: true})
	localcloudtest.WantCode(t, err, "")
	f.waitStable(t, "web")

	list, err := f.client.ListServiceDeployments(f.ctx, &awsecs.ListServiceDeploymentsInput{Cluster: aws.String("agents"), Service: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(list.ServiceDeployments) != 2 {
		t.Fatalf("ListServiceDeployments: %d deployments", len(list.ServiceDeployments))
	}
	newest, oldest := list.ServiceDeployments[0], list.ServiceDeployments[1]
	if newest.Status != types.ServiceDeploymentStatusSuccessful || oldest.Status != types.ServiceDeploymentStatusSuccessful {
		t.Errorf("statuses: newest %s, oldest %s; want both SUCCESSFUL", newest.Status, oldest.Status)
	}
	if aws.ToTime(newest.CreatedAt).Before(aws.ToTime(oldest.CreatedAt)) {
		t.Errorf("not newest first")
	}
	if got := aws.ToString(oldest.ServiceDeploymentArn); got != "arn:aws:ecs:us-east-1:000000000000:service-deployment/agents/web/"+first[len("ecs-svc/"):] {
		t.Errorf("first service deployment ARN = %s", got)
	}

	filtered, err := f.client.ListServiceDeployments(f.ctx, &awsecs.ListServiceDeploymentsInput{
		Cluster: aws.String("agents"), Service: aws.String("web"), Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusInProgress},
	})
	localcloudtest.WantCode(t, err, "")
	if len(filtered.ServiceDeployments) != 0 {
		t.Errorf("IN_PROGRESS filter matched %d", len(filtered.ServiceDeployments))
	}
	paged, err := f.client.ListServiceDeployments(f.ctx, &awsecs.ListServiceDeploymentsInput{Cluster: aws.String("agents"), Service: aws.String("web"), MaxResults: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "")
	if len(paged.ServiceDeployments) != 1 || paged.NextToken == nil {
		t.Errorf("maxResults 1: %d deployments, next token %v", len(paged.ServiceDeployments), paged.NextToken)
	}

	described, err := f.client.DescribeServiceDeployments(f.ctx, &awsecs.DescribeServiceDeploymentsInput{
		ServiceDeploymentArns: []string{aws.ToString(newest.ServiceDeploymentArn), "arn:aws:ecs:us-east-1:000000000000:service-deployment/agents/web/1"},
	})
	localcloudtest.WantCode(t, err, "")
	if len(described.ServiceDeployments) != 1 || len(described.Failures) != 1 || aws.ToString(described.Failures[0].Reason) != "MISSING" {
		t.Fatalf("DescribeServiceDeployments: %d, failures %+v", len(described.ServiceDeployments), described.Failures)
	}
	sd := described.ServiceDeployments[0]
	if len(sd.SourceServiceRevisions) != 1 || aws.ToString(sd.SourceServiceRevisions[0].Arn) != aws.ToString(oldest.TargetServiceRevisionArn) {
		t.Errorf("source revisions %+v, want the first deployment's revision %s", sd.SourceServiceRevisions, aws.ToString(oldest.TargetServiceRevisionArn))
	}
	if sd.TargetServiceRevision == nil || sd.TargetServiceRevision.RequestedTaskCount != 1 || sd.TargetServiceRevision.RunningTaskCount != 1 {
		t.Errorf("target revision %+v", sd.TargetServiceRevision)
	}
	if sd.FinishedAt == nil || sd.DeploymentConfiguration == nil || sd.DeploymentCircuitBreaker == nil {
		t.Errorf("finishedAt %v, deploymentConfiguration %v, circuit breaker %v", sd.FinishedAt, sd.DeploymentConfiguration, sd.DeploymentCircuitBreaker)
	}

	revs, err := f.client.DescribeServiceRevisions(f.ctx, &awsecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(newest.TargetServiceRevisionArn), "not-an-arn"}})
	localcloudtest.WantCode(t, err, "")
	if len(revs.ServiceRevisions) != 1 || len(revs.Failures) != 1 {
		t.Fatalf("DescribeServiceRevisions: %d, failures %+v", len(revs.ServiceRevisions), revs.Failures)
	}
	rev := revs.ServiceRevisions[0]
	if aws.ToString(rev.TaskDefinition) != "arn:aws:ecs:us-east-1:000000000000:task-definition/sleeper:1" || len(rev.ContainerImages) != 1 || aws.ToString(rev.ContainerImages[0].Image) != "sleeper:latest" {
		t.Errorf("revision: %s images %+v", aws.ToString(rev.TaskDefinition), rev.ContainerImages)
	}

	// Deleted, the service drains to INACTIVE and stays describable.
	_, err = f.client.DeleteService(f.ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("agents"), Service: aws.String("web"), Force: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	inactive := awsecs.NewServicesInactiveWaiter(f.client, func(o *awsecs.ServicesInactiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := inactive.Wait(f.ctx, &awsecs.DescribeServicesInput{Cluster: aws.String("agents"), Services: []string{"web"}}, 2*time.Minute); err != nil {
		t.Fatalf("the deleted service never became INACTIVE: %v", err)
	}
	after, err := f.client.ListServiceDeployments(f.ctx, &awsecs.ListServiceDeploymentsInput{Cluster: aws.String("agents"), Service: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(after.ServiceDeployments) != 2 {
		t.Errorf("an INACTIVE service lists %d deployments", len(after.ServiceDeployments))
	}
	listed, err := f.client.ListServices(f.ctx, &awsecs.ListServicesInput{Cluster: aws.String("agents")})
	localcloudtest.WantCode(t, err, "")
	if len(listed.ServiceArns) != 0 {
		t.Errorf("ListServices still lists %v", listed.ServiceArns)
	}
	_, err = f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("agents"), Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "ServiceNotActiveException")
	_, err = f.client.ListServiceDeployments(f.ctx, &awsecs.ListServiceDeploymentsInput{Cluster: aws.String("agents"), Service: aws.String("never")})
	localcloudtest.WantCode(t, err, "ServiceNotFoundException")

	// So does a deleted cluster.
	_, err = f.client.DeregisterContainerInstance(f.ctx, &awsecs.DeregisterContainerInstanceInput{Cluster: aws.String("agents"), ContainerInstance: ci.ContainerInstanceArn, Force: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	localcloudtest.Eventually(t, "the cluster to delete", func() bool {
		_, err := f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("agents")})
		return err == nil
	})
	clusters, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{Clusters: []string{"agents"}})
	localcloudtest.WantCode(t, err, "")
	if len(clusters.Clusters) != 1 || aws.ToString(clusters.Clusters[0].Status) != "INACTIVE" {
		t.Errorf("a deleted cluster describes as %+v (failures %+v)", clusters.Clusters, clusters.Failures)
	}
}

func TestUnsupportedServiceFeaturesAreRefused(t *testing.T) {
	f := start(t)
	f.stack(t)
	for _, tc := range []struct {
		name   string
		change func(in *awsecs.CreateServiceInput)
	}{
		{"service registries", func(in *awsecs.CreateServiceInput) {
			in.ServiceRegistries = []types.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1")}}
		}},
		{"service connect", func(in *awsecs.CreateServiceInput) {
			in.ServiceConnectConfiguration = &types.ServiceConnectConfiguration{Enabled: true, Namespace: aws.String("ns")}
		}},
		{"CodeDeploy", func(in *awsecs.CreateServiceInput) {
			in.DeploymentController = &types.DeploymentController{Type: types.DeploymentControllerTypeCodeDeploy}
		}},
		{"blue/green", func(in *awsecs.CreateServiceInput) {
			in.DeploymentConfiguration = &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen}
		}},
		{"alarms", func(in *awsecs.CreateServiceInput) {
			in.DeploymentConfiguration = &types.DeploymentConfiguration{Alarms: &types.DeploymentAlarms{AlarmNames: []string{"a"}, Enable: true}}
		}},
		{"daemon", func(in *awsecs.CreateServiceInput) {
			in.SchedulingStrategy, in.DesiredCount = types.SchedulingStrategyDaemon, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := serviceInput("refused")
			tc.change(in)
			_, err := f.client.CreateService(f.ctx, in)
			localcloudtest.WantCode(t, err, "InvalidParameterException")
		})
	}
	// Switched off, the same settings are accepted.
	in := serviceInput("accepted")
	in.ServiceConnectConfiguration = &types.ServiceConnectConfiguration{Enabled: false}
	in.DeploymentConfiguration = &types.DeploymentConfiguration{Alarms: &types.DeploymentAlarms{AlarmNames: []string{"a"}, Enable: false}, Strategy: types.DeploymentStrategyRolling}
	_, err := f.client.CreateService(f.ctx, in)
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.UpdateService(f.ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("web"), Service: aws.String("accepted"),
		ServiceRegistries: []types.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1")}}})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}
