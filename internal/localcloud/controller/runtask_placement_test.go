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
