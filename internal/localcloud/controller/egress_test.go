package controller_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// A task's security groups decide what it may open, on the data plane: a
// task whose group lets out only tcp 443 to 10.0.0.0/8 cannot reach a
// listener on the host, and can once a rule for that port is authorized,
// without a restart; a task in a group with EC2's default egress rule
// reaches it all along.
func TestTaskEgressFollowsItsSecurityGroups(t *testing.T) {
	cloud := localcloudtest.Start(t)
	// The runtime's egress tests' dialer: /dial?to=HOST:PORT on 0.0.0.0:8000.
	dir, err := filepath.Abs("../runtime/testdata")
	if err != nil {
		t.Fatal(err)
	}
	if err := cloud.PutImage(runtime.ProcessImage{Name: "dialer", Dir: dir, Command: []string{"python3", "dialer.py"}}); err != nil {
		t.Fatal(err)
	}
	checkTaskEgress(t, cloud, ecstypes.ContainerDefinition{Name: aws.String("app"), Image: aws.String("dialer"), Memory: aws.Int32(64),
		PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8000)}}}, 8000, "No route to host")
}

// The same with containers: the filter is in the container's namespace.
func TestDockerTaskEgressFollowsItsSecurityGroups(t *testing.T) {
	cloud, image := dockerCloud(t, localcloud.Options{})
	checkTaskEgress(t, cloud, helloContainer(image), 9000, "no route to host")
}

// checkTaskEgress runs two tasks of container (a dialer on port) in
// eu-west-1, one in a group whose egress is narrowed to tcp 443 to
// 10.0.0.0/8 and one in a fresh group, and checks what each may open to
// a listener on the host; refused is how the dialer says it was refused.
func checkTaskEgress(t *testing.T, cloud *localcloudtest.Cloud, container ecstypes.ContainerDefinition, port int, refused string) {
	t.Helper()
	const region = "eu-west-1"
	ctx := context.Background()
	_, vpc, subnets := regionalFleet(t, cloud, region, "outbound", []host{{region + "c", ec2types.InstanceTypeT2Medium}})

	hostListener, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hostListener.Close()
	go func() {
		for {
			conn, err := hostListener.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	hostPort := int32(hostListener.Addr().(*net.TCPAddr).Port)
	gateway := fmt.Sprintf("%s:%d", runtime.NamespaceGateway, hostPort)

	ec2Client := ec2.NewFromConfig(cloud.ConfigIn(region))
	group := func(name string) string {
		out, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: aws.String(vpc)})
		if err != nil {
			t.Fatalf("CreateSecurityGroup %s: %v", name, err)
		}
		return aws.ToString(out.GroupId)
	}
	narrow, open := group("narrow-out"), group("default-out")
	if _, err := ec2Client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(narrow),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatalf("RevokeSecurityGroupEgress: %v", err)
	}
	if _, err := ec2Client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(narrow),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupEgress: %v", err)
	}

	client := ecs.NewFromConfig(cloud.ConfigIn(region))
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("dialer"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ContainerDefinitions: []ecstypes.ContainerDefinition{container}})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	start := func(groupID string) string {
		t.Helper()
		out, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("outbound"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, LaunchType: ecstypes.LaunchTypeEc2,
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{subnets[region+"c"]}, SecurityGroups: []string{groupID}}}})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("RunTask: %v %+v", err, out)
		}
		task := waitForTask(t, client, "outbound", aws.ToString(out.Tasks[0].TaskArn), "RUNNING")
		return aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address)
	}
	dial := func(task string) string {
		t.Helper()
		fetch := &http.Client{Timeout: 10 * time.Second}
		var last error
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			resp, err := fetch.Get(fmt.Sprintf("http://%s:%d/dial?to=%s", task, port, url.QueryEscape(gateway)))
			if err != nil {
				last = err
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		t.Fatalf("the dialer at %s never answered: %v", task, last)
		return ""
	}

	narrowTask, openTask := start(narrow), start(open)
	if got := dial(openTask); got != "ok" {
		t.Errorf("a task under the default egress rule dialling the host: %q", got)
	}
	if got := dial(narrowTask); !strings.Contains(got, refused) {
		t.Errorf("a task whose group lets out only tcp 443 to 10.0.0.0/8 dialling the host: %q, want it refused", got)
	}
	if _, err := ec2Client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(narrow),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(hostPort), ToPort: aws.Int32(hostPort), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupEgress: %v", err)
	}
	localcloudtest.Eventually(t, "the task to reach the host once its port is let out", func() bool { return dial(narrowTask) == "ok" })
}
