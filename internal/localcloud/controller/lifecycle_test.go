package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A stopped task's containers get SIGTERM, then SIGKILL once their
// stopTimeout is over: one that ignores SIGTERM ends with 137, one that
// leaves on it with its own code; the task reports ECS's timestamps in
// order and the user's stop.
func TestStopTimeoutEscalatesToSIGKILL(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "stops")
	sleeperImage(t, cloud)
	dir := t.TempDir()
	termSeen := filepath.Join(dir, "term-seen")
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("stops"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("stubborn"), Image: aws.String("sleeper"), Memory: aws.Int32(64), StopTimeout: aws.Int32(2),
				Command: []string{"/bin/sh", "-c", `trap "touch ` + termSeen + `" TERM; touch ` + filepath.Join(dir, "ready") + `; while :; do sleep 1; done`}},
			{Name: aws.String("polite"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				Command: []string{"/bin/sh", "-c", `trap "exit 0" TERM; while :; do sleep 1; done`}},
		},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("stops"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	if got := aws.ToString(run.Tasks[0].LastStatus); got != "PROVISIONING" {
		t.Errorf("RunTask's task is %s, want PROVISIONING", got)
	}
	waitForTask(t, client, "stops", arn, "RUNNING")
	localcloudtest.Eventually(t, "the trap to be set", func() bool {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err == nil
	})
	if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("stops"), Task: aws.String(arn)}); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	task := waitForTask(t, client, "stops", arn, "STOPPED")
	if _, err := os.Stat(termSeen); err != nil {
		t.Errorf("the stubborn container never saw SIGTERM: %v", err)
	}
	for name, want := range map[string]int32{"stubborn": 137, "polite": 0} {
		if code := containerNamed(t, task, name).ExitCode; code == nil || *code != want {
			t.Errorf("%s exited with %v, want %d", name, code, want)
		}
	}
	if aws.ToString(task.DesiredStatus) != "STOPPED" || task.StopCode != ecstypes.TaskStopCodeUserInitiated {
		t.Errorf("desired %s, stop code %s; want STOPPED, UserInitiated", aws.ToString(task.DesiredStatus), task.StopCode)
	}
	times := []struct {
		name string
		at   *time.Time
	}{{"createdAt", task.CreatedAt}, {"pullStartedAt", task.PullStartedAt}, {"startedAt", task.StartedAt}, {"stoppingAt", task.StoppingAt}, {"stoppedAt", task.StoppedAt}}
	for i, ts := range times {
		if ts.at == nil {
			t.Errorf("%s is not set", ts.name)
			continue
		}
		if i > 0 && times[i-1].at != nil && ts.at.Before(*times[i-1].at) {
			t.Errorf("%s %v is before %s %v", ts.name, ts.at, times[i-1].name, times[i-1].at)
		}
	}
}

// A task stops in the reverse of its dependsOn order: a container gets
// SIGTERM only once the containers that depend on it have exited.
func TestStopFollowsReverseDependencyOrder(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "reverse")
	sleeperImage(t, cloud)
	dir := t.TempDir()
	appGone, orderKept := filepath.Join(dir, "app-gone"), filepath.Join(dir, "order-kept")
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("reverse"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				Command:   []string{"/bin/sh", "-c", `trap "touch ` + appGone + `; exit 0" TERM; touch ` + filepath.Join(dir, "app-ready") + `; while :; do sleep 1; done`},
				DependsOn: []ecstypes.ContainerDependency{{ContainerName: aws.String("sidecar"), Condition: ecstypes.ContainerConditionStart}}},
			{Name: aws.String("sidecar"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				Command: []string{"/bin/sh", "-c", `trap "test -f ` + appGone + ` && touch ` + orderKept + `; exit 0" TERM; touch ` + filepath.Join(dir, "sidecar-ready") + `; while :; do sleep 1; done`}},
		},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("reverse"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	waitForTask(t, client, "reverse", arn, "RUNNING")
	localcloudtest.Eventually(t, "both traps to be set", func() bool {
		_, appErr := os.Stat(filepath.Join(dir, "app-ready"))
		_, sidecarErr := os.Stat(filepath.Join(dir, "sidecar-ready"))
		return appErr == nil && sidecarErr == nil
	})
	if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("reverse"), Task: aws.String(arn)}); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	waitForTask(t, client, "reverse", arn, "STOPPED")
	if _, err := os.Stat(orderKept); err != nil {
		t.Errorf("the sidecar got SIGTERM before the app that depends on it had exited")
	}
}
