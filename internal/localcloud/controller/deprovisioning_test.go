package controller_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// lifecycle is ECS's order of a task's lastStatus.
var lifecycle = []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"}

func eniStatus(task ecstypes.Task) string {
	for _, a := range task.Attachments {
		if aws.ToString(a.Type) == "ElasticNetworkInterface" {
			return aws.ToString(a.Status)
		}
	}
	return ""
}

// An awsvpc task walks ECS's lifecycle in order, and its network
// interface goes last: DETACHED while the task is DEPROVISIONING, DELETED
// once it is STOPPED. The statuses a poller sees are those the task
// passed through: a look may miss a short one, never reorder them.
func TestAwsvpcTaskDeprovisionsItsENI(t *testing.T) {
	cloud := localcloudtest.Start(t)
	fleet(t, cloud, "deprov", []host{{"us-east-1a", ec2types.InstanceTypeT2Medium}})
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	subnets, err := ec2.NewFromConfig(cloud.Config).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("availability-zone"), Values: []string{"us-east-1a"}}}})
	if err != nil || len(subnets.Subnets) == 0 {
		t.Fatalf("DescribeSubnets: %v %+v", err, subnets)
	}
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("deprov"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64)}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}

	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("deprov"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{aws.ToString(subnets.Subnets[0].SubnetId)}}}})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	seen := []string{aws.ToString(run.Tasks[0].LastStatus)}
	eniAt := map[string]string{}
	var last ecstypes.Task
	stopRequested := false
	localcloudtest.Eventually(t, "the task to stop", func() bool {
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("deprov"), Tasks: []string{arn}})
		if err != nil || len(out.Tasks) != 1 {
			return false
		}
		last = out.Tasks[0]
		status := aws.ToString(last.LastStatus)
		if status != seen[len(seen)-1] {
			seen = append(seen, status)
		}
		eniAt[status] = eniStatus(last)
		if status == "RUNNING" && !stopRequested {
			if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("deprov"), Task: aws.String(arn)}); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			stopRequested = true
		}
		return status == "STOPPED"
	})
	for i := 1; i < len(seen); i++ {
		if slices.Index(lifecycle, seen[i]) <= slices.Index(lifecycle, seen[i-1]) {
			t.Fatalf("lastStatus went %s, out of ECS's order %s", strings.Join(seen, " → "), strings.Join(lifecycle, " → "))
		}
	}
	if eniAt["RUNNING"] != "ATTACHED" {
		t.Errorf("the ENI of the RUNNING task is %q, want ATTACHED", eniAt["RUNNING"])
	}
	if got, ok := eniAt["DEPROVISIONING"]; ok && got != "DETACHED" {
		t.Errorf("the ENI of the DEPROVISIONING task is %q, want DETACHED", got)
	}
	// Only the end of DEPROVISIONING deletes the ENI: DELETED proves the
	// task went through it, whether a look caught it or not.
	if got := eniStatus(last); got != "DELETED" {
		t.Errorf("the ENI of the STOPPED task is %q, want DELETED (statuses seen: %v)", got, seen)
	}
	if last.StoppedAt == nil || last.ExecutionStoppedAt == nil || last.StoppedAt.Before(*last.ExecutionStoppedAt) {
		t.Errorf("stoppedAt %v, executionStoppedAt %v: want both, stoppedAt last", last.StoppedAt, last.ExecutionStoppedAt)
	}
}

// A dependency that does not reach its condition within its startTimeout
// stops the task before its dependent starts, with the agent's reason.
func TestDependencyStartTimeoutStopsTheTask(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "timeout")
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("timeout"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				DependsOn: []ecstypes.ContainerDependency{{ContainerName: aws.String("migrate"), Condition: ecstypes.ContainerConditionComplete}}},
			// Never completes: it sleeps until stopped.
			{Name: aws.String("migrate"), Image: aws.String("sleeper"), Memory: aws.Int32(64), Essential: aws.Bool(false), StartTimeout: aws.Int32(2)},
		},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("timeout"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	task := waitForTask(t, client, "timeout", aws.ToString(run.Tasks[0].TaskArn), "STOPPED")
	want := "DependencyError: dependency graph: container ordering dependency [migrate] for target [app] has timed out."
	if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || aws.ToString(task.StoppedReason) != want {
		t.Errorf("stopped with %s %q, want TaskFailedToStart %q", task.StopCode, aws.ToString(task.StoppedReason), want)
	}
	if app := containerNamed(t, task, "app"); app.ExitCode != nil {
		t.Errorf("app ran (exit code %d) though its dependency timed out", *app.ExitCode)
	}
}
