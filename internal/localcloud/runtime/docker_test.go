package runtime_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/registry"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	localec2 "github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// berthContainers lists the containers this test process's local clouds
// started (their owner label names this pid).
func berthContainers(t *testing.T, cli *client.Client) []container.Summary {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", runtime.DockerOwnerLabel))})
	if err != nil {
		t.Fatalf("ContainerList: %v", err)
	}
	prefix := fmt.Sprintf("berth local cloud pid %d ", os.Getpid())
	return slices.DeleteFunc(list, func(c container.Summary) bool { return !strings.HasPrefix(c.Labels[runtime.DockerOwnerLabel], prefix) })
}

// An image built FROM scratch is pushed to a repository CreateRepository
// made, through the Engine with GetAuthorizationToken's credentials; ECR
// describes what was pushed; a service of two awsvpc tasks runs it as
// containers (pulled back from the local ECR) behind an ALB, with the task
// definition's limits, environment and user; both answer; their output
// reaches CloudWatch Logs; and stopping them removes their containers.
func TestDockerServiceFromLocalECR(t *testing.T) {
	cli := localcloudtest.DockerEngine(t)
	localTag := localcloudtest.HelloImage(t, cli)

	// A container a crashed local cloud left behind (its owner is no
	// running process) goes when the next local cloud starts.
	leftover, err := cli.ContainerCreate(context.Background(), &container.Config{Image: localTag,
		Labels: map[string]string{runtime.DockerOwnerLabel: "berth local cloud pid 4194303 start 1", runtime.DockerTaskLabel: "gone/app"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatalf("ContainerCreate: %v", err)
	}
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), leftover.ID, container.RemoveOptions{Force: true})
	})

	cloud := localcloudtest.Start(t)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	if cloud.Runtime().Docker() == nil {
		t.Fatal("the local cloud did not find the Docker Engine the test reached")
	}
	if _, err := cli.ContainerInspect(ctx, leftover.ID); !cerrdefs.IsNotFound(err) {
		t.Errorf("the leftover container is still there (inspect: %v)", err)
	}
	registryClient := ecr.NewFromConfig(cloud.Config)
	repo, err := registryClient.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/hello")})
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	uri := aws.ToString(repo.Repository.RepositoryUri)
	host := strings.TrimPrefix(cloud.Endpoint, "http://")
	if uri != host+"/team/hello" {
		t.Fatalf("repositoryUri = %q, want %s/team/hello", uri, host)
	}
	ref := uri + ":v1"
	if err := cli.ImageTag(ctx, localTag, ref); err != nil {
		t.Fatalf("ImageTag: %v", err)
	}
	t.Cleanup(func() { // the tasks' pull tagged it again; the shared image stays
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{})
	})
	auth, err := registryClient.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	decoded, _ := base64.StdEncoding.DecodeString(aws.ToString(auth.AuthorizationData[0].AuthorizationToken))
	_, password, _ := strings.Cut(string(decoded), ":")
	pushCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pushed, err := cli.ImagePush(pushCtx, ref, image.PushOptions{RegistryAuth: registry.AuthConfig(host, password)})
	if err != nil {
		t.Fatalf("ImagePush: %v", err)
	}
	if err := runtime.ReadProgress(pushed); err != nil {
		t.Fatalf("ImagePush: %v", err)
	}
	pushed.Close()
	// The tasks must pull the image back from the local ECR.
	if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil {
		t.Fatalf("ImageRemove: %v", err)
	}

	described, err := registryClient.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/hello")})
	if err != nil || len(described.ImageDetails) != 1 || !slices.Equal(described.ImageDetails[0].ImageTags, []string{"v1"}) {
		t.Fatalf("DescribeImages: %v %+v", err, described)
	}
	digest := aws.ToString(described.ImageDetails[0].ImageDigest)
	got, err := registryClient.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("team/hello"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil || len(got.Images) != 1 || aws.ToString(got.Images[0].ImageId.ImageDigest) != digest {
		t.Fatalf("BatchGetImage: %v %+v", err, got)
	}

	tgARN, listener := helloService(t, cloud, ref)
	elbClient := elb.NewFromConfig(cloud.Config)
	localcloudtest.Eventually(t, "both targets healthy", func() bool {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil || len(out.TargetHealthDescriptions) != 2 {
			return false
		}
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy {
				return false
			}
		}
		return true
	})
	answered := map[string]bool{}
	httpClient := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 40 && len(answered) < 2; i++ {
		resp, err := httpClient.Get(listener)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(string(body), "hello from ") {
			answered[string(body)] = true
		}
	}
	if len(answered) != 2 {
		t.Fatalf("answers from %d tasks, want 2: %v", len(answered), answered)
	}

	ecsClient := ecs.NewFromConfig(cloud.Config)
	tasks, err := ecsClient.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("dock")})
	if err != nil || len(tasks.TaskArns) != 2 {
		t.Fatalf("ListTasks: %v %+v", err, tasks)
	}
	for _, arn := range tasks.TaskArns {
		id, ok := cloud.Runtime().Docker().ContainerID(arn[strings.LastIndex(arn, "/")+1:] + "/app")
		if !ok {
			t.Fatalf("task %s has no container", arn)
		}
		inspected, err := cli.ContainerInspect(ctx, id)
		if err != nil {
			t.Fatalf("ContainerInspect: %v", err)
		}
		hc := inspected.HostConfig
		if hc.Memory != 64<<20 || hc.MemoryReservation != 32<<20 || hc.NanoCPUs != 250_000_000 || hc.CPUShares != 128 {
			t.Errorf("limits: memory %d reservation %d nanocpus %d shares %d", hc.Memory, hc.MemoryReservation, hc.NanoCPUs, hc.CPUShares)
		}
		if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 1024 || hc.Ulimits[0].Hard != 2048 {
			t.Errorf("ulimits %+v", hc.Ulimits)
		}
		if inspected.Config.User != "1000:1000" || !slices.Contains(inspected.Config.Env, "GREETING=hello") || inspected.Config.Image != ref {
			t.Errorf("config: user %q env %v image %q", inspected.Config.User, inspected.Config.Env, inspected.Config.Image)
		}
	}

	logsClient := cloudwatchlogs.NewFromConfig(cloud.Config)
	localcloudtest.Eventually(t, "the tasks' output in CloudWatch Logs", func() bool {
		out, err := logsClient.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/berth/dock")})
		if err != nil {
			return false
		}
		streams := map[string]bool{}
		for _, e := range out.Events {
			if strings.HasPrefix(aws.ToString(e.Message), "listening on 0.0.0.0:8080 as ") {
				streams[aws.ToString(e.LogStreamName)] = true
			}
		}
		return len(streams) == 2
	})

	if _, err := ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("dock"), Service: aws.String("hello"), DesiredCount: aws.Int32(0)}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	var stopped *ecs.DescribeTasksOutput
	localcloudtest.Eventually(t, "the tasks STOPPED", func() bool {
		stopped, err = ecsClient.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("dock"), Tasks: tasks.TaskArns})
		return err == nil && len(stopped.Tasks) == 2 && !slices.ContainsFunc(stopped.Tasks, func(task ecstypes.Task) bool { return aws.ToString(task.LastStatus) != "STOPPED" })
	})
	// A container is removed before its end is reported.
	if left := berthContainers(t, cli); len(left) != 0 {
		t.Errorf("containers left after their tasks stopped: %+v", left)
	}
	for _, task := range stopped.Tasks {
		if aws.ToString(task.LastStatus) != "STOPPED" || task.Containers[0].ExitCode == nil || *task.Containers[0].ExitCode != 0 {
			t.Errorf("task %s: %s, exit code %v", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), task.Containers[0].ExitCode)
		}
	}
}

