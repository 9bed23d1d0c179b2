package ec2_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// defaultVpcOf returns the one default VPC the client's region has.
func defaultVpcOf(t *testing.T, c *awsec2.Client) types.Vpc {
	t.Helper()
	out := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}}))
	if len(out.Vpcs) != 1 {
		t.Fatalf("%d default VPCs: %+v", len(out.Vpcs), out.Vpcs)
	}
	return out.Vpcs[0]
}

func TestDefaultVpcInEveryRegion(t *testing.T) {
	f := start(t)
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		t.Run(region, func(t *testing.T) {
			c := newClient(f.endpoint, region)
			vpc := defaultVpcOf(t, c)
			vpcID := aws.ToString(vpc.VpcId)
			if aws.ToString(vpc.CidrBlock) != "172.31.0.0/16" || !aws.ToBool(vpc.IsDefault) || vpc.State != types.VpcStateAvailable {
				t.Fatalf("default VPC: %+v", vpc)
			}
			hostnames := must[*awsec2.DescribeVpcAttributeOutput](t)(c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{
				VpcId: vpc.VpcId, Attribute: types.VpcAttributeNameEnableDnsHostnames}))
			if !aws.ToBool(hostnames.EnableDnsHostnames.Value) {
				t.Fatal("the default VPC has DNS hostnames off")
			}

			subnets := must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{
				Filters: []types.Filter{filter("default-for-az", "true")}}))
			want := map[string]string{region + "a": "172.31.0.0/20", region + "b": "172.31.16.0/20", region + "c": "172.31.32.0/20"}
			if len(subnets.Subnets) != len(want) {
				t.Fatalf("default subnets: %+v", subnets.Subnets)
			}
			for _, s := range subnets.Subnets {
				zone := aws.ToString(s.AvailabilityZone)
				if want[zone] != aws.ToString(s.CidrBlock) || aws.ToString(s.VpcId) != vpcID || !aws.ToBool(s.MapPublicIpOnLaunch) ||
					!aws.ToBool(s.DefaultForAz) || aws.ToInt32(s.AvailableIpAddressCount) != 4091 {
					t.Fatalf("default subnet of %s: %+v", zone, s)
				}
			}

			gateways := must[*awsec2.DescribeInternetGatewaysOutput](t)(c.DescribeInternetGateways(ctx, &awsec2.DescribeInternetGatewaysInput{
				Filters: []types.Filter{filter("attachment.vpc-id", vpcID)}}))
			if len(gateways.InternetGateways) != 1 {
				t.Fatalf("gateways of the default VPC: %+v", gateways.InternetGateways)
			}
			igw := aws.ToString(gateways.InternetGateways[0].InternetGatewayId)
			main := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
				Filters: []types.Filter{filter("vpc-id", vpcID), filter("association.main", "true")}}))
			if len(main.RouteTables) != 1 || len(main.RouteTables[0].Routes) != 2 ||
				aws.ToString(main.RouteTables[0].Routes[1].DestinationCidrBlock) != "0.0.0.0/0" || aws.ToString(main.RouteTables[0].Routes[1].GatewayId) != igw {
				t.Fatalf("main route table: %+v", main.RouteTables)
			}

			groups := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{
				Filters: []types.Filter{filter("vpc-id", vpcID)}}))
			if len(groups.SecurityGroups) != 1 {
				t.Fatalf("groups of the default VPC: %+v", groups.SecurityGroups)
			}
			g := groups.SecurityGroups[0]
			if aws.ToString(g.GroupName) != "default" || len(g.IpPermissions) != 1 || aws.ToString(g.IpPermissions[0].IpProtocol) != "-1" ||
				aws.ToString(g.IpPermissions[0].UserIdGroupPairs[0].GroupId) != aws.ToString(g.GroupId) ||
				len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
				t.Fatalf("default group: %+v", g)
			}

			acls := must[*awsec2.DescribeNetworkAclsOutput](t)(c.DescribeNetworkAcls(ctx, &awsec2.DescribeNetworkAclsInput{
				Filters: []types.Filter{filter("vpc-id", vpcID), filter("default", "true")}}))
			if len(acls.NetworkAcls) != 1 || len(acls.NetworkAcls[0].Associations) != 3 {
				t.Fatalf("default ACL: %+v", acls.NetworkAcls)
			}

			attrs := must[*awsec2.DescribeAccountAttributesOutput](t)(c.DescribeAccountAttributes(ctx, &awsec2.DescribeAccountAttributesInput{
				AttributeNames: []types.AccountAttributeName{types.AccountAttributeNameDefaultVpc}}))
			if got := aws.ToString(attrs.AccountAttributes[0].AttributeValues[0].AttributeValue); got != vpcID {
				t.Fatalf("default-vpc attribute %q, want %q", got, vpcID)
			}
			_, err := c.CreateDefaultVpc(ctx, &awsec2.CreateDefaultVpcInput{})
			localcloudtest.WantCode(t, err, "DefaultVpcAlreadyExists")
		})
	}
}

