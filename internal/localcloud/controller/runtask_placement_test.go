package controller_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// runSleepers runs count standalone "sleeper" tasks (128 MiB each) with
// RunTask's own placement and returns its answer.
func runSleepers(t *testing.T, client *ecs.Client, cluster string, count int32, strategies []ecstypes.PlacementStrategy, constraints []ecstypes.PlacementConstraint) *ecs.RunTaskOutput {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def := registerTaskDefinition(t, client, cluster+"-job", "sleeper")
	out, err := client.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String(cluster), TaskDefinition: aws.String(def), Count: aws.Int32(count),
		LaunchType: ecstypes.LaunchTypeEc2, PlacementStrategy: strategies, PlacementConstraints: constraints,
	})
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	return out
}

// runningTasks waits until every task RunTask started runs and returns
// them as DescribeTasks shows them.
func runningTasks(t *testing.T, client *ecs.Client, cluster string, started []ecstypes.Task) []ecstypes.Task {
	t.Helper()
	tasks := make([]ecstypes.Task, 0, len(started))
	for _, task := range started {
		tasks = append(tasks, waitForTask(t, client, cluster, aws.ToString(task.TaskArn), "RUNNING"))
	}
	return tasks
}

var memberOfT3Small = ecstypes.PlacementConstraint{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type == t3.small")}

// RunTask's distinctInstance puts each of its tasks on an instance of its
// own, where its default random placement could stack them.
func TestRunTaskDistinctInstancePutsEachTaskOnItsOwnInstance(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "rundistinct", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT3Small}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	out := runSleepers(t, client, "rundistinct", 2, nil, []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}})
	if len(out.Tasks) != 2 || len(out.Failures) != 0 {
		t.Fatalf("RunTask: %d tasks, failures %v; want 2 tasks and no failure", len(out.Tasks), out.Failures)
	}
	per := tasksPer(runningTasks(t, client, "rundistinct", out.Tasks), onInstance)
	if per[instances[0]] != 1 || per[instances[1]] != 1 {
		t.Errorf("tasks per instance %v, want one on each of %v", per, instances)
	}
}

// RunTask's memberOf binds its tasks to the matching instance; its
// binpack on memory fills the instance with the least memory left, the
// t3.small, where the default random placement would scatter them.
func TestRunTaskMemberOfAndBinpackChooseTheT3Small(t *testing.T) {
	for _, tc := range []struct {
		name        string
		strategies  []ecstypes.PlacementStrategy
		constraints []ecstypes.PlacementConstraint
	}{
		{name: "runmember", constraints: []ecstypes.PlacementConstraint{memberOfT3Small}},
		{name: "runpack", strategies: []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeBinpack, Field: aws.String("memory")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloud := localcloudtest.Start(t)
			instances := fleet(t, cloud, tc.name, []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT3Small}})
			sleeperImage(t, cloud)
			client := ecs.NewFromConfig(cloud.Config)
			out := runSleepers(t, client, tc.name, 3, tc.strategies, tc.constraints)
			if len(out.Tasks) != 3 || len(out.Failures) != 0 {
				t.Fatalf("RunTask: %d tasks, failures %v; want 3 tasks and no failure", len(out.Tasks), out.Failures)
			}
			if per := tasksPer(runningTasks(t, client, tc.name, out.Tasks), onInstance); per[instances[1]] != 3 {
				t.Errorf("tasks per instance %v, want all three on the t3.small %s", per, instances[1])
			}
		})
	}
}

// Without a capacity provider nothing will add an instance, so RunTask
// answers at once for a task no instance can take, naming each instance
// with its reason in ECS's words, and starts only the tasks that fit.
func TestRunTaskThatCannotBePlacedComesBackInFailures(t *testing.T) {
	cloud := localcloudtest.Start(t)
	instances := fleet(t, cloud, "runfail", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}, {"us-east-1b", ec2types.InstanceTypeT3Small}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	failure := func(arn, reason string) ecstypes.Failure {
		return ecstypes.Failure{Arn: aws.String(arn), Reason: aws.String(reason)}
	}
	sameFailures := func(got []ecstypes.Failure, want ...ecstypes.Failure) bool {
		return len(got) == len(want) && !slices.ContainsFunc(want, func(w ecstypes.Failure) bool {
			return !slices.ContainsFunc(got, func(g ecstypes.Failure) bool {
				return aws.ToString(g.Arn) == aws.ToString(w.Arn) && aws.ToString(g.Reason) == aws.ToString(w.Reason)
			})
		})
	}

	// distinctInstance with three tasks and two instances: the third fails.
	out := runSleepers(t, client, "runfail", 3, nil, []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}})
	if len(out.Tasks) != 2 || !sameFailures(out.Failures,
		failure(instances[0], "DistinctInstance placement constraint unsatisfied."),
		failure(instances[1], "DistinctInstance placement constraint unsatisfied.")) {
		t.Errorf("distinctInstance: %d tasks, failures %v; want 2 tasks and each instance refused", len(out.Tasks), out.Failures)
	}
	runningTasks(t, client, "runfail", out.Tasks)

	// memberOf an instance type the cluster lacks: nothing starts.
	out = runSleepers(t, client, "runfail", 1, nil, []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type == m5.large")}})
	if len(out.Tasks) != 0 || !sameFailures(out.Failures,
		failure(instances[0], "MemberOf placement constraint unsatisfied."),
		failure(instances[1], "MemberOf placement constraint unsatisfied.")) {
		t.Errorf("memberOf: %d tasks, failures %v; want none and each instance refused", len(out.Tasks), out.Failures)
	}

	// More memory than the t3.small has (2 GiB), and only the t3.small
	// allowed: RESOURCE:MEMORY there, MemberOf on the other.
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("runfail-big"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(3000)}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	big, err := client.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String("runfail"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, LaunchType: ecstypes.LaunchTypeEc2,
		PlacementConstraints: []ecstypes.PlacementConstraint{memberOfT3Small},
	})
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	if len(big.Tasks) != 0 || !sameFailures(big.Failures,
		failure(instances[0], "MemberOf placement constraint unsatisfied."),
		failure(instances[1], "RESOURCE:MEMORY")) {
		t.Errorf("too big: %d tasks, failures %v; want none, RESOURCE:MEMORY on the t3.small", len(big.Tasks), big.Failures)
	}
}

