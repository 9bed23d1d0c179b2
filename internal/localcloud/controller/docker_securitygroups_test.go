package controller_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// TestSecurityGroupsGuardTheLoadBalancerAndItsTargets with containers: an
// awsvpc service whose group does not let the ALB's group in on the
// container port never turns healthy (Target.Timeout) and turns healthy,
// answering through the ALB, once the rule is added.
func TestDockerSecurityGroupsGuardTheTargets(t *testing.T) {
	cloud, image := dockerCloud(t, localcloud.Options{})
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	vpc, subnets := clusterNetwork(t, cloud, "dockguard")
	ec2Client := ec2.NewFromConfig(cloud.Config)
	create := func(name string) string {
		out, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: aws.String(vpc)})
		if err != nil {
			t.Fatalf("CreateSecurityGroup %s: %v", name, err)
		}
		return aws.ToString(out.GroupId)
	}
	albGroup, taskGroup := create("alb"), create("task")
	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(albGroup), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("0.0.0.0/0"),
	}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	tgARN := loadBalancer(t, cloud, "dockguard", vpc, subnets, []string{albGroup}, elbtypes.TargetTypeEnumIp)
	client := ecs.NewFromConfig(cloud.Config)
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("dockguard"), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{helloContainer(image)},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("dockguard"), ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1),
		LoadBalancers:                 []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(9000)}},
		HealthCheckGracePeriodSeconds: aws.Int32(120),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: subnets[:1], SecurityGroups: []string{taskGroup}}},
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	elbClient := elb.NewFromConfig(cloud.Config)
	targetHealth := func() (elbtypes.TargetHealth, bool) {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil || len(out.TargetHealthDescriptions) != 1 {
			return elbtypes.TargetHealth{}, false
		}
		return *out.TargetHealthDescriptions[0].TargetHealth, true
	}
	waitFor := func(what string, state elbtypes.TargetHealthStateEnum) elbtypes.TargetHealth {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
			if health, found := targetHealth(); found && health.State == state {
				return health
			}
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s:\n%s", what, serviceReport(t, cloud, "dockguard", tgARN))
			}
		}
	}

	health := waitFor("the blocked container to time out", elbtypes.TargetHealthStateEnumUnhealthy)
	if health.Reason != elbtypes.TargetHealthReasonEnumTimeout {
		t.Errorf("blocked target: reason %q (%q), want Target.Timeout", health.Reason, aws.ToString(health.Description))
	}
	tasks := serviceTasks(t, client, "dockguard", "web")
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want 1", len(tasks))
	}
	if _, ok := cloud.Runtime().Docker().ContainerID(taskIDOf(aws.ToString(tasks[0].TaskArn)) + "/app"); !ok {
		t.Fatalf("the task does not run as a container")
	}

	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(taskGroup),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(albGroup)}}}},
	}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	waitFor("the container to turn healthy once the ALB's group is let in", elbtypes.TargetHealthStateEnumHealthy)
	if body, ok := fetch(listenerURL(t, cloud) + "/"); !ok || body != "hello from "+taskAddressOf(tasks[0]) {
		t.Errorf("through the ALB: %q (ok %v), want hello from the task's address", body, ok)
	}
}

// taskAddressOf is an awsvpc task's private address, as DescribeTasks has it.
func taskAddressOf(task ecstypes.Task) string {
	for _, a := range task.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}