// The first calls of a scope race to make its defaults: one default VPC
// comes of them.
func TestDefaultVpcIsMadeOnce(t *testing.T) {
	f := start(t)
	c := newClient(f.endpoint, "eu-north-1")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		localcloudtest.WantCode(t, err, "")
	}
	vpcs := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{}))
	subnets := must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{}))
	if len(vpcs.Vpcs) != 1 || len(subnets.Subnets) != 3 {
		t.Fatalf("%d VPCs and %d subnets after racing first calls", len(vpcs.Vpcs), len(subnets.Subnets))
	}
}

// The service remembers that a scope has its defaults; a reset of the
// state empties every scope, and the next call makes them again.
func TestDefaultVpcIsMadeAgainAfterAReset(t *testing.T) {
	f := start(t)
	c := newClient(f.endpoint, "eu-central-1")
	before := aws.ToString(defaultVpcOf(t, c).VpcId)
	resp, err := http.Post(f.endpoint+"/_berth/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %s", resp.Status)
	}
	after := aws.ToString(defaultVpcOf(t, c).VpcId)
	if after == before {
		t.Fatalf("the default VPC %s survived the reset", before)
	}
}

func TestDefaultVpcUse(t *testing.T) {
	f := start(t)
	c := f.client
	vpcID := aws.ToString(defaultVpcOf(t, c).VpcId)
	image := aws.String(ec2.ECSOptimizedImage("us-east-1").ID)

	// Without a VpcId a group lands in the default VPC.
	group := must[*awsec2.CreateSecurityGroupOutput](t)(c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{
		GroupName: aws.String("web"), Description: aws.String("web")}))
	described := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(group.GroupId)}}))
	if aws.ToString(described.SecurityGroups[0].VpcId) != vpcID {
		t.Fatalf("group without VpcId in %s, want %s", aws.ToString(described.SecurityGroups[0].VpcId), vpcID)
	}
	_, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("again")})
	localcloudtest.WantCode(t, err, "InvalidGroup.Duplicate")

	// Without a subnet an instance lands in a default subnet: the asked zone's.
	for _, tc := range []struct {
		name, zone, wantZone, code string
		groups                     []string
	}{
		{name: "any zone", wantZone: "us-east-1a"},
		{name: "zone b", zone: "us-east-1b", wantZone: "us-east-1b"},
		{name: "group by name", zone: "us-east-1c", wantZone: "us-east-1c", groups: []string{"web"}},
		{name: "unknown group", groups: []string{"nope"}, code: "InvalidGroup.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: image, SecurityGroups: tc.groups}
			if tc.zone != "" {
				in.Placement = &types.Placement{AvailabilityZone: aws.String(tc.zone)}
			}
			out, err := c.RunInstances(ctx, in)
			localcloudtest.WantCode(t, err, tc.code)
			if err != nil {
				return
			}
			inst := out.Instances[0]
			if aws.ToString(inst.VpcId) != vpcID || aws.ToString(inst.Placement.AvailabilityZone) != tc.wantZone || aws.ToString(inst.PublicIpAddress) == "" {
				t.Fatalf("instance: vpc %s zone %s public %q", aws.ToString(inst.VpcId), aws.ToString(inst.Placement.AvailabilityZone), aws.ToString(inst.PublicIpAddress))
			}
			_, err = c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(inst.InstanceId)}})
			localcloudtest.WantCode(t, err, "")
		})
	}
	must[*awsec2.DeleteSecurityGroupOutput](t)(c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: group.GroupId}))

	// The default VPC may be deleted like any other, once emptied.
	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	subnets := must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}}))
	for _, s := range subnets.Subnets {
		must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: s.SubnetId}))
	}
	// A default VPC without default subnets launches nothing by itself.
	_, err = c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: image})
	localcloudtest.WantCode(t, err, "MissingInput")
	// CreateDefaultSubnet brings one back, in the first free /20.
	made := must[*awsec2.CreateDefaultSubnetOutput](t)(c.CreateDefaultSubnet(ctx, &awsec2.CreateDefaultSubnetInput{AvailabilityZone: aws.String("us-east-1b")}))
	if aws.ToString(made.Subnet.CidrBlock) != "172.31.0.0/20" || !aws.ToBool(made.Subnet.DefaultForAz) || aws.ToString(made.Subnet.VpcId) != vpcID {
		t.Fatalf("CreateDefaultSubnet: %+v", made.Subnet)
	}
	_, err = c.CreateDefaultSubnet(ctx, &awsec2.CreateDefaultSubnetInput{AvailabilityZone: aws.String("us-east-1b")})
	localcloudtest.WantCode(t, err, "DefaultSubnetAlreadyExistsInAvailabilityZone")
	launched := must[*awsec2.RunInstancesOutput](t)(c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: image}))
	if aws.ToString(launched.Instances[0].SubnetId) != aws.ToString(made.Subnet.SubnetId) {
		t.Fatalf("launched into %s, want the new default subnet", aws.ToString(launched.Instances[0].SubnetId))
	}
	must[*awsec2.TerminateInstancesOutput](t)(c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(launched.Instances[0].InstanceId)}}))
	must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: made.Subnet.SubnetId}))
	gateways := must[*awsec2.DescribeInternetGatewaysOutput](t)(c.DescribeInternetGateways(ctx, &awsec2.DescribeInternetGatewaysInput{
		Filters: []types.Filter{filter("attachment.vpc-id", vpcID)}}))
	igw := gateways.InternetGateways[0].InternetGatewayId
	must[*awsec2.DetachInternetGatewayOutput](t)(c.DetachInternetGateway(ctx, &awsec2.DetachInternetGatewayInput{InternetGatewayId: igw, VpcId: aws.String(vpcID)}))
	must[*awsec2.DeleteInternetGatewayOutput](t)(c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: igw}))
	must[*awsec2.DeleteVpcOutput](t)(c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(vpcID)}))

	// Gone it stays (no later call brings it back), with what needed it.
	vpcs := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{}))
	if len(vpcs.Vpcs) != 0 {
		t.Fatalf("VPCs after deleting the default one: %+v", vpcs.Vpcs)
	}
	attrs := must[*awsec2.DescribeAccountAttributesOutput](t)(c.DescribeAccountAttributes(ctx, &awsec2.DescribeAccountAttributesInput{
		AttributeNames: []types.AccountAttributeName{types.AccountAttributeNameDefaultVpc}}))
	if got := aws.ToString(attrs.AccountAttributes[0].AttributeValues[0].AttributeValue); got != "none" {
		t.Fatalf("default-vpc attribute %q after deletion", got)
	}
	_, err = c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web")})
	localcloudtest.WantCode(t, err, "VPCIdNotSpecified")
	_, err = c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: image})
	localcloudtest.WantCode(t, err, "VPCIdNotSpecified")
	_, err = c.CreateDefaultSubnet(ctx, &awsec2.CreateDefaultSubnetInput{AvailabilityZone: aws.String("us-east-1a")})
	localcloudtest.WantCode(t, err, "DefaultVpcDoesNotExist")

	// CreateDefaultVpc brings a new one, subnets and all.
	_, err = c.CreateDefaultVpc(ctx, &awsec2.CreateDefaultVpcInput{DryRun: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "DryRunOperation")
	created := must[*awsec2.CreateDefaultVpcOutput](t)(c.CreateDefaultVpc(ctx, &awsec2.CreateDefaultVpcInput{}))
	if !aws.ToBool(created.Vpc.IsDefault) || aws.ToString(created.Vpc.CidrBlock) != "172.31.0.0/16" || aws.ToString(created.Vpc.VpcId) == vpcID {
		t.Fatalf("CreateDefaultVpc: %+v", created.Vpc)
	}
	if again := defaultVpcOf(t, c); aws.ToString(again.VpcId) != aws.ToString(created.Vpc.VpcId) {
		t.Fatalf("default VPC %s, created %s", aws.ToString(again.VpcId), aws.ToString(created.Vpc.VpcId))
	}
	subnets = must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{filter("default-for-az", "true")}}))
	if len(subnets.Subnets) != 3 {
		t.Fatalf("default subnets after CreateDefaultVpc: %+v", subnets.Subnets)
	}
}
