package ecs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

func (f *fixture) registerInstance(t *testing.T, ec2ID string) *ecs.ContainerInstance {
	t.Helper()
	ci, err := f.backend.RegisterContainerInstance(f.ctx, ecs.RegisterInstanceInput{
		Cluster: "web", EC2InstanceID: ec2ID, InstanceType: "t3.medium", AvailabilityZone: "us-east-1a",
		ImageID: "ami-0123", CPU: 2048, MemoryMiB: 3891, Attributes: map[string]string{"berth.asg-arn": asgARN, "team": "a"},
	})
	if err != nil {
		t.Fatalf("RegisterContainerInstance: %v", err)
	}
	return ci
}

func TestRegisterContainerInstance(t *testing.T) {
	f := start(t)
	f.stack(t)
	ci := f.registerInstance(t, "i-0aaa")
	if again := f.registerInstance(t, "i-0aaa"); again.ContainerInstanceArn != ci.ContainerInstanceArn {
		t.Errorf("registering the same EC2 instance twice made a second container instance")
	}
	_, err := f.backend.RegisterContainerInstance(f.ctx, ecs.RegisterInstanceInput{Cluster: "nope", EC2InstanceID: "i-0bbb"})
	localcloudtest.WantCode(t, err, "ClusterNotFoundException")

	out, err := f.client.DescribeContainerInstances(f.ctx, &awsecs.DescribeContainerInstancesInput{
		Cluster: aws.String("web"), ContainerInstances: []string{ci.ContainerInstanceArn, "0123456789abcdef0123456789abcdef"},
	})
	localcloudtest.WantCode(t, err, "")
	if len(out.ContainerInstances) != 1 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe: %d instances, failures %+v", len(out.ContainerInstances), out.Failures)
	}
	got := out.ContainerInstances[0]
	if aws.ToString(got.Ec2InstanceId) != "i-0aaa" || aws.ToString(got.Status) != "ACTIVE" || !got.AgentConnected || aws.ToString(got.CapacityProviderName) != "web-cp" {
		t.Errorf("instance: %s %s connected=%v provider=%s", aws.ToString(got.Ec2InstanceId), aws.ToString(got.Status), got.AgentConnected, aws.ToString(got.CapacityProviderName))
	}
	resources := map[string]types.Resource{}
	for _, r := range got.RegisteredResources {
		resources[aws.ToString(r.Name)] = r
	}
	if resources["CPU"].IntegerValue != 2048 || resources["MEMORY"].IntegerValue != 3891 || len(resources["PORTS"].StringSetValue) != 5 {
		t.Errorf("registered resources = %+v", got.RegisteredResources)
	}
	if _, ok := resources["PORTS_UDP"]; !ok {
		t.Errorf("PORTS_UDP missing")
	}
	attrs := map[string]string{}
	for _, a := range got.Attributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	for name, want := range map[string]string{
		"ecs.availability-zone": "us-east-1a", "ecs.instance-type": "t3.medium", "ecs.os-type": "linux",
		"ecs.cpu-architecture": "x86_64", "ecs.ami-id": "ami-0123", "team": "a",
	} {
		if attrs[name] != want {
			t.Errorf("attribute %s = %q, want %q", name, attrs[name], want)
		}
	}
	if _, leaked := attrs["berth.asg-arn"]; leaked {
		t.Errorf("internal attribute published")
	}

	clusters, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{Clusters: []string{"web"}})
	localcloudtest.WantCode(t, err, "")
	if clusters.Clusters[0].RegisteredContainerInstancesCount != 1 {
		t.Errorf("registeredContainerInstancesCount = %d", clusters.Clusters[0].RegisteredContainerInstancesCount)
	}
	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "ClusterContainsContainerInstancesException")

	drained, err := f.client.UpdateContainerInstancesState(f.ctx, &awsecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("web"), ContainerInstances: []string{ci.ContainerInstanceArn}, Status: types.ContainerInstanceStatusDraining,
	})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(drained.ContainerInstances[0].Status) != "DRAINING" {
		t.Errorf("status after drain = %s", aws.ToString(drained.ContainerInstances[0].Status))
	}
	list, err := f.client.ListContainerInstances(f.ctx, &awsecs.ListContainerInstancesInput{Cluster: aws.String("web"), Status: types.ContainerInstanceStatusActive})
	localcloudtest.WantCode(t, err, "")
	if len(list.ContainerInstanceArns) != 0 {
		t.Errorf("ACTIVE filter listed a DRAINING instance")
	}
	list, err = f.client.ListContainerInstances(f.ctx, &awsecs.ListContainerInstancesInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(list.ContainerInstanceArns) != 1 {
		t.Errorf("unfiltered list = %v", list.ContainerInstanceArns)
	}

	dereg, err := f.client.DeregisterContainerInstance(f.ctx, &awsecs.DeregisterContainerInstanceInput{Cluster: aws.String("web"), ContainerInstance: aws.String(ci.ContainerInstanceArn)})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(dereg.ContainerInstance.Status) != "INACTIVE" {
		t.Errorf("status after deregistration = %s", aws.ToString(dereg.ContainerInstance.Status))
	}
	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
}

