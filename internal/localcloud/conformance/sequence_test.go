package conformance

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// step is one call of the sequence. invalid marks a call built to be
// refused (the count of those is asserted, so the sequence keeps probing
// error paths as it grows).
type step struct {
	name    string
	invalid bool
	quiet   bool
	call    func(ctx context.Context, c *clients) (any, error)
}

func ok(name string, call func(ctx context.Context, c *clients) (any, error)) step {
	return step{name: name, call: call}
}

// quiet is a cleanup call whose answer is not compared: it undoes what an
// earlier step may have done on one side only, so that one difference does
// not cascade into every later step.
func quiet(name string, call func(ctx context.Context, c *clients) (any, error)) step {
	return step{name: name, quiet: true, call: func(ctx context.Context, c *clients) (any, error) {
		_, _ = call(ctx, c)
		return struct{}{}, nil
	}}
}

func bad(name string, call func(ctx context.Context, c *clients) (any, error)) step {
	return step{name: name, invalid: true, call: call}
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
const permPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`

func tcp(port int32, cidr string) []ec2types.IpPermission {
	return []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}}
}

// sequence is the call sequence both endpoints get, in order. Later steps
// use the ids earlier ones saved on their own side.
func sequence() []step {
	var s []step
	add := func(st ...step) { s = append(s, st...) }

	// STS
	add(ok("sts GetCallerIdentity", func(ctx context.Context, c *clients) (any, error) {
		return c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}))

	// EC2: VPC
	add(
		ok("ec2 DescribeAvailabilityZones", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
		}),
		ok("ec2 CreateVpc", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
			if err == nil {
				c.ids["vpc"] = aws.ToString(out.Vpc.VpcId)
			}
			return out, err
		}),
		bad("ec2 CreateVpc missing CidrBlock", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{})
		}),
		bad("ec2 CreateVpc malformed CIDR", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/33")})
		}),
		bad("ec2 CreateVpc CIDR too large", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
		}),
		ok("ec2 DescribeVpcs by id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{c.ids["vpc"]}})
		}),
		ok("ec2 DescribeVpcs by filter", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("cidr"), Values: []string{"10.20.0.0/16"}}}})
		}),
		bad("ec2 DescribeVpcs unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
		}),
		bad("ec2 DescribeVpcs malformed id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"not-a-vpc"}})
		}),
		ok("ec2 ModifyVpcAttribute dns hostnames", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: c.id("vpc"), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}),
		ok("ec2 DescribeVpcAttribute dns hostnames", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: c.id("vpc"), Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
		}),
		ok("ec2 DescribeVpcAttribute dns support", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: c.id("vpc"), Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
		}),
		bad("ec2 DescribeVpcAttribute bad enum", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: c.id("vpc"), Attribute: "enableEverything"})
		}),
		bad("ec2 ModifyVpcAttribute unknown vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-0123456789abcdef0"), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}),
		ok("ec2 CreateTags on vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{c.ids["vpc"]}, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("conf")}}})
		}),
		ok("ec2 DescribeTags for vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{c.ids["vpc"]}}}})
		}),
		bad("ec2 CreateTags missing Resources", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
		}),
	)

	// EC2: subnets
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		key := fmt.Sprintf("subnet%d", i)
		cidr := fmt.Sprintf("10.20.%d.0/24", i)
		add(ok("ec2 CreateSubnet "+az, func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: c.id("vpc"), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az)})
			if err == nil {
				c.ids[key] = aws.ToString(out.Subnet.SubnetId)
			}
			return out, err
		}))
	}
	add(
		bad("ec2 CreateSubnet overlapping CIDR", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: c.id("vpc"), CidrBlock: aws.String("10.20.0.0/24"), AvailabilityZone: aws.String("us-east-1a")})
		}),
		bad("ec2 CreateSubnet CIDR outside VPC", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: c.id("vpc"), CidrBlock: aws.String("192.168.0.0/24")})
		}),
		bad("ec2 CreateSubnet unknown vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String("vpc-0123456789abcdef0"), CidrBlock: aws.String("10.20.9.0/24")})
		}),
		bad("ec2 CreateSubnet missing VpcId", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{CidrBlock: aws.String("10.20.9.0/24")})
		}),
		ok("ec2 DescribeSubnets by vpc filter", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{c.ids["vpc"]}}}})
		}),
		ok("ec2 DescribeSubnets by id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{c.ids["subnet0"]}})
		}),
		bad("ec2 DescribeSubnets unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
		}),
		ok("ec2 ModifySubnetAttribute map public ip", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: c.id("subnet0"), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}),
		bad("ec2 ModifySubnetAttribute unknown subnet", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: aws.String("subnet-0123456789abcdef0"), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
		}),
	)

	// EC2: internet gateway and route tables
	add(
		ok("ec2 CreateInternetGateway", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
			if err == nil {
				c.ids["igw"] = aws.ToString(out.InternetGateway.InternetGatewayId)
			}
			return out, err
		}),
		ok("ec2 AttachInternetGateway", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: c.id("igw"), VpcId: c.id("vpc")})
		}),
		bad("ec2 AttachInternetGateway again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: c.id("igw"), VpcId: c.id("vpc")})
		}),
		bad("ec2 AttachInternetGateway unknown igw", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String("igw-0123456789abcdef0"), VpcId: c.id("vpc")})
		}),
		ok("ec2 DescribeInternetGateways by attachment", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{c.ids["vpc"]}}}})
		}),
		bad("ec2 DescribeInternetGateways unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{"igw-0123456789abcdef0"}})
		}),
		bad("ec2 DeleteInternetGateway attached", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: c.id("igw")})
		}),
		ok("ec2 CreateRouteTable", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: c.id("vpc")})
			if err == nil {
				c.ids["rtb"] = aws.ToString(out.RouteTable.RouteTableId)
			}
			return out, err
		}),
		bad("ec2 CreateRouteTable unknown vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String("vpc-0123456789abcdef0")})
		}),
		ok("ec2 CreateRoute default via igw", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: c.id("igw")})
		}),
		bad("ec2 CreateRoute duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: c.id("igw")})
		}),
		bad("ec2 CreateRoute unknown gateway", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("172.16.0.0/16"), GatewayId: aws.String("igw-0123456789abcdef0")})
		}),
		ok("ec2 AssociateRouteTable", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: c.id("rtb"), SubnetId: c.id("subnet0")})
			if err == nil {
				c.ids["rtbassoc"] = aws.ToString(out.AssociationId)
			}
			return out, err
		}),
		bad("ec2 AssociateRouteTable unknown subnet", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: c.id("rtb"), SubnetId: aws.String("subnet-0123456789abcdef0")})
		}),
		ok("ec2 DescribeRouteTables by id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{c.ids["rtb"]}})
		}),
		ok("ec2 DescribeRouteTables main of vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
				{Name: aws.String("vpc-id"), Values: []string{c.ids["vpc"]}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
		}),
		bad("ec2 DescribeRouteTables unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-0123456789abcdef0"}})
		}),
		bad("ec2 DeleteRouteTable associated", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: c.id("rtb")})
		}),
		ok("ec2 ReplaceRoute", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: c.id("igw")})
		}),
		bad("ec2 DeleteRoute missing route", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("172.31.0.0/16")})
		}),
		ok("ec2 DisassociateRouteTable", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: c.id("rtbassoc")})
		}),
		bad("ec2 DisassociateRouteTable again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: c.id("rtbassoc")})
		}),
		ok("ec2 DeleteRoute default", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: c.id("rtb"), DestinationCidrBlock: aws.String("0.0.0.0/0")})
		}),
	)

	// EC2: security groups
	add(
		ok("ec2 CreateSecurityGroup alb", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-alb"), Description: aws.String("alb"), VpcId: c.id("vpc")})
			if err == nil {
				c.ids["sgalb"] = aws.ToString(out.GroupId)
			}
			return out, err
		}),
		ok("ec2 CreateSecurityGroup task", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-task"), Description: aws.String("task"), VpcId: c.id("vpc")})
			if err == nil {
				c.ids["sgtask"] = aws.ToString(out.GroupId)
			}
			return out, err
		}),
		bad("ec2 CreateSecurityGroup duplicate name", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-alb"), Description: aws.String("again"), VpcId: c.id("vpc")})
		}),
		bad("ec2 CreateSecurityGroup missing description", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-nodesc"), VpcId: c.id("vpc")})
		}),
		bad("ec2 CreateSecurityGroup unknown vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-x"), Description: aws.String("x"), VpcId: aws.String("vpc-0123456789abcdef0")})
		}),
		ok("ec2 AuthorizeSecurityGroupIngress cidr", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: c.id("sgalb"), IpPermissions: tcp(80, "0.0.0.0/0")})
		}),
		bad("ec2 AuthorizeSecurityGroupIngress duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: c.id("sgalb"), IpPermissions: tcp(80, "0.0.0.0/0")})
		}),
		ok("ec2 AuthorizeSecurityGroupIngress from group", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: c.id("sgtask"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8000), ToPort: aws.Int32(8000),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: c.id("sgalb")}}}}})
		}),
		bad("ec2 AuthorizeSecurityGroupIngress unknown group", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0123456789abcdef0"), IpPermissions: tcp(80, "0.0.0.0/0")})
		}),
		bad("ec2 AuthorizeSecurityGroupIngress bad cidr", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: c.id("sgalb"), IpPermissions: tcp(81, "300.0.0.0/0")})
		}),
		ok("ec2 AuthorizeSecurityGroupEgress", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: c.id("sgtask"), IpPermissions: tcp(443, "10.0.0.0/8")})
		}),
		ok("ec2 DescribeSecurityGroups by id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{c.ids["sgalb"], c.ids["sgtask"]}})
		}),
		ok("ec2 DescribeSecurityGroups by name filter", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"conf-alb"}}}})
		}),
		bad("ec2 DescribeSecurityGroups unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
		}),
		ok("ec2 DescribeSecurityGroupRules by group", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{c.ids["sgalb"]}}}})
		}),
		ok("ec2 RevokeSecurityGroupEgress", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: c.id("sgtask"), IpPermissions: tcp(443, "10.0.0.0/8")})
		}),
		ok("ec2 CreateSecurityGroup referenced", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("conf-ref"), Description: aws.String("ref"), VpcId: c.id("vpc")})
			if err == nil {
				c.ids["sgref"] = aws.ToString(out.GroupId)
			}
			return out, err
		}),
		ok("ec2 AuthorizeSecurityGroupIngress referencing", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: c.id("sgalb"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: c.id("sgref")}}}}})
		}),
		bad("ec2 DeleteSecurityGroup referenced", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: c.id("sgref")})
		}),
		quiet("ec2 RevokeSecurityGroupIngress referencing (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: c.id("sgalb"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: c.id("sgref")}}}}})
		}),
		quiet("ec2 DeleteSecurityGroup referenced (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: c.id("sgref")})
		}),
		bad("ec2 DeleteSecurityGroup unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String("sg-0123456789abcdef0")})
		}),
	)

	// EC2: launch templates and instances
	add(
		ok("ec2 DescribeImages", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}, MaxResults: aws.Int32(5)})
			if err == nil && len(out.Images) > 0 {
				c.ids["ami"] = aws.ToString(out.Images[0].ImageId)
			}
			return len(out.Images) > 0, err
		}),
		ok("ec2 CreateLaunchTemplate", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("conf-lt"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: c.id("ami"), InstanceType: ec2types.InstanceTypeT3Micro}})
			if err == nil {
				c.ids["lt"] = aws.ToString(out.LaunchTemplate.LaunchTemplateId)
			}
			return out, err
		}),
		bad("ec2 CreateLaunchTemplate duplicate name", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("conf-lt"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: c.id("ami")}})
		}),
		bad("ec2 CreateLaunchTemplate missing data", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("conf-lt2")})
		}),
		bad("ec2 CreateLaunchTemplate name too short", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("ab"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: c.id("ami")}})
		}),
		ok("ec2 CreateLaunchTemplateVersion", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: c.id("lt"), SourceVersion: aws.String("1"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeT3Small}})
		}),
		bad("ec2 CreateLaunchTemplateVersion unknown template", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String("lt-0123456789abcdef0"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeT3Small}})
		}),
		ok("ec2 ModifyLaunchTemplate default version", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: c.id("lt"), DefaultVersion: aws.String("2")})
		}),
		ok("ec2 DescribeLaunchTemplates by name", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"conf-lt"}})
		}),
		bad("ec2 DescribeLaunchTemplates unknown name", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"conf-nope"}})
		}),
		bad("ec2 DescribeLaunchTemplates unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{"lt-0123456789abcdef0"}})
		}),
		ok("ec2 DescribeLaunchTemplateVersions", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: c.id("lt")})
		}),
		ok("ec2 DescribeLaunchTemplateVersions $Latest", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: c.id("lt"), Versions: []string{"$Latest"}})
		}),
		ok("ec2 RunInstances", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: c.id("ami"), InstanceType: ec2types.InstanceTypeT3Micro,
				MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: c.id("subnet0")})
			if err == nil && len(out.Instances) == 1 {
				c.ids["instance"] = aws.ToString(out.Instances[0].InstanceId)
			}
			return out, err
		}),
		bad("ec2 RunInstances MinCount above MaxCount", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: c.id("ami"), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(3), MaxCount: aws.Int32(1)})
		}),
		bad("ec2 RunInstances unknown subnet", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: c.id("ami"), InstanceType: ec2types.InstanceTypeT3Micro,
				MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String("subnet-0123456789abcdef0")})
		}),
		ok("ec2 DescribeInstances by id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{c.ids["instance"]}})
		}),
		bad("ec2 DescribeInstances unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
		}),
		bad("ec2 DescribeInstances MaxResults too small", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(2)})
		}),
		bad("ec2 DescribeInstances bad NextToken", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), NextToken: aws.String("garbage-token")})
		}),
		ok("ec2 TerminateInstances", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{c.ids["instance"]}})
		}),
		bad("ec2 TerminateInstances unknown id", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
		}),
	)

	// IAM
	add(
		ok("iam CreateRole", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-role"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
		}),
		bad("iam CreateRole duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-role"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
		}),
		bad("iam CreateRole missing trust policy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-role2")})
		}),
		bad("iam CreateRole malformed trust policy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-role3"), AssumeRolePolicyDocument: aws.String("{not json")})
		}),
		ok("iam GetRole", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("conf-role")})
		}),
		bad("iam GetRole unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("conf-nobody")})
		}),
		ok("iam UpdateRole description", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("conf-role"), Description: aws.String("conformance")})
		}),
		ok("iam ListRoles", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/")})
		}),
		bad("iam ListRoles MaxItems zero", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(0)})
		}),
		ok("iam CreatePolicy", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("conf-policy"), PolicyDocument: aws.String(permPolicy)})
			if err == nil {
				c.ids["policy"] = aws.ToString(out.Policy.Arn)
			}
			return out, err
		}),
		bad("iam CreatePolicy duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("conf-policy"), PolicyDocument: aws.String(permPolicy)})
		}),
		ok("iam GetPolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: c.id("policy")})
		}),
		bad("iam GetPolicy malformed ARN", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("not-an-arn")})
		}),
		ok("iam AttachRolePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: c.id("policy")})
		}),
		bad("iam AttachRolePolicy unknown policy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicyEver")})
		}),
		bad("iam AttachRolePolicy unknown role", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("conf-nobody"), PolicyArn: c.id("policy")})
		}),
		ok("iam ListAttachedRolePolicies", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("conf-role")})
		}),
		ok("iam CreatePolicy second", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("conf-policy2"), PolicyDocument: aws.String(permPolicy)})
			if err == nil {
				c.ids["policy2"] = aws.ToString(out.Policy.Arn)
			}
			return out, err
		}),
		ok("iam AttachRolePolicy second", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: c.id("policy2")})
		}),
		bad("iam DeletePolicy attached", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: c.id("policy2")})
		}),
		quiet("iam DetachRolePolicy second (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: c.id("policy2")})
		}),
		quiet("iam DeletePolicy second (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: c.id("policy2")})
		}),
		ok("iam PutRolePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("conf-role"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(permPolicy)})
		}),
		ok("iam GetRolePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("conf-role"), PolicyName: aws.String("inline")})
		}),
		bad("iam GetRolePolicy unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("conf-role"), PolicyName: aws.String("nope")})
		}),
		ok("iam ListRolePolicies", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("conf-role")})
		}),
		ok("iam CreateInstanceProfile", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("conf-profile")})
		}),
		bad("iam CreateInstanceProfile duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("conf-profile")})
		}),
		ok("iam AddRoleToInstanceProfile", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("conf-profile"), RoleName: aws.String("conf-role")})
		}),
		bad("iam AddRoleToInstanceProfile second role", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("conf-profile"), RoleName: aws.String("conf-role")})
		}),
		ok("iam GetInstanceProfile", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("conf-profile")})
		}),
		bad("iam GetInstanceProfile unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("conf-noprofile")})
		}),
		ok("iam ListInstanceProfilesForRole", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("conf-role")})
		}),
		bad("iam DeleteRole with attachments", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("conf-role")})
		}),
		ok("iam TagRole", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("conf-role"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("conf")}}})
		}),
		ok("iam ListRoleTags", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("conf-role")})
		}),
	)

	// SSM parameters
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("/conf/app/p%d", i)
		add(ok("ssm PutParameter "+name, func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString})
		}))
	}
	add(
		bad("ssm PutParameter existing without overwrite", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/conf/app/p0"), Value: aws.String("v2"), Type: ssmtypes.ParameterTypeString})
		}),
		ok("ssm PutParameter overwrite", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/conf/app/p0"), Value: aws.String("v2"), Overwrite: aws.Bool(true)})
		}),
		bad("ssm PutParameter bad type", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/conf/x"), Value: aws.String("v"), Type: "Binary"})
		}),
		bad("ssm PutParameter missing value", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/conf/y"), Type: ssmtypes.ParameterTypeString})
		}),
		ok("ssm GetParameter", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/conf/app/p0")})
		}),
		bad("ssm GetParameter unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/conf/nope")})
		}),
		ok("ssm GetParameters with an invalid name", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/conf/app/p1", "/conf/nope"}})
		}),
		ok("ssm GetParametersByPath page 1", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/conf/app"), MaxResults: aws.Int32(2)})
			if err == nil {
				c.ids["ssmtoken"] = aws.ToString(out.NextToken)
			}
			return out, err
		}),
		ok("ssm GetParametersByPath page 2", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/conf/app"), MaxResults: aws.Int32(2), NextToken: c.id("ssmtoken")})
		}),
		bad("ssm GetParametersByPath MaxResults too large", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/conf/app"), MaxResults: aws.Int32(11)})
		}),
		bad("ssm GetParametersByPath bad token", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/conf/app"), NextToken: aws.String("garbage")})
		}),
		ok("ssm DescribeParameters", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/conf/"}}}})
		}),
		ok("ssm GetParameterHistory", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/conf/app/p0")})
		}),
		ok("ssm AddTagsToResource", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String("/conf/app/p0"),
				Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
		}),
		ok("ssm ListTagsForResource", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String("/conf/app/p0")})
		}),
		bad("ssm AddTagsToResource bad resource type", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: "Banana", ResourceId: aws.String("/conf/app/p0"),
				Tags: []ssmtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
		}),
		ok("ssm DeleteParameter", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/conf/app/p3")})
		}),
		bad("ssm DeleteParameter again", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/conf/app/p3")})
		}),
		ok("ssm DeleteParameters mixed", func(ctx context.Context, c *clients) (any, error) {
			return c.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/conf/app/p2", "/conf/ghost"}})
		}),
	)

	// CloudWatch Logs
	add(
		ok("logs CreateLogGroup", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/conf/app")})
		}),
		bad("logs CreateLogGroup duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/conf/app")})
		}),
		bad("logs CreateLogGroup missing name", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{})
		}),
		ok("logs PutRetentionPolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/conf/app"), RetentionInDays: aws.Int32(7)})
		}),
		bad("logs PutRetentionPolicy invalid days", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/conf/app"), RetentionInDays: aws.Int32(8)})
		}),
		ok("logs DescribeLogGroups", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/conf/")})
		}),
		bad("logs DescribeLogGroups limit too large", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
		}),
		ok("logs CreateLogStream", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1")})
		}),
		bad("logs CreateLogStream duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1")})
		}),
		bad("logs CreateLogStream unknown group", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/conf/none"), LogStreamName: aws.String("s1")})
		}),
		ok("logs PutLogEvents", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1"),
				LogEvents: []logtypes.InputLogEvent{{Message: aws.String("hello"), Timestamp: aws.Int64(1764547200000)}, {Message: aws.String("world"), Timestamp: aws.Int64(1764547201000)}}})
		}),
		bad("logs PutLogEvents unknown stream", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("nope"),
				LogEvents: []logtypes.InputLogEvent{{Message: aws.String("x"), Timestamp: aws.Int64(1764547200000)}}})
		}),
		ok("logs DescribeLogStreams", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/conf/app")})
		}),
		bad("logs DescribeLogStreams bad orderBy", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/conf/app"), OrderBy: "Size"})
		}),
		ok("logs GetLogEvents from head", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1"), StartFromHead: aws.Bool(true)})
		}),
		bad("logs GetLogEvents unknown stream", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("nope")})
		}),
		ok("logs FilterLogEvents", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/conf/app")})
		}),
		ok("logs DeleteLogStream", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1")})
		}),
		bad("logs DeleteLogStream again", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/conf/app"), LogStreamName: aws.String("s1")})
		}),
	)

	// ELBv2
	add(
		ok("elbv2 CreateLoadBalancer", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("conf-alb"), Subnets: []string{c.ids["subnet0"], c.ids["subnet1"]}, SecurityGroups: []string{c.ids["sgalb"]}})
			if err == nil && len(out.LoadBalancers) == 1 {
				c.ids["lb"] = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
			}
			return out, err
		}),
		bad("elbv2 CreateLoadBalancer one subnet", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("conf-one"), Subnets: []string{c.ids["subnet0"]}})
		}),
		bad("elbv2 CreateLoadBalancer bad name", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("-bad_name-"), Subnets: []string{c.ids["subnet0"], c.ids["subnet1"]}})
		}),
		bad("elbv2 CreateLoadBalancer bad scheme", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("conf-scheme"), Scheme: "public", Subnets: []string{c.ids["subnet0"], c.ids["subnet1"]}})
		}),
		bad("elbv2 CreateLoadBalancer unknown subnet", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("conf-ghost"), Subnets: []string{"subnet-0123456789abcdef0", c.ids["subnet1"]}})
		}),
		ok("elbv2 DescribeLoadBalancers by name", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"conf-alb"}})
		}),
		bad("elbv2 DescribeLoadBalancers unknown name", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"conf-none"}})
		}),
		bad("elbv2 DescribeLoadBalancers malformed ARN", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{"arn:nope"}})
		}),
		bad("elbv2 DescribeLoadBalancers PageSize too large", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
		}),
		ok("elbv2 DescribeLoadBalancerAttributes", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: c.id("lb")})
		}),
		ok("elbv2 ModifyLoadBalancerAttributes idle timeout", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: c.id("lb"),
				Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("30")}}})
		}),
		ok("elbv2 CreateTargetGroup", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("conf-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8000),
				VpcId: c.id("vpc"), TargetType: elbtypes.TargetTypeEnumInstance, HealthCheckPath: aws.String("/health")})
			if err == nil && len(out.TargetGroups) == 1 {
				c.ids["tg"] = aws.ToString(out.TargetGroups[0].TargetGroupArn)
			}
			return out, err
		}),
		ok("elbv2 CreateTargetGroup ip", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("conf-tg-ip"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8000),
				VpcId: c.id("vpc"), TargetType: elbtypes.TargetTypeEnumIp})
			if err == nil && len(out.TargetGroups) == 1 {
				c.ids["tgip"] = aws.ToString(out.TargetGroups[0].TargetGroupArn)
			}
			return out, err
		}),
		bad("elbv2 CreateTargetGroup bad protocol", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("conf-tg-bad"), Protocol: "HTTP3", Port: aws.Int32(80), VpcId: c.id("vpc")})
		}),
		bad("elbv2 CreateTargetGroup port out of range", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("conf-tg-port"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(70000), VpcId: c.id("vpc")})
		}),
		bad("elbv2 CreateTargetGroup unknown vpc", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("conf-tg-vpc"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-0123456789abcdef0")})
		}),
		ok("elbv2 DescribeTargetGroups by lb-less name", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"conf-tg"}})
		}),
		bad("elbv2 DescribeTargetGroups unknown name", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"conf-none"}})
		}),
		ok("elbv2 ModifyTargetGroup health path", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: c.id("tg"), HealthCheckPath: aws.String("/ready")})
		}),
		ok("elbv2 DescribeTargetGroupAttributes", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: c.id("tg")})
		}),
		ok("elbv2 ModifyTargetGroupAttributes deregistration delay", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: c.id("tg"),
				Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}})
		}),
		ok("elbv2 CreateListener", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: c.id("lb"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: c.id("tg")}}})
			if err == nil && len(out.Listeners) == 1 {
				c.ids["listener"] = aws.ToString(out.Listeners[0].ListenerArn)
			}
			return out, err
		}),
		ok("elbv2 CreateListener same settings again", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: c.id("lb"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: c.id("tg")}}})
		}),
		bad("elbv2 CreateListener missing default actions", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: c.id("lb"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(81)})
		}),
		bad("elbv2 CreateListener unknown target group", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: c.id("lb"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(82),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghost/0123456789abcdef")}}})
		}),
		ok("elbv2 DescribeListeners", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: c.id("lb")})
		}),
		bad("elbv2 DescribeListeners unknown listener", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/ghost/0123456789abcdef/0123456789abcdef"}})
		}),
		ok("elbv2 CreateRule", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: c.id("listener"), Priority: aws.Int32(10),
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api/*"}}}},
				Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: c.id("tg")}}})
			if err == nil && len(out.Rules) == 1 {
				c.ids["rule"] = aws.ToString(out.Rules[0].RuleArn)
			}
			return out, err
		}),
		bad("elbv2 CreateRule duplicate priority", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: c.id("listener"), Priority: aws.Int32(10),
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/v2/*"}}}},
				Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: c.id("tg")}}})
		}),
		bad("elbv2 CreateRule priority out of range", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: c.id("listener"), Priority: aws.Int32(50001),
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/v3/*"}}}},
				Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: c.id("tg")}}})
		}),
		ok("elbv2 DescribeRules", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: c.id("listener")})
		}),
		ok("elbv2 ModifyRule conditions", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: c.id("rule"),
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api/v1/*"}}}}})
		}),
		ok("elbv2 SetRulePriorities", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.SetRulePriorities(ctx, &elbv2.SetRulePrioritiesInput{RulePriorities: []elbtypes.RulePriorityPair{{RuleArn: c.id("rule"), Priority: aws.Int32(20)}}})
		}),
		ok("elbv2 RegisterTargets ip", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: c.id("tgip"), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.20.0.10"), Port: aws.Int32(8000)}}})
		}),
		bad("elbv2 RegisterTargets unknown group", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ghost/0123456789abcdef"),
				Targets: []elbtypes.TargetDescription{{Id: aws.String("10.20.0.10")}}})
		}),
		ok("elbv2 DescribeTargetHealth", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: c.id("tgip")})
		}),
		ok("elbv2 DeregisterTargets", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: c.id("tgip"), Targets: []elbtypes.TargetDescription{{Id: aws.String("10.20.0.10"), Port: aws.Int32(8000)}}})
		}),
		ok("elbv2 AddTags", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{c.ids["lb"], c.ids["tg"]}, Tags: []elbtypes.Tag{{Key: aws.String("team"), Value: aws.String("conf")}}})
		}),
		ok("elbv2 DescribeTags", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{c.ids["lb"], c.ids["tg"]}})
		}),
		bad("elbv2 DescribeTags unknown resource", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/ghost/0123456789abcdef"}})
		}),
		ok("elbv2 RemoveTags", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.RemoveTags(ctx, &elbv2.RemoveTagsInput{ResourceArns: []string{c.ids["tg"]}, TagKeys: []string{"team"}})
		}),
		bad("elbv2 DeleteTargetGroup in use", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: c.id("tg")})
		}),
	)

	// Auto Scaling
	add(
		ok("autoscaling CreateAutoScalingGroup", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg"),
				LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: c.id("lt"), Version: aws.String("$Latest")},
				MinSize:        aws.Int32(0), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(0), VPCZoneIdentifier: aws.String(c.ids["subnet0"] + "," + c.ids["subnet1"])})
		}),
		bad("autoscaling CreateAutoScalingGroup duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg"),
				LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: c.id("lt")}, MinSize: aws.Int32(0), MaxSize: aws.Int32(1), VPCZoneIdentifier: c.id("subnet0")})
		}),
		bad("autoscaling CreateAutoScalingGroup unknown template", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg2"),
				LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("conf-nolt")}, MinSize: aws.Int32(0), MaxSize: aws.Int32(1), VPCZoneIdentifier: c.id("subnet0")})
		}),
		quiet("autoscaling DeleteAutoScalingGroup conf-asg2 (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg2"), ForceDelete: aws.Bool(true)})
		}),
		bad("autoscaling CreateAutoScalingGroup missing MaxSize", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg3"),
				LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: c.id("lt")}, MinSize: aws.Int32(0), VPCZoneIdentifier: c.id("subnet0")})
		}),
		ok("autoscaling DescribeAutoScalingGroups", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"conf-asg"}})
		}),
		ok("autoscaling DescribeAutoScalingGroups unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"conf-none"}})
		}),
		bad("autoscaling DescribeAutoScalingGroups MaxRecords too large", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(101)})
		}),
		bad("autoscaling DescribeAutoScalingGroups bad token", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{NextToken: aws.String("garbage")})
		}),
		ok("autoscaling UpdateAutoScalingGroup max", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg"), MaxSize: aws.Int32(3)})
		}),
		bad("autoscaling UpdateAutoScalingGroup unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-none"), MaxSize: aws.Int32(3)})
		}),
		bad("autoscaling SetDesiredCapacity above max", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("conf-asg"), DesiredCapacity: aws.Int32(9)})
		}),
		ok("autoscaling CreateOrUpdateTags", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []asgtypes.Tag{{ResourceId: aws.String("conf-asg"), ResourceType: aws.String("auto-scaling-group"),
				Key: aws.String("team"), Value: aws.String("conf"), PropagateAtLaunch: aws.Bool(true)}}})
		}),
		ok("autoscaling DescribeTags", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeTags(ctx, &autoscaling.DescribeTagsInput{Filters: []asgtypes.Filter{{Name: aws.String("auto-scaling-group"), Values: []string{"conf-asg"}}}})
		}),
		ok("autoscaling DescribeScalingActivities", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("conf-asg")})
		}),
	)

	// ECS
	add(
		ok("ecs CreateCluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("conf")})
		}),
		ok("ecs DescribeClusters with a missing one", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"conf", "conf-ghost"}})
		}),
		ok("ecs ListClusters", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListClusters(ctx, &ecs.ListClustersInput{})
		}),
		bad("ecs ListClusters bad token", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListClusters(ctx, &ecs.ListClustersInput{NextToken: aws.String("garbage")})
		}),
		bad("ecs ListClusters maxResults too large", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(101)})
		}),
		ok("ecs CreateCapacityProvider", func(ctx context.Context, c *clients) (any, error) {
			group, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"conf-asg"}})
			arn := ""
			if err == nil && len(group.AutoScalingGroups) == 1 {
				arn = aws.ToString(group.AutoScalingGroups[0].AutoScalingGroupARN)
			}
			return c.ecs.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("conf-cp"),
				AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(arn),
					ManagedScaling: &ecstypes.ManagedScaling{Status: ecstypes.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(100)}}})
		}),
		bad("ecs CreateCapacityProvider duplicate", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("conf-cp"),
				AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/conf-asg")}})
		}),
		bad("ecs CreateCapacityProvider reserved name", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{Name: aws.String("FARGATE"),
				AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/conf-asg")}})
		}),
		ok("ecs DescribeCapacityProviders", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"conf-cp"}})
		}),
		ok("ecs PutClusterCapacityProviders", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("conf"), CapacityProviders: []string{"conf-cp"},
				DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("conf-cp"), Weight: 1}}})
		}),
		bad("ecs PutClusterCapacityProviders unknown cluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("conf-ghost"), CapacityProviders: []string{},
				DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{}})
		}),
		ok("ecs RegisterTaskDefinition", func(ctx context.Context, c *clients) (any, error) {
			out, err := c.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("conf-app"), NetworkMode: ecstypes.NetworkModeBridge,
				RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityEc2},
				ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("fastapi-dev:latest"), Memory: aws.Int32(128), Essential: aws.Bool(true),
					PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8000), Protocol: ecstypes.TransportProtocolTcp}}}}})
			if err == nil {
				c.ids["taskdef"] = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
			}
			return out, err
		}),
		bad("ecs RegisterTaskDefinition no containers", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("conf-empty")})
		}),
		bad("ecs RegisterTaskDefinition bad network mode", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("conf-bad"), NetworkMode: "mesh",
				ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"), Image: aws.String("x"), Memory: aws.Int32(128)}}})
		}),
		ok("ecs DescribeTaskDefinition", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("conf-app")})
		}),
		bad("ecs DescribeTaskDefinition unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("conf-ghost:1")})
		}),
		ok("ecs ListTaskDefinitions", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("conf-app")})
		}),
		ok("ecs CreateService", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("conf"), ServiceName: aws.String("web"), TaskDefinition: c.id("taskdef"),
				DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeEc2})
		}),
		bad("ecs CreateService unknown cluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("conf-ghost"), ServiceName: aws.String("web"), TaskDefinition: c.id("taskdef"), DesiredCount: aws.Int32(0)})
		}),
		bad("ecs CreateService unknown task definition", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("conf"), ServiceName: aws.String("web2"), TaskDefinition: aws.String("conf-ghost:1"), DesiredCount: aws.Int32(0)})
		}),
		bad("ecs CreateService bad launch type", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("conf"), ServiceName: aws.String("web3"), TaskDefinition: c.id("taskdef"), DesiredCount: aws.Int32(0), LaunchType: "MOON"})
		}),
		ok("ecs DescribeServices", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("conf"), Services: []string{"web", "ghost"}})
		}),
		ok("ecs ListServices", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("conf")})
		}),
		bad("ecs ListServices unknown cluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("conf-ghost")})
		}),
		ok("ecs UpdateService desired count", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("conf"), Service: aws.String("web"), DesiredCount: aws.Int32(0)})
		}),
		bad("ecs UpdateService unknown service", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("conf"), Service: aws.String("ghost"), DesiredCount: aws.Int32(1)})
		}),
		ok("ecs TagResource cluster", func(ctx context.Context, c *clients) (any, error) {
			cl, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"conf"}})
			arn := ""
			if err == nil && len(cl.Clusters) == 1 {
				arn = aws.ToString(cl.Clusters[0].ClusterArn)
				c.ids["cluster"] = arn
			}
			return c.ecs.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("conf")}}})
		}),
		ok("ecs ListTagsForResource cluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: c.id("cluster")})
		}),
		bad("ecs ListTagsForResource malformed ARN", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn")})
		}),
		ok("ecs ListTasks", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("conf")})
		}),
		ok("ecs DescribeTasks unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("conf"), Tasks: []string{"0123456789abcdef0123456789abcdef"}})
		}),
		bad("ecs StopTask unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("conf"), Task: aws.String("0123456789abcdef0123456789abcdef")})
		}),
		ok("ecs CreateCluster busy", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("conf-busy")})
		}),
		ok("ecs CreateService in busy", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("conf-busy"), ServiceName: aws.String("idle"), TaskDefinition: c.id("taskdef"),
				DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeEc2})
		}),
		bad("ecs DeleteCluster with service", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("conf-busy")})
		}),
		quiet("ecs DeleteService in busy (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("conf-busy"), Service: aws.String("idle"), Force: aws.Bool(true)})
		}),
		ok("ecs DeleteService", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("conf"), Service: aws.String("web"), Force: aws.Bool(true)})
		}),
		bad("ecs DeleteService unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("conf"), Service: aws.String("ghost")})
		}),
		ok("ecs DeregisterTaskDefinition", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: c.id("taskdef")})
		}),
		bad("ecs DeregisterTaskDefinition no revision", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("conf-app")})
		}),
		ok("ecs PutClusterCapacityProviders clear", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{Cluster: aws.String("conf"), CapacityProviders: []string{},
				DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{}})
		}),
		ok("ecs DeleteCapacityProvider", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("conf-cp")})
		}),
		ok("ecs wait services inactive", func(ctx context.Context, c *clients) (any, error) {
			w := ecs.NewServicesInactiveWaiter(c.ecs, func(o *ecs.ServicesInactiveWaiterOptions) {
				o.MinDelay = 100 * time.Millisecond
				o.MaxDelay = time.Second
			})
			err := w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("conf"), Services: []string{"web"}}, 60*time.Second)
			if err == nil {
				err = w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("conf-busy"), Services: []string{"idle"}}, 60*time.Second)
			}
			return nil, err
		}),
		quiet("ecs DeleteCluster busy (cleanup)", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("conf-busy")})
		}),
		ok("ecs DeleteCluster", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("conf")})
		}),
		bad("ecs DeleteCluster again", func(ctx context.Context, c *clients) (any, error) {
			return c.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("conf-never")})
		}),
	)

	// Teardown, in dependency order, with the in-use refusals along the way.
	add(
		ok("autoscaling DeleteAutoScalingGroup", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-asg"), ForceDelete: aws.Bool(true)})
		}),
		bad("autoscaling DeleteAutoScalingGroup unknown", func(ctx context.Context, c *clients) (any, error) {
			return c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("conf-none")})
		}),
		ok("elbv2 DeleteRule", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: c.id("rule")})
		}),
		ok("elbv2 DeleteListener", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: c.id("listener")})
		}),
		ok("elbv2 DeleteTargetGroup", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: c.id("tg")})
		}),
		ok("elbv2 DeleteTargetGroup ip", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: c.id("tgip")})
		}),
		ok("elbv2 DeleteLoadBalancer", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: c.id("lb")})
		}),
		ok("elbv2 DescribeTargetGroups after delete", func(ctx context.Context, c *clients) (any, error) {
			return c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{c.ids["tg"]}})
		}),
		ok("ec2 DeleteLaunchTemplate", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: c.id("lt")})
		}),
		bad("ec2 DeleteLaunchTemplate again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: c.id("lt")})
		}),
		ok("ec2 RevokeSecurityGroupIngress group rule", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: c.id("sgtask"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8000), ToPort: aws.Int32(8000),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: c.id("sgalb")}}}}})
		}),
		ok("ec2 DeleteSecurityGroup task", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: c.id("sgtask")})
		}),
		ok("ec2 DeleteSecurityGroup alb", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: c.id("sgalb")})
		}),
		bad("ec2 DeleteVpc with dependencies", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: c.id("vpc")})
		}),
		ok("ec2 DeleteRouteTable", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: c.id("rtb")})
		}),
		ok("ec2 DetachInternetGateway", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: c.id("igw"), VpcId: c.id("vpc")})
		}),
		bad("ec2 DetachInternetGateway again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: c.id("igw"), VpcId: c.id("vpc")})
		}),
		ok("ec2 DeleteInternetGateway", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: c.id("igw")})
		}),
		ok("ec2 DeleteSubnet 0", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: c.id("subnet0")})
		}),
		ok("ec2 DeleteSubnet 1", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: c.id("subnet1")})
		}),
		bad("ec2 DeleteSubnet again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: c.id("subnet1")})
		}),
		ok("ec2 DeleteVpc", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: c.id("vpc")})
		}),
		bad("ec2 DeleteVpc again", func(ctx context.Context, c *clients) (any, error) {
			return c.ec2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: c.id("vpc")})
		}),
		ok("iam RemoveRoleFromInstanceProfile", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("conf-profile"), RoleName: aws.String("conf-role")})
		}),
		ok("iam DeleteInstanceProfile", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("conf-profile")})
		}),
		ok("iam DetachRolePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: c.id("policy")})
		}),
		bad("iam DetachRolePolicy not attached", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("conf-role"), PolicyArn: c.id("policy")})
		}),
		ok("iam DeleteRolePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("conf-role"), PolicyName: aws.String("inline")})
		}),
		ok("iam DeleteRole", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("conf-role")})
		}),
		bad("iam DeleteRole again", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("conf-role")})
		}),
		ok("iam DeletePolicy", func(ctx context.Context, c *clients) (any, error) {
			return c.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: c.id("policy")})
		}),
		ok("logs DeleteLogGroup", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/conf/app")})
		}),
		bad("logs DeleteLogGroup again", func(ctx context.Context, c *clients) (any, error) {
			return c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/conf/app")})
		}),
	)
	return s
}
