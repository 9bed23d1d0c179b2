package ecs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// agentFixture is a local cloud with its data plane, a cluster without
// capacity providers and a task definition of a sleeping process: what an
// ECS agent registering itself and StartTask need.
type agentFixture struct {
	cloud  *localcloudtest.Cloud
	client *awsecs.Client
	ctx    context.Context
}

func startAgents(t *testing.T) *agentFixture {
	t.Helper()
	cloud := localcloudtest.Start(t)
	if err := cloud.PutImage(runtime.ProcessImage{Name: "sleeper:latest", Dir: t.TempDir(), Command: []string{"/bin/sleep", "600"}}); err != nil {
		t.Fatal(err)
	}
	f := &agentFixture{cloud: cloud, client: awsecs.NewFromConfig(cloud.Config, func(o *awsecs.Options) { o.RetryMaxAttempts = 1 }), ctx: context.Background()}
	_, err := f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("agents")})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.RegisterTaskDefinition(f.ctx, &awsecs.RegisterTaskDefinitionInput{
		Family:      aws.String("sleeper"),
		NetworkMode: types.NetworkModeHost,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("sleeper"), Image: aws.String("sleeper:latest"), Cpu: 256, Memory: aws.Int32(256),
		}},
	})
	localcloudtest.WantCode(t, err, "")
	return f
}

func identityDocument(t *testing.T, instanceID, instanceType string) string {
	t.Helper()
	doc, err := json.Marshal(map[string]string{
		"instanceId": instanceID, "instanceType": instanceType, "availabilityZone": "us-east-1b",
		"imageId": "ami-0abc", "region": "us-east-1", "accountId": "000000000000",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

func (f *agentFixture) registerAgent(t *testing.T, instanceID string, cpu, memory int32) *types.ContainerInstance {
	t.Helper()
	out, err := f.client.RegisterContainerInstance(f.ctx, &awsecs.RegisterContainerInstanceInput{
		Cluster:                           aws.String("agents"),
		InstanceIdentityDocument:          aws.String(identityDocument(t, instanceID, "t3.medium")),
		InstanceIdentityDocumentSignature: aws.String("c2lnbmF0dXJl"),
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: cpu},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: memory},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: []string{"22", "51678"}},
		},
		VersionInfo: &types.VersionInfo{AgentVersion: aws.String("1.90.0"), AgentHash: aws.String("abc"), DockerVersion: aws.String("DockerVersion: 27.0.0")},
		Attributes:  []types.Attribute{{Name: aws.String("stack"), Value: aws.String("blue")}, {Name: aws.String("ecs.capability.secrets.asm.environment-variables")}},
		Tags:        []types.Tag{{Key: aws.String("owner"), Value: aws.String("agent")}},
	})
	localcloudtest.WantCode(t, err, "")
	return out.ContainerInstance
}

