package controller_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	localec2 "github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// host is one EC2 instance of a test fleet.
type host struct {
	zone         string
	instanceType ec2types.InstanceType
}

// fleet creates cluster and one Auto Scaling group per host (its own
// zone's subnet, its own instance type) and waits for all of them to join
// as container instances. It returns the container instance ARNs in the
// order of hosts.
func fleet(t *testing.T, cloud *localcloudtest.Cloud, cluster string, hosts []host) []string {
	t.Helper()
	arns, _, _ := regionalFleet(t, cloud, "us-east-1", cluster, hosts)
	return arns
}

// regionalFleet is fleet in region (hosts' zones must be its own); it
// also returns the fleet's VPC and its subnet in each zone.
func regionalFleet(t *testing.T, cloud *localcloudtest.Cloud, region, cluster string, hosts []host) (arns []string, vpcID string, subnets map[string]string) {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), region)
	cfg := cloud.ConfigIn(region)
	ec2Client := ec2.NewFromConfig(cfg)
	ecsClient := ecs.NewFromConfig(cfg)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	subnets = map[string]string{}
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n"))
	for i, h := range hosts {
		if subnets[h.zone] == "" {
			subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
				CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", len(subnets)+1)), AvailabilityZone: aws.String(h.zone)})
			if err != nil {
				t.Fatalf("CreateSubnet: %v", err)
			}
			subnets[h.zone] = aws.ToString(subnet.Subnet.SubnetId)
		}
		lt, err := ec2Client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
			LaunchTemplateName: aws.String(fmt.Sprintf("%s-%d", cluster, i)),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(localec2.ECSOptimizedImage(region).ID), InstanceType: h.instanceType, UserData: aws.String(userData)},
		})
		if err != nil {
			t.Fatalf("CreateLaunchTemplate: %v", err)
		}
		// One group at a time, so that the instances register in the
		// order of hosts.
		if _, err := autoscaling.NewFromConfig(cfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(fmt.Sprintf("%s-%d", cluster, i)),
			MinSize:              aws.Int32(1), MaxSize: aws.Int32(1),
			LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
			VPCZoneIdentifier: aws.String(subnets[h.zone]),
		}); err != nil {
			t.Fatalf("CreateAutoScalingGroup: %v", err)
		}
		localcloudtest.Eventually(t, fmt.Sprintf("%d container instances", i+1), func() bool {
			out, err := ecsClient.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
			return err == nil && len(out.ContainerInstanceArns) == i+1
		})
	}
	out, err := ecsClient.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		t.Fatalf("ListContainerInstances: %v", err)
	}
	described, err := ecsClient.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: out.ContainerInstanceArns})
	if err != nil {
		t.Fatalf("DescribeContainerInstances: %v", err)
	}
	arns = make([]string, len(hosts))
	for i, h := range hosts {
		for _, ci := range described.ContainerInstances {
			if attributeOf(ci, "ecs.availability-zone") == h.zone && attributeOf(ci, "ecs.instance-type") == string(h.instanceType) && !slices.Contains(arns, aws.ToString(ci.ContainerInstanceArn)) {
				arns[i] = aws.ToString(ci.ContainerInstanceArn)
				break
			}
		}
		if arns[i] == "" {
			t.Fatalf("no container instance of %s in %s", h.instanceType, h.zone)
		}
	}
	return arns, aws.ToString(vpc.Vpc.VpcId), subnets
}

