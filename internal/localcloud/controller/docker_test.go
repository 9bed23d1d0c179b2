package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// The tests of this file run their tasks as containers of the machine's
// Docker Engine (--runtime docker), all of one image built FROM scratch
// around localcloudtest.HelloProgram, which serves on its $PORT (9000
// here, its first port mapping). Without an Engine they skip, and fail
// where CI is set.

// dockerCloud starts a local cloud that runs tasks as containers only,
// and returns it with the test image's tag.
func dockerCloud(t *testing.T, opts localcloud.Options) (*localcloudtest.Cloud, string) {
	t.Helper()
	image := localcloudtest.HelloImage(t, localcloudtest.DockerEngine(t))
	opts.Runtime = runtime.ModeDocker
	cloud := localcloudtest.StartWithOptions(t, opts)
	if cloud.Runtime().Docker() == nil {
		t.Fatal("the local cloud runs no Docker runtime")
	}
	return cloud, image
}

// helloContainer is the container definition "app" of the test image,
// serving on port 9000.
func helloContainer(image string) ecstypes.ContainerDefinition {
	return ecstypes.ContainerDefinition{
		Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(128),
		Environment:  []ecstypes.KeyValuePair{{Name: aws.String("GREETING"), Value: aws.String("hello")}},
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(9000)}},
	}
}

// healthyTargets are the ids of the group's healthy targets.
func healthyTargets(t *testing.T, cloud *localcloudtest.Cloud, tgARN string) []elbtypes.TargetDescription {
	out, err := elb.NewFromConfig(cloud.Config).DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	if err != nil {
		return nil
	}
	var healthy []elbtypes.TargetDescription
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			healthy = append(healthy, *d.Target)
		}
	}
	return healthy
}

