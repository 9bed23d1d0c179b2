package controller_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A Fargate service runs without a single container instance: its tasks
// get their own network interfaces, spread over the zones of the subnets
// given, no container instance, and answer on their own addresses. In
// eu-west-1, with a VPC built by hand, as the write-up's author would.
func TestFargateServiceRunsWithoutInstances(t *testing.T) {
	cloud := localcloudtest.Start(t)
	cfg := cloud.ConfigIn("eu-west-1")
	ctx := context.Background()
	ec2Client, client := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]string{}
	var subnets []string
	for i, zone := range []string{"eu-west-1a", "eu-west-1b"} {
		subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
			CidrBlock: aws.String([]string{"10.40.1.0/24", "10.40.2.0/24"}[i]), AvailabilityZone: aws.String(zone)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(subnet.Subnet.SubnetId))
		zones[aws.ToString(subnet.Subnet.SubnetId)] = zone
	}
	group, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("api-tasks"), Description: aws.String("api tasks"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: group.GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("serverless")}); err != nil {
		t.Fatal(err)
	}
	wildcardImage(t, cloud)
	def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("api"), NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wildcard"),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(9000)}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("serverless"), ServiceName: aws.String("api"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn,
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnets, SecurityGroups: []string{aws.ToString(group.GroupId)}}},
	}); err != nil {
		t.Fatal(err)
	}

	var running []ecstypes.Task
	localcloudtest.Eventually(t, "two running Fargate tasks", func() bool {
		list, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("serverless"), DesiredStatus: ecstypes.DesiredStatusRunning})
		if err != nil || len(list.TaskArns) < 2 {
			return false
		}
		described, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("serverless"), Tasks: list.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		running = running[:0]
		for _, task := range described.Tasks {
			if aws.ToString(task.LastStatus) == "RUNNING" {
				running = append(running, task)
			}
		}
		return len(running) >= 2
	})
	seenZones := map[string]bool{}
	for _, task := range running {
		if task.LaunchType != ecstypes.LaunchTypeFargate || aws.ToString(task.ContainerInstanceArn) != "" {
			t.Errorf("task %s: launch type %s on container instance %q, want FARGATE on none", aws.ToString(task.TaskArn), task.LaunchType, aws.ToString(task.ContainerInstanceArn))
		}
		if !strings.Contains(aws.ToString(task.TaskArn), ":eu-west-1:") {
			t.Errorf("task ARN %s is not in eu-west-1", aws.ToString(task.TaskArn))
		}
		var subnet, ip string
		for _, d := range task.Attachments[0].Details {
			switch aws.ToString(d.Name) {
			case "subnetId":
				subnet = aws.ToString(d.Value)
			case "privateIPv4Address":
				ip = aws.ToString(d.Value)
			}
		}
		if zone := aws.ToString(task.AvailabilityZone); zone != zones[subnet] {
			t.Errorf("task in subnet %s reports zone %q, want %q", subnet, zone, zones[subnet])
		}
		seenZones[zones[subnet]] = true
		if _, err := netip.ParseAddr(ip); err != nil {
			t.Fatalf("task has no address: %+v", task.Attachments)
		}
		localcloudtest.Eventually(t, "the Fargate task at "+ip+" to answer", func() bool {
			id, ok := fetch("http://" + ip + ":9000/id")
			return ok && strings.HasPrefix(id, ip+" ")
		})
	}
	if len(seenZones) != 2 {
		t.Errorf("two Fargate tasks ran in zones %v, want one in each of the two subnets' zones", seenZones)
	}
	instances, err := client.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("serverless")})
	if err != nil || len(instances.ContainerInstanceArns) != 0 {
		t.Errorf("the Fargate cluster has container instances %v (%v)", instances.ContainerInstanceArns, err)
	}
}