func attributeOf(ci ecstypes.ContainerInstance, name string) string {
	for _, a := range ci.Attributes {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// sleeperService creates a service of count "sleeper" tasks (bridge mode,
// 128 MiB each, no ports) with the given placement.
func sleeperService(t *testing.T, client *ecs.Client, cluster, name string, count int32, strategies []ecstypes.PlacementStrategy, constraints []ecstypes.PlacementConstraint) {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def := registerTaskDefinition(t, client, cluster+"-"+name, "sleeper")
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(def), DesiredCount: aws.Int32(count),
		PlacementStrategy: strategies, PlacementConstraints: constraints,
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
}

// runningServiceTasks waits until the service has want RUNNING tasks and
// returns them.
func runningServiceTasks(t *testing.T, client *ecs.Client, cluster, service string, want int) []ecstypes.Task {
	t.Helper()
	var tasks []ecstypes.Task
	localcloudtest.Eventually(t, fmt.Sprintf("%d running tasks of %s", want, service), func() bool {
		tasks = tasks[:0]
		for _, task := range serviceTasks(t, client, cluster, service) {
			if aws.ToString(task.LastStatus) == "RUNNING" {
				tasks = append(tasks, task)
			}
		}
		return len(tasks) == want
	})
	return tasks
}

// tasksPer counts tasks by what key says of each.
func tasksPer(tasks []ecstypes.Task, key func(ecstypes.Task) string) map[string]int {
	counts := map[string]int{}
	for _, task := range tasks {
		counts[key(task)]++
	}
	return counts
}

func onInstance(task ecstypes.Task) string { return aws.ToString(task.ContainerInstanceArn) }

// binpack on memory fills the instance with the least memory left that
// still fits: three small tasks of a service share one instance of two,
// where the default strategy would spread them.
func TestBinpackPacksTasksOntoOneInstance(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "packed", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1a", ec2types.InstanceTypeT2Medium}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	sleeperService(t, client, "packed", "web", 3, []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeBinpack, Field: aws.String("memory")}}, nil)
	tasks := runningServiceTasks(t, client, "packed", "web", 3)
	if per := tasksPer(tasks, onInstance); len(per) != 1 {
		t.Errorf("binpack spread the tasks over %d instances (%v), want one of %v", len(per), per, instances)
	}
}

// A service's default placement spreads its tasks evenly over zones, and
// an explicit spread on instanceId evenly over instances.
func TestSpreadOverZonesAndInstances(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "spread", []host{
		{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT2Medium},
	})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)

	sleeperService(t, client, "spread", "zones", 4, nil, nil)
	byZone := tasksPer(runningServiceTasks(t, client, "spread", "zones", 4), func(task ecstypes.Task) string { return aws.ToString(task.AvailabilityZone) })
	if byZone["us-east-1a"] != 2 || byZone["us-east-1b"] != 2 {
		t.Errorf("tasks per zone %v, want 2 in each", byZone)
	}

	sleeperService(t, client, "spread", "hosts", 3, []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}}, nil)
	byInstance := tasksPer(runningServiceTasks(t, client, "spread", "hosts", 3), onInstance)
	for _, arn := range instances {
		if byInstance[arn] != 1 {
			t.Errorf("tasks per instance %v, want one on each of %v", byInstance, instances)
			break
		}
	}
}

// memberOf binds: a service constrained to t3.small instances runs only
// there, even when that means sharing one instance; one constrained to an
// instance type the cluster lacks places nothing and says so in ECS's
// words.
func TestMemberOfPlacesOnlyOnMatchingInstances(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "member", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT3Small}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")

	sleeperService(t, client, "member", "small", 2, nil,
		[]ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type == t3.small")}})
	if per := tasksPer(runningServiceTasks(t, client, "member", "small", 2), onInstance); per[instances[1]] != 2 {
		t.Errorf("tasks per instance %v, want both on the t3.small %s", per, instances[1])
	}

	sleeperService(t, client, "member", "large", 1, nil,
		[]ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type in [m5.large, c5.large]")}})
	want := "(service large) was unable to place a task because no container instance met all of its requirements."
	localcloudtest.Eventually(t, "the service event about placement", func() bool {
		out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("member"), Services: []string{"large"}})
		if err != nil || len(out.Services) != 1 {
			return false
		}
		for _, ev := range out.Services[0].Events {
			msg := aws.ToString(ev.Message)
			if strings.HasPrefix(msg, want) && strings.Contains(msg, "doesn't match the memberOf placement constraint") {
				return true
			}
		}
		return false
	})
	if tasks := serviceTasks(t, client, "member", "large"); len(tasks) != 1 || aws.ToString(tasks[0].LastStatus) != "PROVISIONING" {
		t.Errorf("the unplaceable task: %d tasks, want one PROVISIONING", len(tasks))
	}
}