func TestRunAndStopTask(t *testing.T) {
	f := start(t)
	f.stack(t)
	network := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}

	out, err := f.client.RunTask(f.ctx, &awsecs.RunTaskInput{
		Cluster: aws.String("web"), TaskDefinition: aws.String("app"), Count: aws.Int32(2), StartedBy: aws.String("me"),
		NetworkConfiguration: network,
	})
	localcloudtest.WantCode(t, err, "")
	if len(out.Tasks) != 2 || out.Failures == nil || len(out.Failures) != 0 {
		t.Fatalf("run: %d tasks, failures %v", len(out.Tasks), out.Failures)
	}
	task := out.Tasks[0]
	if aws.ToString(task.LastStatus) != "PROVISIONING" || aws.ToString(task.DesiredStatus) != "RUNNING" || aws.ToString(task.Group) != "family:app" ||
		aws.ToString(task.StartedBy) != "me" || aws.ToString(task.CapacityProviderName) != "web-cp" || task.LaunchType != types.LaunchTypeEc2 {
		t.Errorf("task: %s/%s group %s startedBy %s provider %s launch %s", aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus),
			aws.ToString(task.Group), aws.ToString(task.StartedBy), aws.ToString(task.CapacityProviderName), task.LaunchType)
	}
	if len(task.Containers) != 1 || aws.ToString(task.Containers[0].Name) != "app" || aws.ToString(task.Containers[0].LastStatus) != "PENDING" {
		t.Errorf("containers = %+v", task.Containers)
	}

	tests := []struct {
		name string
		in   *awsecs.RunTaskInput
		code string
	}{
		{"unknown cluster", &awsecs.RunTaskInput{Cluster: aws.String("nope"), TaskDefinition: aws.String("app")}, "ClusterNotFoundException"},
		{"unknown definition", &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("nope")}, "ClientException"},
		{"awsvpc without network", &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("app")}, "InvalidParameterException"},
		{"count above 10", &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("app"), Count: aws.Int32(11), NetworkConfiguration: network}, "InvalidParameterException"},
		{"override of an unknown container", &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("app"), NetworkConfiguration: network,
			Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("db")}}}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.RunTask(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	// An EC2 launch with no instances fails the way ECS reports it.
	noCapacity, err := f.client.RunTask(f.ctx, &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("app"), LaunchType: types.LaunchTypeEc2, NetworkConfiguration: network})
	localcloudtest.WantCode(t, err, "")
	if len(noCapacity.Tasks) != 0 || len(noCapacity.Failures) != 1 {
		t.Errorf("EC2 launch without instances: %d tasks, failures %+v", len(noCapacity.Tasks), noCapacity.Failures)
	}

	stopped, err := f.client.StopTask(f.ctx, &awsecs.StopTaskInput{Cluster: aws.String("web"), Task: task.TaskArn})
	localcloudtest.WantCode(t, err, "")
	st := stopped.Task
	if aws.ToString(st.DesiredStatus) != "STOPPED" || st.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(st.StoppedReason) != "Task stopped by user" || st.StoppingAt == nil {
		t.Errorf("stopped: desired %s code %s reason %q stoppingAt %v", aws.ToString(st.DesiredStatus), st.StopCode, aws.ToString(st.StoppedReason), st.StoppingAt)
	}
	if aws.ToString(st.LastStatus) != "STOPPED" || st.StoppedAt == nil {
		t.Errorf("a never placed task did not stop at once: %s", aws.ToString(st.LastStatus))
	}
	_, err = f.client.StopTask(f.ctx, &awsecs.StopTaskInput{Cluster: aws.String("web"), Task: aws.String("0123456789abcdef0123456789abcdef")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	other := out.Tasks[1]
	reasoned, err := f.client.StopTask(f.ctx, &awsecs.StopTaskInput{Cluster: aws.String("web"), Task: other.TaskArn, Reason: aws.String("deploy")})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(reasoned.Task.StoppedReason) != "deploy" {
		t.Errorf("stoppedReason = %q", aws.ToString(reasoned.Task.StoppedReason))
	}

	described, err := f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{aws.ToString(task.TaskArn), "ffffffffffffffffffffffffffffffff"}})
	localcloudtest.WantCode(t, err, "")
	if len(described.Tasks) != 1 || len(described.Failures) != 1 || aws.ToString(described.Failures[0].Reason) != "MISSING" {
		t.Errorf("describe: %d tasks, failures %+v", len(described.Tasks), described.Failures)
	}
	running, err := f.client.ListTasks(f.ctx, &awsecs.ListTasksInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	stoppedList, err := f.client.ListTasks(f.ctx, &awsecs.ListTasksInput{Cluster: aws.String("web"), DesiredStatus: types.DesiredStatusStopped, Family: aws.String("app"), StartedBy: aws.String("me")})
	localcloudtest.WantCode(t, err, "")
	if len(running.TaskArns) != 0 || len(stoppedList.TaskArns) != 2 {
		t.Errorf("running %v, stopped %v", running.TaskArns, stoppedList.TaskArns)
	}
}

