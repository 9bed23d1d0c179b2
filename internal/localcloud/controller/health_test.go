package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// serviceTasks describes the service's tasks that are meant to run.
func serviceTasks(t *testing.T, client *ecs.Client, cluster, service string) []ecstypes.Task {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil || len(list.TaskArns) == 0 {
		return nil
	}
	out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil
	}
	return out.Tasks
}

// A container health check from the task definition decides the health
// of the container and of its task; when it fails, the service scheduler
// replaces the task with ECS's reason, and the replacement turns healthy
// once the check passes again.
func TestContainerHealthCheckReplacesUnhealthyTask(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: testTimeScale})
	capacity(t, cloud, "health")
	sleeperImage(t, cloud)
	marker := filepath.Join(t.TempDir(), "healthy")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("checked"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(128),
			HealthCheck: &ecstypes.HealthCheck{
				Command:  []string{"CMD-SHELL", "test -f " + marker},
				Interval: aws.Int32(5), Timeout: aws.Int32(5), Retries: aws.Int32(2),
			},
		}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("health"), ServiceName: aws.String("svc"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var first ecstypes.Task
	localcloudtest.Eventually(t, "a HEALTHY task", func() bool {
		tasks := serviceTasks(t, client, "health", "svc")
		if len(tasks) != 1 {
			return false
		}
		first = tasks[0]
		return first.HealthStatus == ecstypes.HealthStatusHealthy
	})
	if got := first.Containers[0].HealthStatus; got != ecstypes.HealthStatusHealthy {
		t.Errorf("container healthStatus = %q, want HEALTHY", got)
	}

	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	stopped := waitForTask(t, client, "health", aws.ToString(first.TaskArn), "STOPPED")
	if stopped.StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated || aws.ToString(stopped.StoppedReason) != "Task failed container health checks" {
		t.Errorf("stopped with %q/%q, want ServiceSchedulerInitiated/Task failed container health checks", stopped.StopCode, aws.ToString(stopped.StoppedReason))
	}
	if stopped.HealthStatus != ecstypes.HealthStatusUnhealthy || stopped.Containers[0].HealthStatus != ecstypes.HealthStatusUnhealthy {
		t.Errorf("stopped task's health = %q, container's %q, want UNHEALTHY for both", stopped.HealthStatus, stopped.Containers[0].HealthStatus)
	}

	services, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("health"), Services: []string{"svc"}})
	if err != nil || len(services.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	wantEvent := "(service svc) (task " + taskIDOf(aws.ToString(first.TaskArn)) + ") failed container health checks."
	found := false
	for _, e := range services.Services[0].Events {
		found = found || aws.ToString(e.Message) == wantEvent
	}
	if !found {
		t.Errorf("no service event %q", wantEvent)
	}

	var replacement ecstypes.Task
	localcloudtest.Eventually(t, "a replacement task", func() bool {
		tasks := serviceTasks(t, client, "health", "svc")
		if len(tasks) != 1 || aws.ToString(tasks[0].TaskArn) == aws.ToString(first.TaskArn) {
			return false
		}
		replacement = tasks[0]
		return aws.ToString(replacement.LastStatus) == "RUNNING"
	})
	if replacement.HealthStatus == ecstypes.HealthStatusHealthy {
		t.Errorf("the replacement is HEALTHY while its check fails")
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// While the check failed, replacements may have been replaced in turn.
	localcloudtest.Eventually(t, "a replacement to turn HEALTHY", func() bool {
		tasks := serviceTasks(t, client, "health", "svc")
		return len(tasks) == 1 && aws.ToString(tasks[0].TaskArn) != aws.ToString(first.TaskArn) && tasks[0].HealthStatus == ecstypes.HealthStatusHealthy
	})
}

// taskIDOf is the id at the end of a task ARN.
func taskIDOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
