package controller_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	localec2 "github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// capacity creates an Auto Scaling group of t2.medium instances that join
// cluster, and waits until one has registered as a container instance.
func capacity(t *testing.T, cloud *localcloudtest.Cloud, cluster string) {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	ec2Client := ec2.NewFromConfig(cloud.Config)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		t.Fatalf("CreateSubnet: %v", err)
	}
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n"))
	lt, err := ec2Client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(cluster + "-lt"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(localec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT2Medium, UserData: aws.String(userData)},
	})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	if _, err := ecs.NewFromConfig(cloud.Config).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	_, err = autoscaling.NewFromConfig(cloud.Config).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(cluster + "-asg"),
		MinSize:              aws.Int32(1), MaxSize: aws.Int32(1),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		VPCZoneIdentifier: subnet.Subnet.SubnetId,
	})
	if err != nil {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	localcloudtest.Eventually(t, "a container instance", func() bool {
		out, err := ecs.NewFromConfig(cloud.Config).ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
		return err == nil && len(out.ContainerInstanceArns) == 1
	})
}

// An image nobody registered stops the task the way a failed pull does,
// with a reason that says how to register it.
func TestUnknownImageStopsWithCannotPullContainerError(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "pulls")
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	defARN := registerTaskDefinition(t, client, "ghost", "registry.example/ghost:1")
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("pulls"), TaskDefinition: aws.String(defARN)})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	task := waitForTask(t, client, "pulls", aws.ToString(run.Tasks[0].TaskArn), "STOPPED")
	if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart {
		t.Errorf("stopCode = %q, want TaskFailedToStart", task.StopCode)
	}
	reason := aws.ToString(task.StoppedReason)
	for _, want := range []string{"CannotPullContainerError", "registry.example/ghost:1", "berth local image add"} {
		if !strings.Contains(reason, want) {
			t.Errorf("stoppedReason %q lacks %q", reason, want)
		}
	}
}

// A registered process image runs: the task reaches RUNNING with its own
// address, and StopTask stops it with the user's reason.
func TestProcessImageRunsAndStops(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "runs")
	if err := cloud.PutImage(runtime.ProcessImage{Name: "sleeper", Dir: t.TempDir(), Command: []string{"/bin/sh", "-c", "echo started on $HOST; exec sleep 300"}}); err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("sleeper"),
		NetworkMode:          ecstypes.NetworkModeAwsvpc,
		Cpu:                  aws.String("256"),
		Memory:               aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("sleeper")}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String("runs"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-any"}}},
	})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	task := waitForTask(t, client, "runs", arn, "RUNNING")
	ip := ""
	for _, d := range task.Attachments[0].Details {
		if aws.ToString(d.Name) == "privateIPv4Address" {
			ip = aws.ToString(d.Value)
		}
	}
	if addr, err := netip.ParseAddr(ip); err != nil || !(runtime.NamespacePool.Contains(addr) || runtime.LoopbackPool.Contains(addr)) {
		t.Errorf("task address = %q, want one of its own (in %s or %s)", ip, runtime.NamespacePool, runtime.LoopbackPool)
	}
	if _, err := client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("runs"), Task: aws.String(arn), Reason: aws.String("enough")}); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	task = waitForTask(t, client, "runs", arn, "STOPPED")
	if aws.ToString(task.StoppedReason) != "enough" || task.StopCode != ecstypes.TaskStopCodeUserInitiated {
		t.Errorf("stopped with %q/%q, want UserInitiated/enough", task.StopCode, aws.ToString(task.StoppedReason))
	}
}

// sleeperImage registers the process image "sleeper": a task that runs
// until it is stopped.
func sleeperImage(t *testing.T, cloud *localcloudtest.Cloud) {
	t.Helper()
	if err := cloud.PutImage(runtime.ProcessImage{Name: "sleeper", Dir: t.TempDir(), Command: []string{"/bin/sh", "-c", "exec sleep 300"}}); err != nil {
		t.Fatal(err)
	}
}

// registerTaskDefinition registers a one-container task definition of image
// and returns its ARN.
func registerTaskDefinition(t *testing.T, client *ecs.Client, family, image string) string {
	t.Helper()
	def, err := client.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(family),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(image), Memory: aws.Int32(128)}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(def.TaskDefinition.TaskDefinitionArn)
}

