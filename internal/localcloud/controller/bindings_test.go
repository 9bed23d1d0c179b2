package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// bridgeService creates a bridge-mode service of count wildcard tasks
// whose container port 9000 is published on hostPort (nil: a dynamic
// port), registered in targetGroupARN ("" for none).
func bridgeService(t *testing.T, cloud *localcloudtest.Cloud, cluster, name string, count int32, hostPort *int32, targetGroupARN string) {
	t.Helper()
	ctx := context.Background()
	client := ecs.NewFromConfig(cloud.Config)
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(cluster + "-" + name), NetworkMode: ecstypes.NetworkModeBridge,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wildcard"), Cpu: 256, Memory: aws.Int32(256),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(9000), HostPort: hostPort}}}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	in := &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(count),
	}
	if targetGroupARN != "" {
		in.LoadBalancers = []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(targetGroupARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(9000)}}
		in.HealthCheckGracePeriodSeconds = aws.Int32(120)
	}
	if _, err := client.CreateService(ctx, in); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
}

// Bridge mode, as ECS runs it on EC2: two tasks of one service on one
// instance each get a dynamic host port from the ephemeral range
// (DescribeTasks' networkBindings), are registered as instance targets at
// the instance and that port, turn healthy and answer through the ALB; a
// service that needs a static host port gets one task on the instance and
// no second one, with ECS's event saying the port is in use.
func TestBridgeTasksArePublishedOnTheirInstance(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	vpc, subnets := clusterNetwork(t, cloud, "bridged")
	albGroup := bridgeALBGroup(t, cloud, vpc)
	tgARN := loadBalancer(t, cloud, "bridged", vpc, subnets, []string{albGroup}, elbtypes.TargetTypeEnumInstance)
	wildcardImage(t, cloud)
	bridgeService(t, cloud, "bridged", "dynamic", 2, nil, tgARN)

	client := ecs.NewFromConfig(cloud.Config)
	elbClient := elb.NewFromConfig(cloud.Config)
	var targets []elbtypes.TargetDescription
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		targets = targets[:0]
		for _, d := range out.TargetHealthDescriptions {
			if err == nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				targets = append(targets, *d.Target)
			}
		}
		if len(targets) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for two healthy instance targets:\n%s", serviceReport(t, cloud, "bridged", tgARN))
		}
	}

	list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("bridged"), ServiceName: aws.String("dynamic")})
	if err != nil || len(list.TaskArns) != 2 {
		t.Fatalf("ListTasks: %v %v", err, list)
	}
	tasks, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("bridged"), Tasks: list.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	published := map[int32]bool{}
	for _, task := range tasks.Tasks {
		bindings := task.Containers[0].NetworkBindings
		if len(bindings) != 1 {
			t.Fatalf("task %s: networkBindings %+v, want one", aws.ToString(task.TaskArn), bindings)
		}
		b := bindings[0]
		port := aws.ToInt32(b.HostPort)
		if aws.ToInt32(b.ContainerPort) != 9000 || port < 32768 || port > 60999 || b.Protocol != ecstypes.TransportProtocolTcp || aws.ToString(b.BindIP) != "0.0.0.0" {
			t.Errorf("binding %+v: want 0.0.0.0, container port 9000, a tcp host port in 32768-60999", b)
		}
		published[port] = true
	}
	if len(published) != 2 {
		t.Errorf("the two tasks share host port %v", published)
	}
	for _, target := range targets {
		if !strings.HasPrefix(aws.ToString(target.Id), "i-") || !published[aws.ToInt32(target.Port)] {
			t.Errorf("target %s:%d is not the instance at a task's host port %v", aws.ToString(target.Id), aws.ToInt32(target.Port), published)
		}
	}
	base := listenerURL(t, cloud)
	seen := map[string]bool{}
	for i := 0; i < 50 && len(seen) < 2; i++ {
		if id, ok := fetch(base + "/id"); ok {
			seen[id] = true
		}
	}
	if len(seen) != 2 {
		t.Errorf("answers through the ALB came from %v, want both tasks", seen)
	}

	bridgeService(t, cloud, "bridged", "static", 2, aws.Int32(8080), "")
	const want = "is already using a port required by your task"
	localcloudtest.Eventually(t, "the second static-port task to be refused its instance", func() bool {
		out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("bridged"), Services: []string{"static"}})
		if err != nil || len(out.Services) != 1 {
			return false
		}
		for _, e := range out.Services[0].Events {
			if strings.Contains(aws.ToString(e.Message), want) {
				return true
			}
		}
		return false
	})
	running, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("bridged"), ServiceName: aws.String("static")})
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("bridged"), Tasks: running.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	placed := 0
	for _, task := range out.Tasks {
		if aws.ToString(task.ContainerInstanceArn) != "" {
			placed++
			if b := task.Containers[0].NetworkBindings; len(b) != 1 || aws.ToInt32(b[0].HostPort) != 8080 {
				t.Errorf("static task bindings %+v, want host port 8080", b)
			}
		}
	}
	if placed != 1 {
		t.Errorf("%d static-port tasks placed on the one instance, want 1", placed)
	}
}

// bridgeALBGroup creates an ALB group open on port 80 in vpc and lets it
// into the VPC's default group on the ephemeral range: as on AWS, the
// instance (in that default group) must let the ALB in on the dynamic
// host ports of bridge tasks.
func bridgeALBGroup(t *testing.T, cloud *localcloudtest.Cloud, vpc string) string {
	t.Helper()
	ctx := context.Background()
	ec2Client := ec2.NewFromConfig(cloud.Config)
	albGroup, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("alb"), Description: aws.String("alb"), VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	defaults, err := ec2Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
	if err != nil || len(defaults.SecurityGroups) != 1 {
		t.Fatalf("DescribeSecurityGroups: %v %+v", err, defaults)
	}
	for _, rule := range []*ec2.AuthorizeSecurityGroupIngressInput{
		{GroupId: albGroup.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("0.0.0.0/0")},
		{GroupId: defaults.SecurityGroups[0].GroupId, IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(32768), ToPort: aws.Int32(60999),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: albGroup.GroupId}}}}},
	} {
		if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, rule); err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
		}
	}
	return aws.ToString(albGroup.GroupId)
}
