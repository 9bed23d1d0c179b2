package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// wildcardApp is what most container images do: listen on 0.0.0.0. Before
// that it records what a task can see: the HOST its shell expanded from
// "${HOST:-0.0.0.0}", the shell's own pid ("$$"), and the local cloud's
// health and task metadata fetched through AWS_ENDPOINT_URL and
// ECS_CONTAINER_METADATA_URI_V4; it serves them as /id, /health and /meta.
const wildcardApp = `
import http.server, os, sys, urllib.request
host, shell_pid = sys.argv[1], sys.argv[2]
root = os.path.join(os.getcwd(), "task-" + shell_pid)
os.makedirs(root, exist_ok=True)
os.chdir(root)
def fetch(url):
    return urllib.request.urlopen(url, timeout=10).read()
with open("id", "w") as f:
    f.write(host + " " + shell_pid)
with open("health", "wb") as f:
    f.write(fetch(os.environ["AWS_ENDPOINT_URL"] + "/_berth/health"))
with open("meta", "wb") as f:
    f.write(fetch(os.environ["ECS_CONTAINER_METADATA_URI_V4"] + "/task"))
http.server.ThreadingHTTPServer(("0.0.0.0", 9000), http.server.SimpleHTTPRequestHandler).serve_forever()
`

// wildcardImage registers "wildcard": an sh -c image, as a user writes one
// for uvicorn, that runs wildcardApp.
func wildcardImage(t *testing.T, cloud *localcloudtest.Cloud) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(wildcardApp), 0o644); err != nil {
		t.Fatal(err)
	}
	img := runtime.ProcessImage{Name: "wildcard", Dir: dir,
		Command: []string{"/bin/sh", "-c", `exec python3 app.py "${HOST:-0.0.0.0}" "$$"`}}
	if err := cloud.PutImage(img); err != nil {
		t.Fatal(err)
	}
}

// webService creates a service of count wildcard tasks behind a new ALB
// and returns the target group's ARN.
func webService(t *testing.T, cloud *localcloudtest.Cloud, cluster string, count int32) string {
	t.Helper()
	return guardedWebService(t, cloud, cluster, count, nil)
}

// guardedWebService is webService whose ALB and tasks get the security
// groups guard makes in the service's VPC (none when guard is nil).
func guardedWebService(t *testing.T, cloud *localcloudtest.Cloud, cluster string, count int32,
	guard func(vpcID string) (albGroups, taskGroups []string)) string {
	t.Helper()
	ctx := context.Background()
	vpc, subnetIDs := clusterNetwork(t, cloud, cluster)
	var albGroups, taskGroups []string
	if guard != nil {
		albGroups, taskGroups = guard(vpc)
	}
	tgARN := loadBalancer(t, cloud, cluster, vpc, subnetIDs, albGroups, elbtypes.TargetTypeEnumIp)
	wildcardImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(cluster), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wildcard"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(9000)}}}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(count),
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(9000)}},
		// A loaded machine may start python slowly; failing health checks
		// meanwhile must not replace the tasks this test watches.
		HealthCheckGracePeriodSeconds: aws.Int32(120),
		NetworkConfiguration:          &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnetIDs[:1], SecurityGroups: taskGroups}},
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	return tgARN
}

// clusterNetwork makes the cluster's capacity (see capacity) and returns
// its VPC and two subnets: the instance's and one in another zone.
func clusterNetwork(t *testing.T, cloud *localcloudtest.Cloud, cluster string) (vpcID string, subnetIDs []string) {
	t.Helper()
	ctx := context.Background()
	capacity(t, cloud, cluster)
	ec2Client := ec2.NewFromConfig(cloud.Config)
	// The subnet capacity made, not one of the default VPC's.
	subnets, err := ec2Client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"false"}}}})
	if err != nil || len(subnets.Subnets) == 0 {
		t.Fatalf("DescribeSubnets: %v %+v", err, subnets)
	}
	vpc := subnets.Subnets[0].VpcId
	second, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc, CidrBlock: aws.String("10.0.2.0/24"), AvailabilityZone: aws.String("us-east-1b")})
	if err != nil {
		t.Fatalf("CreateSubnet: %v", err)
	}
	return aws.ToString(vpc), []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(second.Subnet.SubnetId)}
}