func TestRegisterContainerInstanceAsAnAgent(t *testing.T) {
	f := startAgents(t)
	ci := f.registerAgent(t, "i-0agent0000000001", 2048, 3000)
	attrs := map[string]*string{}
	for _, a := range ci.Attributes {
		attrs[aws.ToString(a.Name)] = a.Value
	}
	switch {
	case aws.ToString(ci.Ec2InstanceId) != "i-0agent0000000001":
		t.Errorf("ec2InstanceId = %q", aws.ToString(ci.Ec2InstanceId))
	case aws.ToString(ci.Status) != "ACTIVE" || !ci.AgentConnected:
		t.Errorf("status %s connected %v", aws.ToString(ci.Status), ci.AgentConnected)
	case aws.ToString(ci.VersionInfo.AgentVersion) != "1.90.0":
		t.Errorf("versionInfo = %+v", ci.VersionInfo)
	case aws.ToString(attrs["stack"]) != "blue" || aws.ToString(attrs["ecs.instance-type"]) != "t3.medium" || aws.ToString(attrs["ecs.availability-zone"]) != "us-east-1b":
		t.Errorf("attributes = %v", attrs)
	case len(ci.Tags) != 1 || aws.ToString(ci.Tags[0].Key) != "owner":
		t.Errorf("tags = %+v", ci.Tags)
	}
	if v, ok := attrs["ecs.capability.secrets.asm.environment-variables"]; !ok || v != nil {
		t.Errorf("a capability the agent reported is missing or has a value: %v", v)
	}
	resources := map[string]types.Resource{}
	for _, r := range ci.RegisteredResources {
		resources[aws.ToString(r.Name)] = r
	}
	if resources["CPU"].IntegerValue != 2048 || resources["MEMORY"].IntegerValue != 3000 || len(resources["PORTS"].StringSetValue) != 2 {
		t.Errorf("registered resources = %+v", ci.RegisteredResources)
	}
	if _, ok := resources["PORTS_UDP"]; !ok {
		t.Errorf("PORTS_UDP was not filled in")
	}

	// The agent reconnecting (same instance, new resources) keeps its
	// container instance.
	again := f.registerAgent(t, "i-0agent0000000001", 4096, 3000)
	if aws.ToString(again.ContainerInstanceArn) != aws.ToString(ci.ContainerInstanceArn) {
		t.Errorf("re-registration made a second container instance")
	}
	for _, tc := range []struct {
		name string
		in   *awsecs.RegisterContainerInstanceInput
		code string
	}{
		{"unknown cluster", &awsecs.RegisterContainerInstanceInput{Cluster: aws.String("nope"), InstanceIdentityDocument: aws.String(identityDocument(t, "i-1", "t3.micro"))}, "ClusterNotFoundException"},
		{"document not JSON", &awsecs.RegisterContainerInstanceInput{Cluster: aws.String("agents"), InstanceIdentityDocument: aws.String("{")}, "InvalidParameterException"},
		{"unknown container instance", &awsecs.RegisterContainerInstanceInput{Cluster: aws.String("agents"), ContainerInstanceArn: aws.String("0123456789abcdef0123456789abcdef")}, "InvalidParameterException"},
		{"bad attribute", &awsecs.RegisterContainerInstanceInput{Cluster: aws.String("agents"), Attributes: []types.Attribute{{Name: aws.String("has space")}}}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.RegisterContainerInstance(f.ctx, tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}

	// Deregistering without force refuses while a task runs there.
	started, err := f.client.StartTask(f.ctx, &awsecs.StartTaskInput{
		Cluster: aws.String("agents"), TaskDefinition: aws.String("sleeper"), ContainerInstances: []string{aws.ToString(ci.ContainerInstanceArn)},
	})
	localcloudtest.WantCode(t, err, "")
	if len(started.Tasks) != 1 {
		t.Fatalf("StartTask: %+v", started.Failures)
	}
	running := awsecs.NewTasksRunningWaiter(f.client, func(o *awsecs.TasksRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := running.Wait(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("agents"), Tasks: []string{aws.ToString(started.Tasks[0].TaskArn)}}, 2*time.Minute); err != nil {
		t.Fatalf("StartTask's task never ran: %v", err)
	}
	// The data plane ran passes to start it and left the instance alone,
	// although EC2 never launched the instance the agent named.
	described, err := f.client.DescribeContainerInstances(f.ctx, &awsecs.DescribeContainerInstancesInput{
		Cluster: aws.String("agents"), ContainerInstances: []string{aws.ToString(ci.ContainerInstanceArn)},
	})
	localcloudtest.WantCode(t, err, "")
	if got := described.ContainerInstances[0]; aws.ToString(got.Status) != "ACTIVE" || got.RunningTasksCount != 1 {
		t.Errorf("the agent's instance is %s with %d running tasks", aws.ToString(got.Status), got.RunningTasksCount)
	}
	_, err = f.client.DeregisterContainerInstance(f.ctx, &awsecs.DeregisterContainerInstanceInput{Cluster: aws.String("agents"), ContainerInstance: ci.ContainerInstanceArn})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	dereg, err := f.client.DeregisterContainerInstance(f.ctx, &awsecs.DeregisterContainerInstanceInput{Cluster: aws.String("agents"), ContainerInstance: ci.ContainerInstanceArn, Force: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(dereg.ContainerInstance.Status) != "INACTIVE" {
		t.Errorf("forced deregistration left it %s", aws.ToString(dereg.ContainerInstance.Status))
	}
	stopped := awsecs.NewTasksStoppedWaiter(f.client, func(o *awsecs.TasksStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := stopped.Wait(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("agents"), Tasks: []string{aws.ToString(started.Tasks[0].TaskArn)}}, 2*time.Minute); err != nil {
		t.Errorf("the task on the deregistered instance did not stop: %v", err)
	}
}

func TestStartTaskRunsOnTheNamedInstance(t *testing.T) {
	f := startAgents(t)
	small := f.registerAgent(t, "i-0agent0000000002", 256, 300)
	big := f.registerAgent(t, "i-0agent0000000003", 4096, 8000)

	out, err := f.client.StartTask(f.ctx, &awsecs.StartTaskInput{
		Cluster: aws.String("agents"), TaskDefinition: aws.String("sleeper"), StartedBy: aws.String("agent-test"),
		ContainerInstances: []string{aws.ToString(big.ContainerInstanceArn), aws.ToString(small.ContainerInstanceArn)},
		Tags:               []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	localcloudtest.WantCode(t, err, "")
	if len(out.Tasks) != 2 || len(out.Failures) != 0 {
		t.Fatalf("StartTask: %d tasks, failures %+v", len(out.Tasks), out.Failures)
	}
	// A second task no longer fits on the small instance.
	full, err := f.client.StartTask(f.ctx, &awsecs.StartTaskInput{
		Cluster: aws.String("agents"), TaskDefinition: aws.String("sleeper"),
		ContainerInstances: []string{aws.ToString(small.ContainerInstanceArn), "0123456789abcdef0123456789abcdef"},
	})
	localcloudtest.WantCode(t, err, "")
	reasons := map[string]bool{}
	for _, fl := range full.Failures {
		reasons[aws.ToString(fl.Reason)] = true
	}
	// The remaining resources are the data plane's count, so the small
	// instance is full only once it has counted the first task.
	if len(full.Tasks) != 0 && len(full.Tasks) != 1 || !reasons["MISSING"] {
		t.Errorf("StartTask on a full and a missing instance: %d tasks, failures %+v", len(full.Tasks), full.Failures)
	}
	var arns []string
	for _, task := range out.Tasks {
		arns = append(arns, aws.ToString(task.TaskArn))
	}
	running := awsecs.NewTasksRunningWaiter(f.client, func(o *awsecs.TasksRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := running.Wait(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("agents"), Tasks: arns}, 2*time.Minute); err != nil {
		t.Fatalf("StartTask's tasks never ran: %v", err)
	}
	desc, err := f.client.DescribeTasks(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("agents"), Tasks: arns, Include: []types.TaskField{types.TaskFieldTags}})
	localcloudtest.WantCode(t, err, "")
	for i, task := range desc.Tasks {
		want := out.Tasks[i].ContainerInstanceArn
		if aws.ToString(task.ContainerInstanceArn) != aws.ToString(want) {
			t.Errorf("task %d runs on %s, not the instance named", i, aws.ToString(task.ContainerInstanceArn))
		}
		if aws.ToString(task.StartedBy) != "agent-test" || task.LaunchType != types.LaunchTypeEc2 || len(task.Tags) != 1 {
			t.Errorf("task %d: startedBy %q launchType %s tags %+v", i, aws.ToString(task.StartedBy), task.LaunchType, task.Tags)
		}
		if _, ok := f.cloud.TaskPID(aws.ToString(task.TaskArn)); !ok {
			t.Errorf("task %d has no process", i)
		}
	}
	list, err := f.client.ListTasks(f.ctx, &awsecs.ListTasksInput{Cluster: aws.String("agents"), ContainerInstance: big.ContainerInstanceArn})
	localcloudtest.WantCode(t, err, "")
	if len(list.TaskArns) != 1 {
		t.Errorf("ListTasks on the big instance: %v", list.TaskArns)
	}

	for _, tc := range []struct {
		name string
		in   *awsecs.StartTaskInput
		code string
	}{
		{"unknown cluster", &awsecs.StartTaskInput{Cluster: aws.String("nope"), TaskDefinition: aws.String("sleeper"), ContainerInstances: []string{"x"}}, "ClusterNotFoundException"},
		{"unknown task definition", &awsecs.StartTaskInput{Cluster: aws.String("agents"), TaskDefinition: aws.String("nope"), ContainerInstances: []string{"x"}}, "ClientException"},
		{"eleven instances", &awsecs.StartTaskInput{Cluster: aws.String("agents"), TaskDefinition: aws.String("sleeper"), ContainerInstances: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.StartTask(f.ctx, tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
}