// RunTask counts what an instance's tasks hold beyond CPU and memory, as
// ECS does: an awsvpc task needs an ENI of its own (a t2.medium's three
// take two tasks besides the instance's own), a static host port must be
// free (the agent's reserved ones never are). A task that does not fit
// comes back in failures as RESOURCE:ENI or RESOURCE:PORTS.
func TestRunTaskRefusesWithoutAnENIOrAFreeHostPort(t *testing.T) {
	const region = "ap-southeast-2"
	cloud := localcloudtest.Start(t)
	instances, _, subnets := regionalFleet(t, cloud, region, "roomy", []host{{region + "b", ec2types.InstanceTypeT2Medium}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.ConfigIn(region))
	ctx := context.Background()
	register := func(family string, mode ecstypes.NetworkMode, hostPort int32) string {
		t.Helper()
		cd := ecstypes.ContainerDefinition{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64)}
		if mode == ecstypes.NetworkModeBridge {
			cd.PortMappings = []ecstypes.PortMapping{{ContainerPort: aws.Int32(7000), HostPort: aws.Int32(hostPort)}}
		}
		def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), NetworkMode: mode, ContainerDefinitions: []ecstypes.ContainerDefinition{cd}})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition %s: %v", family, err)
		}
		return aws.ToString(def.TaskDefinition.TaskDefinitionArn)
	}
	run := func(def string, count int32, network *ecstypes.NetworkConfiguration) *ecs.RunTaskOutput {
		t.Helper()
		out, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("roomy"), TaskDefinition: aws.String(def), Count: aws.Int32(count),
			LaunchType: ecstypes.LaunchTypeEc2, NetworkConfiguration: network})
		if err != nil {
			t.Fatalf("RunTask: %v", err)
		}
		return out
	}
	refusedFor := func(out *ecs.RunTaskOutput, reason string) bool {
		return len(out.Failures) == 1 && aws.ToString(out.Failures[0].Arn) == instances[0] && aws.ToString(out.Failures[0].Reason) == reason
	}

	vpcTask := register("roomy-vpc", ecstypes.NetworkModeAwsvpc, 0)
	network := &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{subnets[region+"b"]}}}
	out := run(vpcTask, 3, network)
	if len(out.Tasks) != 2 || !refusedFor(out, "RESOURCE:ENI") {
		t.Fatalf("three awsvpc tasks on a t2.medium: %d tasks, failures %+v; want 2 and RESOURCE:ENI for %s", len(out.Tasks), out.Failures, instances[0])
	}
	runningTasks(t, client, "roomy", out.Tasks)
	if again := run(vpcTask, 1, network); len(again.Tasks) != 0 || !refusedFor(again, "RESOURCE:ENI") {
		t.Errorf("one more awsvpc task beside the running two: %d tasks, failures %+v; want RESOURCE:ENI", len(again.Tasks), again.Failures)
	}

	portTask := register("roomy-port", ecstypes.NetworkModeBridge, 8088)
	out = run(portTask, 2, nil)
	if len(out.Tasks) != 1 || !refusedFor(out, "RESOURCE:PORTS") {
		t.Fatalf("two tasks on host port 8088: %d tasks, failures %+v; want 1 and RESOURCE:PORTS", len(out.Tasks), out.Failures)
	}
	runningTasks(t, client, "roomy", out.Tasks)
	if again := run(portTask, 1, nil); len(again.Tasks) != 0 || !refusedFor(again, "RESOURCE:PORTS") {
		t.Errorf("host port 8088 while a running task holds it: %d tasks, failures %+v; want RESOURCE:PORTS", len(again.Tasks), again.Failures)
	}
	if ssh := run(register("roomy-ssh", ecstypes.NetworkModeBridge, 22), 1, nil); len(ssh.Tasks) != 0 || !refusedFor(ssh, "RESOURCE:PORTS") {
		t.Errorf("host port 22, which the agent reserves: %d tasks, failures %+v; want RESOURCE:PORTS", len(ssh.Tasks), ssh.Failures)
	}
	// A dynamic host port always fits.
	if dynamic := run(register("roomy-dynamic", ecstypes.NetworkModeBridge, 0), 2, nil); len(dynamic.Tasks) != 2 || len(dynamic.Failures) != 0 {
		t.Errorf("dynamic host ports: %d tasks, failures %+v; want 2 and none", len(dynamic.Tasks), dynamic.Failures)
	}
}