// loadBalancer creates an ALB in subnets, in albGroups (else a group open
// on port 80), with a listener on port 80 that
// forwards to a new target group of targetType on port 9000 (health
// checks of /id every 5 s, no deregistration delay), and returns the
// group's ARN.
func loadBalancer(t *testing.T, cloud *localcloudtest.Cloud, cluster, vpcID string, subnetIDs, albGroups []string, targetType elbtypes.TargetTypeEnum) string {
	t.Helper()
	ctx := context.Background()
	vpc := aws.String(vpcID)
	elbClient := elb.NewFromConfig(cloud.Config)
	if len(albGroups) == 0 {
		albGroups = []string{cloud.ListenerGroup(t, vpcID, 80)}
	}
	lb, err := elbClient.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(cluster + "-alb"), Subnets: subnetIDs, SecurityGroups: albGroups})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	tg, err := elbClient.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(cluster + "-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(9000), VpcId: vpc,
		TargetType: targetType, HealthCheckPath: aws.String("/id"),
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
	return tgARN
}

// listenerURL is where the cloud's one listener really listens.
func listenerURL(t *testing.T, cloud *localcloudtest.Cloud) string {
	t.Helper()
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
	return url
}

func fetch(url string) (string, bool) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err == nil && resp.StatusCode == http.StatusOK
}

// ownedTaskLinks lists the host ends of task veth pairs this process made
// (their alias names the owner), read from sysfs so no tool is needed.
func ownedTaskLinks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("/sys/class/net/berth-*/ifalias")
	if err != nil {
		t.Fatal(err)
	}
	var owned []string
	prefix := "berth local cloud pid " + strconv.Itoa(os.Getpid()) + " "
	for _, path := range paths {
		alias, err := os.ReadFile(path)
		if err == nil && strings.HasPrefix(string(alias), prefix) {
			owned = append(owned, filepath.Base(filepath.Dir(path)))
		}
	}
	return owned
}

// Two tasks of one service both listen on 0.0.0.0:9000, each in its own
// network namespace: both run, both are healthy behind the ALB, each got
// the HOST its shell asked for and reached the local cloud through
// AWS_ENDPOINT_URL; when the cloud closes, their links are gone.
func TestWildcardTasksRunSideBySideBehindTheALB(t *testing.T) {
	cloud := localcloudtest.Start(t)
	tgARN := webService(t, cloud, "wild", 2)
	elbClient := elb.NewFromConfig(cloud.Config)
	ctx := context.Background()
	var targets []string
	healthy := func() bool {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil {
			return false
		}
		targets = targets[:0]
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				targets = append(targets, aws.ToString(d.Target.Id))
			}
		}
		return len(targets) == 2
	}
	for deadline := time.Now().Add(2 * time.Minute); !healthy(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for two healthy targets:\n%s", serviceReport(t, cloud, "wild", tgARN))
		}
	}
	for _, target := range targets {
		addr, err := netip.ParseAddr(target)
		if err != nil || !runtime.NamespacePool.Contains(addr) {
			t.Fatalf("target %q is not a per-task namespace address in %s: this machine (root) should run tasks in their own network namespaces", target, runtime.NamespacePool)
		}
	}
	if links := ownedTaskLinks(t); len(links) != 2 {
		t.Errorf("task links while two tasks run = %q, want 2", links)
	}

	base := listenerURL(t, cloud)
	seen := map[string]bool{}
	for i := 0; i < 50 && len(seen) < 2; i++ {
		id, ok := fetch(base + "/id")
		if !ok {
			continue
		}
		host, pid, _ := strings.Cut(id, " ")
		if _, err := strconv.Atoi(pid); err != nil {
			t.Errorf("the shell's $$ reached the task as %q, want its pid", pid)
		}
		seen[host] = true
	}
	for _, target := range targets {
		if !seen[target] {
			t.Errorf("no answer through the ALB from the task at %s (saw %v): its ${HOST:-0.0.0.0} must be its own address", target, seen)
		}
	}
	if health, ok := fetch(base + "/health"); !ok || !strings.Contains(health, "running") {
		t.Errorf("the task's call to AWS_ENDPOINT_URL/_berth/health got %q", health)
	}
	if meta, ok := fetch(base + "/meta"); !ok || !strings.Contains(meta, ":task/wild/") {
		t.Errorf("the task's metadata call got %q, want its task ARN", meta)
	}

	cloud.Stop()
	if links := ownedTaskLinks(t); len(links) != 0 {
		t.Errorf("task links left after the cloud closed: %q", links)
	}
}