// helloService creates a cluster with one container instance, an ALB
// with a listener and an ip target group, and a service of two awsvpc
// tasks of image; it returns the group's ARN and the listener's URL.
func helloService(t *testing.T, cloud *localcloudtest.Cloud, imageRef string) (string, string) {
	t.Helper()
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	ec2Client := ec2.NewFromConfig(cloud.Config)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i+1)), AvailabilityZone: aws.String(zone)})
		if err != nil {
			t.Fatalf("CreateSubnet: %v", err)
		}
		subnets = append(subnets, aws.ToString(subnet.Subnet.SubnetId))
	}
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=dock >> /etc/ecs/ecs.config\n"))
	lt, err := ec2Client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("dock-lt"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(localec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT2Medium, UserData: aws.String(userData)},
	})
	if err != nil {
		t.Fatalf("CreateLaunchTemplate: %v", err)
	}
	ecsClient := ecs.NewFromConfig(cloud.Config)
	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("dock")}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	if _, err := autoscaling.NewFromConfig(cloud.Config).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("dock-asg"), MinSize: aws.Int32(1), MaxSize: aws.Int32(1),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		VPCZoneIdentifier: aws.String(subnets[0]),
	}); err != nil {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	elbClient := elb.NewFromConfig(cloud.Config)
	lb, err := elbClient.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("dock-alb"), Subnets: subnets,
		SecurityGroups: []string{cloud.ListenerGroup(t, aws.ToString(vpc.Vpc.VpcId), 80)}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	tg, err := elbClient.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("dock-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId,
		TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	tgARN := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := elbClient.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}}); err != nil {
		t.Fatalf("ModifyTargetGroupAttributes: %v", err)
	}
	if _, err := elbClient.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}},
	}); err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	if _, err := cloudwatchlogs.NewFromConfig(cloud.Config).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/berth/dock")}); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	def, err := ecsClient.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("hello"), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String(imageRef), Cpu: 128, Memory: aws.Int32(64), MemoryReservation: aws.Int32(32),
			User:         aws.String("1000:1000"),
			Environment:  []ecstypes.KeyValuePair{{Name: aws.String("GREETING"), Value: aws.String("hello")}},
			Ulimits:      []ecstypes.Ulimit{{Name: ecstypes.UlimitNameNofile, SoftLimit: 1024, HardLimit: 2048}},
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/berth/dock", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs",
			}},
		}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := ecsClient.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("dock"), ServiceName: aws.String("hello"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(2),
		LoadBalancers:                 []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
		HealthCheckGracePeriodSeconds: aws.Int32(120),
		NetworkConfiguration:          &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnets[:1]}},
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var url string
	localcloudtest.Eventually(t, "the listener to open", func() bool {
		resp, err := http.Get(cloud.Endpoint + "/_berth/listeners")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct {
			Listeners []struct {
				Address string `json:"address"`
			} `json:"listeners"`
		}
		if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Listeners) != 1 {
			return false
		}
		url = "http://" + body.Listeners[0].Address
		return true
	})
	return tgARN, url
}

