package ec2_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/deploytest"
)

// networkScenario runs one create/describe/delete sequence and records what
// a client can observe: values and error codes, not ids. Every describe is
// scoped to the VPC the scenario made (both have a default VPC besides, with
// ids of their own).
func networkScenario(t *testing.T, c *awsec2.Client) []string {
	t.Helper()
	var seen []string
	record := func(step string, err error, values ...any) {
		code := "ok"
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			code = apiErr.ErrorCode()
		} else if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		seen = append(seen, fmt.Sprintf("%s: %s %v", step, code, values))
	}
	vpcOut, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "diff")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	vpc := vpcOut.Vpc
	vpcID := aws.ToString(vpc.VpcId)
	record("create vpc", nil, aws.ToString(vpc.CidrBlock), aws.ToBool(vpc.IsDefault), vpc.InstanceTenancy, len(vpc.Tags), len(vpc.CidrBlockAssociationSet))

	vpcs, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{Filters: []types.Filter{filter("tag:Name", "diff")}})
	record("describe vpcs by tag", err, len(vpcs.Vpcs), aws.ToString(vpcs.Vpcs[0].DhcpOptionsId) != "")
	_, err = c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
	record("describe unknown vpc", err)

	attr, err := c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: vpc.VpcId, Attribute: types.VpcAttributeNameEnableDnsSupport})
	record("dns support", err, aws.ToBool(attr.EnableDnsSupport.Value))
	_, err = c.ModifyVpcAttribute(ctx, &awsec2.ModifyVpcAttributeInput{VpcId: vpc.VpcId, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	record("enable dns hostnames", err)
	attr, err = c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: vpc.VpcId, Attribute: types.VpcAttributeNameEnableDnsHostnames})
	record("dns hostnames", err, aws.ToBool(attr.EnableDnsHostnames.Value))

	main, err := c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", vpcID), filter("association.main", "true")}})
	record("main route table", err, len(main.RouteTables), len(main.RouteTables[0].Routes), aws.ToString(main.RouteTables[0].Routes[0].GatewayId),
		aws.ToString(main.RouteTables[0].Routes[0].DestinationCidrBlock))
	defaults, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	record("default group", err, len(defaults.SecurityGroups), aws.ToString(defaults.SecurityGroups[0].GroupName), len(defaults.SecurityGroups[0].IpPermissionsEgress))

	subnetOut, err := c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	record("create subnet", err, aws.ToString(subnetOut.Subnet.CidrBlock), aws.ToString(subnetOut.Subnet.AvailabilityZone),
		aws.ToInt32(subnetOut.Subnet.AvailableIpAddressCount), aws.ToBool(subnetOut.Subnet.MapPublicIpOnLaunch), aws.ToBool(subnetOut.Subnet.DefaultForAz))
	subnetID := subnetOut.Subnet.SubnetId
	_, err = c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.20.1.0/25")})
	record("overlapping subnet", err)
	_, err = c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.VpcId, CidrBlock: aws.String("10.30.0.0/24")})
	record("subnet outside the vpc", err)
	_, err = c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: subnetID, MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	record("map public ip", err)
	subnets, err := c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	record("describe subnets", err, len(subnets.Subnets), aws.ToBool(subnets.Subnets[0].MapPublicIpOnLaunch))

	igwOut, err := c.CreateInternetGateway(ctx, &awsec2.CreateInternetGatewayInput{})
	record("create igw", err, len(igwOut.InternetGateway.Attachments))
	igw := igwOut.InternetGateway.InternetGatewayId
	_, err = c.AttachInternetGateway(ctx, &awsec2.AttachInternetGatewayInput{InternetGatewayId: igw, VpcId: vpc.VpcId})
	record("attach igw", err)
	attached, err := c.DescribeInternetGateways(ctx, &awsec2.DescribeInternetGatewaysInput{Filters: []types.Filter{filter("attachment.vpc-id", vpcID)}})
	record("igw by vpc", err, len(attached.InternetGateways), attached.InternetGateways[0].Attachments[0].State)
	rtbOut, err := c.CreateRouteTable(ctx, &awsec2.CreateRouteTableInput{VpcId: vpc.VpcId})
	record("create route table", err, len(rtbOut.RouteTable.Routes), len(rtbOut.RouteTable.Associations))
	rtb := rtbOut.RouteTable.RouteTableId
	_, err = c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: rtb, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw})
	record("default route", err)
	_, err = c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: rtb, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw})
	record("default route again", err)
	assoc, err := c.AssociateRouteTable(ctx, &awsec2.AssociateRouteTableInput{RouteTableId: rtb, SubnetId: subnetID})
	record("associate", err, assoc.AssociationState.State)
	bySubnet, err := c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("association.subnet-id", aws.ToString(subnetID))}})
	record("route table of subnet", err, len(bySubnet.RouteTables), len(bySubnet.RouteTables[0].Routes))

	groupOut, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: vpc.VpcId})
	record("create group", err)
	group := groupOut.GroupId
	_, err = c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: vpc.VpcId})
	record("duplicate group", err)
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: group, IpPermissions: []types.IpPermission{tcp(80, "0.0.0.0/0")}})
	record("allow http", err)
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: group, IpPermissions: []types.IpPermission{tcp(80, "0.0.0.0/0")}})
	record("allow http again", err)
	described, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{aws.ToString(group)}})
	in := described.SecurityGroups[0].IpPermissions[0]
	out := described.SecurityGroups[0].IpPermissionsEgress[0]
	record("describe group", err, aws.ToString(in.IpProtocol), aws.ToInt32(in.FromPort), aws.ToInt32(in.ToPort), aws.ToString(in.IpRanges[0].CidrIp),
		aws.ToString(out.IpProtocol), aws.ToString(out.IpRanges[0].CidrIp))
	_, err = c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
	record("describe unknown group", err)

	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: vpc.VpcId})
	record("delete busy vpc", err)
	_, err = c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: igw})
	record("delete attached igw", err)
	_, err = c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: group})
	record("delete group", err)
	_, err = c.DisassociateRouteTable(ctx, &awsec2.DisassociateRouteTableInput{AssociationId: assoc.AssociationId})
	record("disassociate", err)
	_, err = c.DeleteRouteTable(ctx, &awsec2.DeleteRouteTableInput{RouteTableId: rtb})
	record("delete route table", err)
	_, err = c.DetachInternetGateway(ctx, &awsec2.DetachInternetGatewayInput{InternetGatewayId: igw, VpcId: vpc.VpcId})
	record("detach igw", err)
	_, err = c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: igw})
	record("delete igw", err)
	_, err = c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: subnetID})
	record("delete subnet", err)
	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: vpc.VpcId})
	record("delete vpc", err)
	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: vpc.VpcId})
	record("delete vpc again", err)
	return seen
}

func TestAgainstMoto(t *testing.T) {
	moto := deploytest.Moto(t)
	want := networkScenario(t, newClient(moto, "us-east-1"))
	got := networkScenario(t, start(t).client)
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("step %d:\n local: %s\n  moto: %s", i, g, w)
			}
		}
	}
}