// Where tasks share the host's network, a task that listens on 0.0.0.0 is
// stopped with a reason and a service event that name its port and the
// fix, so it cannot keep every later task from its port.
func TestSharedNetworkStopsWildcardTask(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{SharedNetwork: true})
	webService(t, cloud, "shared", 1)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := context.Background()
	var stopped ecstypes.Task
	localcloudtest.Eventually(t, "the wildcard task to stop", func() bool {
		list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("shared"), DesiredStatus: ecstypes.DesiredStatusStopped})
		if err != nil || len(list.TaskArns) == 0 {
			return false
		}
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("shared"), Tasks: list.TaskArns})
		if err != nil {
			return false
		}
		for _, task := range out.Tasks {
			if aws.ToString(task.LastStatus) == "STOPPED" && strings.Contains(aws.ToString(task.StoppedReason), "0.0.0.0") {
				stopped = task
				return true
			}
		}
		return false
	})
	reason := aws.ToString(stopped.StoppedReason)
	for _, want := range []string{"0.0.0.0:9000", "bind $HOST instead", "per-task network namespaces"} {
		if !strings.Contains(reason, want) {
			t.Errorf("stoppedReason %q lacks %q", reason, want)
		}
	}
	if stopped.StopCode != ecstypes.TaskStopCodeTaskFailedToStart {
		t.Errorf("stopCode = %q, want TaskFailedToStart (the deployment's circuit breaker counts it)", stopped.StopCode)
	}
	out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("shared"), Services: []string{"web"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	found := false
	for _, e := range out.Services[0].Events {
		msg := aws.ToString(e.Message)
		found = found || (strings.Contains(msg, "0.0.0.0:9000") && strings.Contains(msg, "bind $HOST instead"))
	}
	if !found {
		t.Errorf("no service event names the port and the fix: %+v", out.Services[0].Events)
	}
}

// serviceReport says what a service's tasks, targets and events are, for a
// test that gave up waiting on them.
func serviceReport(t *testing.T, cloud *localcloudtest.Cloud, cluster, tgARN string) string {
	ctx := context.Background()
	var b strings.Builder
	client := ecs.NewFromConfig(cloud.Config)
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: status})
		if err != nil || len(list.TaskArns) == 0 {
			continue
		}
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
		if err != nil {
			continue
		}
		for _, task := range out.Tasks {
			fmt.Fprintf(&b, "task %s %s/%s %q", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus), aws.ToString(task.StoppedReason))
			for _, c := range task.Containers {
				fmt.Fprintf(&b, " container exit %v reason %q", aws.ToInt32(c.ExitCode), aws.ToString(c.Reason))
			}
			b.WriteString("\n")
		}
	}
	if out, err := elb.NewFromConfig(cloud.Config).DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)}); err == nil {
		for _, d := range out.TargetHealthDescriptions {
			fmt.Fprintf(&b, "target %s:%d %s %s\n", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State, aws.ToString(d.TargetHealth.Description))
		}
	}
	if out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}}); err == nil && len(out.Services) == 1 {
		for _, e := range out.Services[0].Events {
			fmt.Fprintf(&b, "event %s\n", aws.ToString(e.Message))
		}
	}
	if logs, err := filepath.Glob("/sys/class/net/berth-*"); err == nil {
		fmt.Fprintf(&b, "links %v\n", logs)
	}
	return b.String()
}