// Without per-task namespaces a container is on Docker's default bridge
// with its ports published on the task's loopback address; its mount
// points are the task's host directories (read-only where asked) or
// volumes of its own; Stop sends SIGTERM, its output arrives in order, and
// the container is removed with its volume.
func TestDockerContainerOnTheSharedNetwork(t *testing.T) {
	cli := localcloudtest.DockerEngine(t)
	tag := localcloudtest.HelloImage(t, cli)
	process := runtime.NewProcess(runtime.ProcessOptions{SharedNetwork: true})
	t.Cleanup(func() { _ = process.Close(context.Background()) })
	docker, err := runtime.NewDocker(context.Background(), runtime.DockerOptions{Network: process})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close(context.Background()) })
	var addr netip.Addr
	for i := 2; i < 250 && !addr.IsValid(); i++ {
		candidate := netip.AddrFrom4([4]byte{127, 1, 201, byte(i)})
		if process.CheckAddress(candidate, []int{8080}) == nil {
			addr = candidate
		}
	}
	if !addr.IsValid() {
		t.Fatal("no free task address")
	}
	hostDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(hostDir, "greeting"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	spec := runtime.TaskSpec{ID: "shared/app", Image: tag, Address: addr.String(),
		Output: func(line runtime.OutputLine) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, line.Stream+": "+line.Text)
		},
		Container: &runtime.ContainerSpec{Image: tag, Env: map[string]string{"GREETING": "hi", "HOST": addr.String()}, Ports: []int{8080},
			Mounts: []runtime.Mount{{Source: hostDir, Target: "/data", ReadOnly: true}, {Target: "/scratch"}}},
	}
	if err := docker.Start(context.Background(), spec); err != nil {
		t.Fatalf("Start: %v", err)
	}
	id, ok := docker.ContainerID(spec.ID)
	if !ok {
		t.Fatal("no container for the task")
	}
	inspected, err := cli.ContainerInspect(context.Background(), id)
	if err != nil || len(inspected.Mounts) != 2 {
		t.Fatalf("ContainerInspect: %v, mounts %+v", err, inspected.Mounts)
	}
	var volume string
	for _, m := range inspected.Mounts {
		switch m.Destination {
		case "/data":
			if m.Source != hostDir || m.RW {
				t.Errorf("/data: %+v, want %s read-only", m, hostDir)
			}
		case "/scratch":
			volume = m.Name
		}
	}
	httpClient := &http.Client{Timeout: 2 * time.Second}
	var body string
	localcloudtest.Eventually(t, "the container to answer on its task address", func() bool {
		resp, err := httpClient.Get("http://" + addr.String() + ":8080/file")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		body = string(data)
		return resp.StatusCode == http.StatusOK
	})
	if body != "from the host" {
		t.Errorf("/file = %q", body)
	}
	// A health check's command runs inside the container: the image's one
	// program, started again there, finds its port taken and exits 1.
	if code, err := docker.Exec(context.Background(), spec.ID, []string{"/hello"}); err != nil || code != 1 {
		t.Errorf("Exec /hello = %d, %v; want exit code 1", code, err)
	}
	if code, err := docker.Exec(context.Background(), "shared/none", []string{"/hello"}); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Exec in no task = %d, %v; want ErrTaskNotFound", code, err)
	}
	if err := docker.Stop(context.Background(), spec.ID, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	ev := <-docker.Events()
	if ev.ID != spec.ID || ev.ExitCode != 0 || ev.Err != nil {
		t.Errorf("event %+v, want exit code 0", ev)
	}
	mu.Lock()
	want := []string{"stdout: listening on 0.0.0.0:8080 as " + addr.String(), "stdout: stopping on SIGTERM"}
	if !slices.Equal(lines, want) {
		t.Errorf("output %q, want %q", lines, want)
	}
	mu.Unlock()
	if _, err := cli.ContainerInspect(context.Background(), id); !cerrdefs.IsNotFound(err) {
		t.Errorf("the container is still there: %v", err)
	}
	if _, err := cli.VolumeInspect(context.Background(), volume); volume == "" || !cerrdefs.IsNotFound(err) {
		t.Errorf("the container's volume %q is still there: %v", volume, err)
	}
}
