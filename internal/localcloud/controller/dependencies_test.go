package controller_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// containerNamed is the task's container of that name.
func containerNamed(t *testing.T, task ecstypes.Task, name string) ecstypes.Container {
	t.Helper()
	for _, c := range task.Containers {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	t.Fatalf("task has no container %q", name)
	return ecstypes.Container{}
}

// dependsOnDefinition registers a task definition of three containers:
// init (not essential) runs initScript and exits; sidecar runs on and its
// health check leaves a mark; app starts only after init succeeded and
// sidecar turned healthy, and exits at once when it finds either mark
// missing, which would stop the task.
func dependsOnDefinition(t *testing.T, client *ecs.Client, family, dir, initScript string) string {
	t.Helper()
	shell := func(script string) []string { return []string{"/bin/sh", "-c", script} }
	def, err := client.RegisterTaskDefinition(localcloudtest.InRegion(context.Background(), "us-east-1"), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				Command: shell("test -f " + filepath.Join(dir, "init-done") + " && test -f " + filepath.Join(dir, "sidecar-checked") + " && exec sleep 300"),
				DependsOn: []ecstypes.ContainerDependency{
					{ContainerName: aws.String("init"), Condition: ecstypes.ContainerConditionSuccess},
					{ContainerName: aws.String("sidecar"), Condition: ecstypes.ContainerConditionHealthy},
				}},
			{Name: aws.String("init"), Image: aws.String("sleeper"), Memory: aws.Int32(64), Essential: aws.Bool(false),
				Command: shell(initScript)},
			{Name: aws.String("sidecar"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "touch " + filepath.Join(dir, "sidecar-checked")}, Interval: aws.Int32(5), Retries: aws.Int32(1)},
				DependsOn:   []ecstypes.ContainerDependency{{ContainerName: aws.String("init"), Condition: ecstypes.ContainerConditionStart}}},
		},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(def.TaskDefinition.TaskDefinitionArn)
}

// dependsOn orders a task's start: a container starts once the containers
// it depends on have started, succeeded or turned healthy; a dependency
// that fails stops the task before its dependents start.
func TestDependsOnOrdersStartUp(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: testTimeScale})
	capacity(t, cloud, "ordered")
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	run := func(defARN string) string {
		out, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("ordered"), TaskDefinition: aws.String(defARN)})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("RunTask: %v %+v", err, out)
		}
		return aws.ToString(out.Tasks[0].TaskArn)
	}

	t.Run("met", func(t *testing.T) {
		dir := t.TempDir()
		arn := run(dependsOnDefinition(t, client, "ordered", dir, "touch "+filepath.Join(dir, "init-done")))
		task := waitForTask(t, client, "ordered", arn, "RUNNING")
		if app := containerNamed(t, task, "app"); aws.ToString(app.LastStatus) != "RUNNING" {
			t.Errorf("app is %s, want RUNNING", aws.ToString(app.LastStatus))
		}
		localcloudtest.Eventually(t, "init's exit to be recorded", func() bool {
			task = waitForTask(t, client, "ordered", arn, "RUNNING")
			return aws.ToString(containerNamed(t, task, "init").LastStatus) == "STOPPED"
		})
		if code := containerNamed(t, task, "init").ExitCode; code == nil || *code != 0 {
			t.Errorf("init's exit code = %v, want 0", code)
		}
		if task.HealthStatus != ecstypes.HealthStatusHealthy {
			t.Errorf("task health = %q, want HEALTHY (its one essential checked container passes)", task.HealthStatus)
		}
		if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("ordered"), Task: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
		waitForTask(t, client, "ordered", arn, "STOPPED")
	})

	t.Run("failed", func(t *testing.T) {
		dir := t.TempDir()
		arn := run(dependsOnDefinition(t, client, "broken-init", dir, "exit 3"))
		task := waitForTask(t, client, "ordered", arn, "STOPPED")
		if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.Contains(aws.ToString(task.StoppedReason), "DependencyError") {
			t.Errorf("stopped with %q/%q, want TaskFailedToStart with a DependencyError", task.StopCode, aws.ToString(task.StoppedReason))
		}
		app := containerNamed(t, task, "app")
		if app.ExitCode != nil || !strings.Contains(aws.ToString(app.Reason), "[init]") {
			t.Errorf("app: exit code %v, reason %q; want it never started, for init", app.ExitCode, aws.ToString(app.Reason))
		}
		if code := containerNamed(t, task, "init").ExitCode; code == nil || *code != 3 {
			t.Errorf("init's exit code = %v, want 3", code)
		}
	})
}