func TestStateAPI(t *testing.T) {
	f := start(t)
	f.stack(t)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	ci := f.registerInstance(t, "i-0aaa")

	var taskARN string
	err := f.backend.Update(ctx, func(s *ecs.State) error {
		cluster, err := s.Cluster("web")
		if err != nil {
			return err
		}
		def, err := s.TaskDefinition("app")
		if err != nil {
			return err
		}
		task := s.NewTask(cluster, def, "ecs-svc/1234567890123456789", "service:api")
		task.ContainerInstanceArn = ci.ContainerInstanceArn
		task.LastStatus = "RUNNING"
		taskARN = task.TaskArn
		return s.PutTask(task)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	out, err := f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{taskARN}})
	localcloudtest.WantCode(t, err, "")
	if len(out.Tasks) != 1 || aws.ToString(out.Tasks[0].LastStatus) != "RUNNING" || aws.ToString(out.Tasks[0].ContainerInstanceArn) != ci.ContainerInstanceArn {
		t.Fatalf("the scheduler's task is not described: %+v", out.Tasks)
	}
	clusters, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{Clusters: []string{"web"}})
	localcloudtest.WantCode(t, err, "")
	if clusters.Clusters[0].RunningTasksCount != 1 {
		t.Errorf("runningTasksCount = %d", clusters.Clusters[0].RunningTasksCount)
	}
	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "ClusterContainsContainerInstancesException")
	_, err = f.client.DeregisterContainerInstance(f.ctx, &awsecs.DeregisterContainerInstanceInput{Cluster: aws.String("web"), ContainerInstance: aws.String(ci.ContainerInstanceArn)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	// A failing transaction writes nothing.
	errBoom := context.Canceled
	err = f.backend.Update(ctx, func(s *ecs.State) error {
		task, err := s.Task("web", taskARN)
		if err != nil {
			return err
		}
		task.LastStatus = "STOPPED"
		if err := s.PutTask(task); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("Update returned %v", err)
	}

	// Events are newest first and capped.
	err = f.backend.Update(ctx, func(s *ecs.State) error {
		svc := &ecs.Service{ServiceArn: "arn:aws:ecs:us-east-1:000000000000:service/web/api", ServiceName: "api", ClusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/web", Status: "ACTIVE"}
		for i := range 120 {
			s.AddServiceEvent(svc, "event "+strconv.Itoa(i))
		}
		if len(svc.Events) != 100 || svc.Events[0].Message != "event 119" {
			t.Errorf("events: %d, newest %q", len(svc.Events), svc.Events[0].Message)
		}
		return s.PutService(svc)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	_ = f.backend.View(ctx, func(s *ecs.State) error {
		task, err := s.Task("arn:aws:ecs:us-east-1:000000000000:cluster/web", taskARN)
		if err != nil || task == nil || task.LastStatus != "RUNNING" {
			t.Errorf("an aborted transaction changed the task: %+v, %v", task, err)
		}
		services, err := s.Services("arn:aws:ecs:us-east-1:000000000000:cluster/web")
		if err != nil || len(services) != 1 {
			t.Errorf("Services = %v, %v", services, err)
		}
		return nil
	})
}

func TestStoppedTasksExpire(t *testing.T) {
	f := start(t)
	f.stack(t)
	now := time.Now()
	f.backend.SetClock(func() time.Time { return now })
	network := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
	out, err := f.client.RunTask(f.ctx, &awsecs.RunTaskInput{Cluster: aws.String("web"), TaskDefinition: aws.String("app"), NetworkConfiguration: network})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.StopTask(f.ctx, &awsecs.StopTaskInput{Cluster: aws.String("web"), Task: out.Tasks[0].TaskArn})
	localcloudtest.WantCode(t, err, "")

	now = now.Add(59 * time.Minute)
	described, err := f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{aws.ToString(out.Tasks[0].TaskArn)}})
	localcloudtest.WantCode(t, err, "")
	if len(described.Tasks) != 1 {
		t.Errorf("a task stopped 59 minutes ago is gone")
	}
	now = now.Add(2 * time.Minute)
	described, err = f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{aws.ToString(out.Tasks[0].TaskArn)}})
	localcloudtest.WantCode(t, err, "")
	if len(described.Tasks) != 0 || len(described.Failures) != 1 {
		t.Errorf("a task stopped 61 minutes ago is still visible")
	}
	// The next write forgets it for good.
	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
}

func TestNewTaskOfAService(t *testing.T) {
	f := start(t)
	f.stack(t)
	in := serviceInput("api")
	in.PropagateTags = types.PropagateTagsService
	in.EnableECSManagedTags = true
	_, err := f.client.CreateService(f.ctx, in)
	localcloudtest.WantCode(t, err, "")

	var taskARN string
	err = f.backend.Update(f.ctx, func(s *ecs.State) error {
		cluster, err := s.Cluster("web")
		if err != nil {
			return err
		}
		def, err := s.TaskDefinition("app:1")
		if err != nil {
			return err
		}
		task := s.NewTask(cluster, def, "ecs-svc/1234567890123456789", "service:api")
		taskARN = task.TaskArn
		return s.PutTask(task)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	out, err := f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("web"), Tasks: []string{taskARN}, Include: []types.TaskField{types.TaskFieldTags}})
	localcloudtest.WantCode(t, err, "")
	task := out.Tasks[0]
	tags := map[string]string{}
	for _, tag := range task.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if tags["app"] != "web" || tags["aws:ecs:serviceName"] != "api" || tags["aws:ecs:clusterName"] != "web" {
		t.Errorf("tags = %v, want the service's and ECS managed ones", tags)
	}
	if aws.ToString(task.CapacityProviderName) != "web-cp" || aws.ToString(task.Group) != "service:api" || aws.ToString(task.StartedBy) != "ecs-svc/1234567890123456789" {
		t.Errorf("task: provider %s group %s startedBy %s", aws.ToString(task.CapacityProviderName), aws.ToString(task.Group), aws.ToString(task.StartedBy))
	}
	listed, err := f.client.ListTasks(f.ctx, &awsecs.ListTasksInput{Cluster: aws.String("web"), ServiceName: aws.String("api")})
	localcloudtest.WantCode(t, err, "")
	if len(listed.TaskArns) != 1 {
		t.Errorf("ListTasks by service = %v", listed.TaskArns)
	}
}