func waitForTask(t *testing.T, client *ecs.Client, cluster, arn, status string) ecstypes.Task {
	t.Helper()
	var task ecstypes.Task
	localcloudtest.Eventually(t, "task "+status, func() bool {
		out, err := client.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
		if err != nil || len(out.Tasks) != 1 {
			return false
		}
		task = out.Tasks[0]
		return aws.ToString(task.LastStatus) == status
	})
	return task
}

// After POST /_berth/reset the state is empty, and the data plane follows:
// the processes of the forgotten tasks are stopped.
func TestResetStopsTheProcessesOfForgottenTasks(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "resets")
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	defARN := registerTaskDefinition(t, client, "sleeper", "sleeper")
	run, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("resets"), TaskDefinition: aws.String(defARN)})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	waitForTask(t, client, "resets", arn, "RUNNING")
	pid, ok := cloud.TaskPID(arn)
	if !ok {
		t.Fatal("no process for the running task")
	}
	resp, err := http.Post(cloud.Endpoint+"/_berth/reset", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %v %v", err, resp)
	}
	resp.Body.Close()
	localcloudtest.Eventually(t, "the task's process to end", func() bool {
		return syscall.Kill(pid, 0) != nil
	})
}

// A deployment whose tasks keep failing trips the circuit breaker, which
// rolls the service back to the task definition that worked.
func TestCircuitBreakerRollsBack(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "breaker")
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	good, broken := registerTaskDefinition(t, client, "breaker", "sleeper"), registerTaskDefinition(t, client, "breaker", "not-registered:1")
	_, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("breaker"), ServiceName: aws.String("svc"), TaskDefinition: aws.String(good), DesiredCount: aws.Int32(1),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	steady := func(taskDefinition string) func() bool {
		return func() bool {
			out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("breaker"), Services: []string{"svc"}})
			if err != nil || len(out.Services) != 1 {
				return false
			}
			d := out.Services[0].Deployments
			return len(d) == 1 && aws.ToString(d[0].TaskDefinition) == taskDefinition && d[0].RolloutState == ecstypes.DeploymentRolloutStateCompleted && d[0].RunningCount == 1
		}
	}
	localcloudtest.Eventually(t, "the first deployment to complete", steady(good))
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("breaker"), Service: aws.String("svc"), TaskDefinition: aws.String(broken)}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	localcloudtest.Eventually(t, "the rollback to the working task definition", steady(good))
	out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("breaker"), Services: []string{"svc"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range out.Services[0].Events {
		found = found || strings.Contains(aws.ToString(e.Message), "circuit breaker") || strings.Contains(aws.ToString(e.Message), "deployment failed")
	}
	if !found {
		t.Error("no service event tells that the deployment failed")
	}
}

// A local cloud started again on the same state finds its tasks' processes
// gone: it stops those tasks, and the scheduler replaces them.
func TestRestartReplacesTasksWhoseProcessesAreGone(t *testing.T) {
	dir := t.TempDir()
	first := localcloudtest.StartInDir(t, dir)
	capacity(t, first, "restarts")
	sleeperImage(t, first)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	client := ecs.NewFromConfig(first.Config)
	defARN := registerTaskDefinition(t, client, "sleeper", "sleeper")
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("restarts"), ServiceName: aws.String("svc"), TaskDefinition: aws.String(defARN), DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	running := func(client *ecs.Client) []string {
		list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("restarts"), DesiredStatus: ecstypes.DesiredStatusRunning})
		if err != nil || len(list.TaskArns) == 0 {
			return nil
		}
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("restarts"), Tasks: list.TaskArns})
		if err != nil {
			return nil
		}
		var arns []string
		for _, task := range out.Tasks {
			if aws.ToString(task.LastStatus) == "RUNNING" {
				arns = append(arns, aws.ToString(task.TaskArn))
			}
		}
		return arns
	}
	var before []string
	localcloudtest.Eventually(t, "the service's task to run", func() bool { before = running(client); return len(before) == 1 })
	first.Stop()

	second := localcloudtest.StartInDir(t, dir)
	client = ecs.NewFromConfig(second.Config)
	localcloudtest.Eventually(t, "a replacement task after the restart", func() bool {
		after := running(client)
		return len(after) == 1 && after[0] != before[0]
	})
	old := waitForTask(t, client, "restarts", before[0], "STOPPED")
	if !strings.Contains(aws.ToString(old.StoppedReason), "restarted") {
		t.Errorf("the lost task stopped with %q, want a reason that names the restart", aws.ToString(old.StoppedReason))
	}
}