// distinctInstance keeps a service's tasks on instances of their own: two
// tasks on two instances, and a third has nowhere to go.
func TestDistinctInstanceLeavesTheThirdTaskUnplaced(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "distinct", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1a", ec2types.InstanceTypeT2Medium}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	sleeperService(t, client, "distinct", "web", 3,
		[]ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeBinpack, Field: aws.String("cpu")}},
		[]ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}})
	per := tasksPer(runningServiceTasks(t, client, "distinct", "web", 2), onInstance)
	if per[instances[0]] != 1 || per[instances[1]] != 1 {
		t.Errorf("tasks per instance %v, want one on each", per)
	}
	localcloudtest.Eventually(t, "the third task to wait for an instance", func() bool {
		waiting := 0
		for _, task := range serviceTasks(t, client, "distinct", "web") {
			if aws.ToString(task.LastStatus) == "PROVISIONING" {
				waiting++
			}
		}
		return waiting == 1
	})
}

// Draining an instance moves its service tasks elsewhere as a deployment
// would: with minimumHealthyPercent 100 the replacements run before any
// drained task stops, so the running count never drops below the desired
// count; a standalone task on the instance is left alone, and a new task
// lands on the instance again once it is ACTIVE.
func TestDrainingMovesServiceTasksWithoutAGap(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "drain", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT2Medium}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	// binpack puts both tasks on one instance; the memberOf puts them on
	// the first, for now.
	onFirst := []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.availability-zone == us-east-1a")}}
	sleeperService(t, client, "drain", "web", 2, []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeBinpack, Field: aws.String("memory")}}, onFirst)
	if per := tasksPer(runningServiceTasks(t, client, "drain", "web", 2), onInstance); per[instances[0]] != 2 {
		t.Fatalf("tasks per instance %v, want both on %s", per, instances[0])
	}
	standalone, err := client.StartTask(ctx, &ecs.StartTaskInput{Cluster: aws.String("drain"), TaskDefinition: aws.String("drain-web"), ContainerInstances: []string{instances[0]}})
	if err != nil || len(standalone.Tasks) != 1 {
		t.Fatalf("StartTask: %v %+v", err, standalone)
	}
	standaloneARN := aws.ToString(standalone.Tasks[0].TaskArn)
	waitForTask(t, client, "drain", standaloneARN, "RUNNING")
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("drain"), Service: aws.String("web"), PlacementConstraints: []ecstypes.PlacementConstraint{}}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}

	drain := func(arn string, status ecstypes.ContainerInstanceStatus) {
		t.Helper()
		out, err := client.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("drain"), ContainerInstances: []string{arn}, Status: status})
		if err != nil || len(out.ContainerInstances) != 1 || aws.ToString(out.ContainerInstances[0].Status) != string(status) {
			t.Fatalf("UpdateContainerInstancesState %s: %v %+v", status, err, out)
		}
	}
	// moved waits for both service tasks to run on to, checking on every
	// look that two were running all along.
	moved := func(to string) {
		t.Helper()
		localcloudtest.Eventually(t, "the service tasks to move to "+to, func() bool {
			tasks := serviceTasks(t, client, "drain", "web")
			running := 0
			for _, task := range tasks {
				if aws.ToString(task.LastStatus) == "RUNNING" {
					running++
				}
			}
			if running < 2 {
				t.Fatalf("only %d service tasks running while draining, want at least 2", running)
			}
			return running == 2 && len(tasks) == 2 && tasksPer(tasks, onInstance)[to] == 2
		})
	}
	drain(instances[0], ecstypes.ContainerInstanceStatusDraining)
	moved(instances[1])
	if task := waitForTask(t, client, "drain", standaloneARN, "RUNNING"); aws.ToString(task.DesiredStatus) != "RUNNING" {
		t.Errorf("the standalone task on the draining instance is meant to %s, want RUNNING", aws.ToString(task.DesiredStatus))
	}
	stopped, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("drain"), ServiceName: aws.String("web"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(stopped.TaskArns) != 2 {
		t.Fatalf("ListTasks STOPPED: %v %+v, want the 2 drained tasks", err, stopped)
	}
	drained, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("drain"), Tasks: stopped.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	for _, task := range drained.Tasks {
		if aws.ToString(task.StoppedReason) != "Task stopped during instance draining" || task.StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated {
			t.Errorf("a task its draining instance gave up: stopped %s with %q, want ServiceSchedulerInitiated, \"Task stopped during instance draining\"", task.StopCode, aws.ToString(task.StoppedReason))
		}
	}

	// Back to ACTIVE, the instance takes tasks again: drain the other one.
	drain(instances[0], ecstypes.ContainerInstanceStatusActive)
	drain(instances[1], ecstypes.ContainerInstanceStatusDraining)
	moved(instances[0])
}