// A container health check runs in the container (the image's own
// program: it has no shell); when it fails the service scheduler replaces
// the task with ECS's reason, and a replacement turns HEALTHY once the
// check passes again. The check reads a file of a host volume, which the
// test removes and puts back.
func TestDockerContainerHealthCheckReplacesUnhealthyTask(t *testing.T) {
	cloud, image := dockerCloud(t, localcloud.Options{TimeScale: 10})
	capacity(t, cloud, "dockhealth")
	state := t.TempDir()
	marker := filepath.Join(state, "healthy")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	app := helloContainer(image)
	app.MountPoints = []ecstypes.MountPoint{{SourceVolume: aws.String("state"), ContainerPath: aws.String("/state"), ReadOnly: aws.Bool(true)}}
	app.HealthCheck = &ecstypes.HealthCheck{Command: []string{"CMD", "/hello", "exists", "/state/healthy"}, Interval: aws.Int32(5), Timeout: aws.Int32(5), Retries: aws.Int32(2)}
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("dockhealth"),
		Volumes:              []ecstypes.Volume{{Name: aws.String("state"), Host: &ecstypes.HostVolumeProperties{SourcePath: aws.String(state)}}},
		ContainerDefinitions: []ecstypes.ContainerDefinition{app},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("dockhealth"), ServiceName: aws.String("svc"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var first ecstypes.Task
	localcloudtest.Eventually(t, "a HEALTHY container task", func() bool {
		tasks := serviceTasks(t, client, "dockhealth", "svc")
		if len(tasks) != 1 {
			return false
		}
		first = tasks[0]
		return first.HealthStatus == ecstypes.HealthStatusHealthy
	})
	id := taskIDOf(aws.ToString(first.TaskArn))
	if _, ok := cloud.Runtime().Docker().ContainerID(id + "/app"); !ok {
		t.Fatalf("task %s does not run as a container", id)
	}

	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	stopped := waitForTask(t, client, "dockhealth", aws.ToString(first.TaskArn), "STOPPED")
	if stopped.StopCode != ecstypes.TaskStopCodeServiceSchedulerInitiated || aws.ToString(stopped.StoppedReason) != "Task failed container health checks" {
		t.Errorf("stopped with %q/%q, want ServiceSchedulerInitiated/Task failed container health checks", stopped.StopCode, aws.ToString(stopped.StoppedReason))
	}
	if stopped.HealthStatus != ecstypes.HealthStatusUnhealthy {
		t.Errorf("stopped task's health = %q, want UNHEALTHY", stopped.HealthStatus)
	}
	if _, ok := cloud.Runtime().Docker().ContainerID(id + "/app"); ok {
		t.Errorf("the stopped task's container still runs")
	}

	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	localcloudtest.Eventually(t, "a replacement to turn HEALTHY", func() bool {
		tasks := serviceTasks(t, client, "dockhealth", "svc")
		return len(tasks) == 1 && aws.ToString(tasks[0].TaskArn) != aws.ToString(first.TaskArn) && tasks[0].HealthStatus == ecstypes.HealthStatusHealthy
	})
}

// Bridge mode with dynamic host ports, as ECS runs it on EC2, with
// containers: two tasks on one instance each get a host port of the
// ephemeral range, are registered as instance targets, turn healthy and
// both answer through the ALB; the SSM SecureString their definition names
// as a secret is in their environment.
func TestDockerBridgeTasksAnswerThroughTheALBWithTheirSecret(t *testing.T) {
	cloud, image := dockerCloud(t, localcloud.Options{})
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	vpc, subnets := clusterNetwork(t, cloud, "dockbridge")
	albGroup := bridgeALBGroup(t, cloud, vpc)
	tgARN := loadBalancer(t, cloud, "dockbridge", vpc, subnets, []string{albGroup}, elbtypes.TargetTypeEnumInstance)
	if _, err := ssm.NewFromConfig(cloud.Config).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/dock/db-password"), Value: aws.String("s3cret"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	client := ecs.NewFromConfig(cloud.Config)
	app := helloContainer(image)
	app.Cpu = 256
	app.Secrets = []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/dock/db-password")}}
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("dockbridge"), NetworkMode: ecstypes.NetworkModeBridge, ContainerDefinitions: []ecstypes.ContainerDefinition{app},
		ExecutionRoleArn: aws.String(executionRole(t, cloud, "dockbridge-execution",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:us-east-1:*:parameter/dock/*"}]}`)),
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("dockbridge"), ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(2),
		LoadBalancers:                 []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(9000)}},
		HealthCheckGracePeriodSeconds: aws.Int32(120),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var targets []elbtypes.TargetDescription
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if targets = healthyTargets(t, cloud, tgARN); len(targets) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for two healthy instance targets:\n%s", serviceReport(t, cloud, "dockbridge", tgARN))
		}
	}
	ports := map[int32]bool{}
	for _, target := range targets {
		port := aws.ToInt32(target.Port)
		if !strings.HasPrefix(aws.ToString(target.Id), "i-") || port < 32768 || port > 60999 {
			t.Errorf("target %s:%d is not the instance at a dynamic host port", aws.ToString(target.Id), port)
		}
		ports[port] = true
	}
	if len(ports) != 2 {
		t.Errorf("the two tasks share host port %v", ports)
	}
	for _, task := range serviceTasks(t, client, "dockbridge", "web") {
		if _, ok := cloud.Runtime().Docker().ContainerID(taskIDOf(aws.ToString(task.TaskArn)) + "/app"); !ok {
			t.Errorf("task %s does not run as a container", aws.ToString(task.TaskArn))
		}
	}

	base := listenerURL(t, cloud)
	seen := map[string]bool{}
	for i := 0; i < 50 && len(seen) < 2; i++ {
		if body, ok := fetch(base + "/"); ok && strings.HasPrefix(body, "hello from ") {
			seen[body] = true
		}
	}
	if len(seen) != 2 {
		t.Errorf("answers through the ALB came from %v, want both tasks", seen)
	}
	if secret, ok := fetch(base + "/env/DB_PASSWORD"); !ok || secret != "s3cret" {
		t.Errorf("DB_PASSWORD in the container = %q (ok %v), want the parameter's value", secret, ok)
	}
}
