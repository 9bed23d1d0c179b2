package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// Before the first deploy into an existing VPC, doctor checks the subnets
// the deploy would use: a VPC whose private subnets are in one zone and
// have no route out (no NAT gateway, no endpoints) is reported, with the
// fix, and berth deploy stops on it before creating anything.
func TestDoctorChecksAnExistingVPCsSubnets(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	ctx := context.Background()
	ec2c := ec2.NewFromConfig(cloud.ConfigIn("ap-southeast-2"))
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	igw, err := ec2c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	igwID := aws.ToString(igw.InternetGateway.InternetGatewayId)
	if _, err := ec2c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &igwID, VpcId: &vpcID}); err != nil {
		t.Fatal(err)
	}
	public, err := ec2c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &vpcID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: public.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &igwID}); err != nil {
		t.Fatal(err)
	}
	subnet := func(cidr, zone string) string {
		out, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpcID, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Subnet.SubnetId)
	}
	pubA, pubB := subnet("10.42.0.0/24", "ap-southeast-2a"), subnet("10.42.1.0/24", "ap-southeast-2b")
	for _, id := range []string{pubA, pubB} {
		if _, err := ec2c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: public.RouteTable.RouteTableId, SubnetId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	// Both private subnets in one zone, on the main route table: no way out.
	privA, privA2 := subnet("10.42.16.0/20", "ap-southeast-2a"), subnet("10.42.32.0/20", "ap-southeast-2a")
	_, _ = ec2c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("ledger-net")}}})

	path := filepath.Join(t.TempDir(), "berth.yaml")
	yaml := fmt.Sprintf(`name: ledger-net
region: ap-southeast-2
service:
  image: ledger-net:1
  port: 8080
  count: 2
  health_check: {path: /healthz}
capacity: {provider: fargate}
network:
  mode: existing
  vpc_id: %s
  public_subnets: [%s, %s]
  private_subnets: [%s, %s]
load_balancer: {public: true, port: 80}
`, vpcID, pubA, pubB, privA, privA2)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := berth(t, cloud.Endpoint, "doctor", "-f", path)
	if err == nil {
		t.Errorf("doctor passed private subnets with no route out:\n%s", out)
	}
	sorted := slices.Sorted(slices.Values([]string{privA, privA2})) // the lookup's order is DescribeSubnets'
	assertSays(t, out,
		"warn  network: the tasks' subnets of "+vpcID+" ("+sorted[0]+", "+sorted[1]+") are in 1 availability zone(s)",
		"FAIL  reach: subnet "+privA+" (ap-southeast-2a) of the tasks has no route to the internet",
		"FAIL  reach: subnet "+privA2+" (ap-southeast-2a) of the tasks has no route to the internet",
	)
	_, errOut, err := berth(t, cloud.Endpoint, "deploy", "--yes", "--no-wait", "-f", path)
	if err == nil {
		t.Fatalf("deploy went ahead into subnets with no route out:\n%s", errOut)
	}
	assertSays(t, errOut, "FAIL  reach: subnet "+privA)
	lbs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range lbs.SecurityGroups {
		if aws.ToString(g.GroupName) != "default" {
			t.Errorf("the refused deploy created security group %s", aws.ToString(g.GroupName))
		}
	}
}
