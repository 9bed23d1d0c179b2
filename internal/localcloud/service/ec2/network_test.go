package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func tagSpec(resourceType types.ResourceType, key, value string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: resourceType, Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}}}}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func TestZonesAndAccountAttributes(t *testing.T) {
	f := start(t)
	zones := must[*awsec2.DescribeAvailabilityZonesOutput](t)(f.client.DescribeAvailabilityZones(ctx, &awsec2.DescribeAvailabilityZonesInput{}))
	if len(zones.AvailabilityZones) != 3 || aws.ToString(zones.AvailabilityZones[0].ZoneName) != "us-east-1a" ||
		aws.ToString(zones.AvailabilityZones[2].ZoneId) != "use1-az3" || zones.AvailabilityZones[0].State != types.AvailabilityZoneStateAvailable {
		t.Fatalf("zones: %+v", zones.AvailabilityZones)
	}
	west := must[*awsec2.DescribeAvailabilityZonesOutput](t)(newClient(f.endpoint, "eu-west-1").DescribeAvailabilityZones(ctx, &awsec2.DescribeAvailabilityZonesInput{}))
	if aws.ToString(west.AvailabilityZones[1].ZoneName) != "eu-west-1b" || aws.ToString(west.AvailabilityZones[1].ZoneId) != "euw1-az2" {
		t.Fatalf("eu-west-1 zones: %+v", west.AvailabilityZones[1])
	}
	attrs := must[*awsec2.DescribeAccountAttributesOutput](t)(f.client.DescribeAccountAttributes(ctx, &awsec2.DescribeAccountAttributesInput{
		AttributeNames: []types.AccountAttributeName{types.AccountAttributeNameSupportedPlatforms, types.AccountAttributeNameDefaultVpc}}))
	if len(attrs.AccountAttributes) != 2 || aws.ToString(attrs.AccountAttributes[0].AttributeValues[0].AttributeValue) != "VPC" {
		t.Fatalf("account attributes: %+v", attrs.AccountAttributes)
	}
}

func TestVpcLifecycle(t *testing.T) {
	f := start(t)
	c := f.client
	created := must[*awsec2.CreateVpcOutput](t)(c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
		TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "web")}))
	vpcID := aws.ToString(created.Vpc.VpcId)
	if len(created.Vpc.Tags) != 1 || aws.ToString(created.Vpc.CidrBlock) != "10.0.0.0/16" {
		t.Fatalf("created vpc: %+v", created.Vpc)
	}

	// CreateVpc made the main route table, default group and default ACL.
	main := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("association.main", "true")}}))
	if len(main.RouteTables) != 1 || aws.ToString(main.RouteTables[0].Routes[0].GatewayId) != "local" {
		t.Fatalf("main route table: %+v", main.RouteTables)
	}
	groups := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("group-name", "default")}}))
	if len(groups.SecurityGroups) != 1 || len(groups.SecurityGroups[0].IpPermissions) != 1 ||
		aws.ToString(groups.SecurityGroups[0].IpPermissions[0].UserIdGroupPairs[0].GroupId) != aws.ToString(groups.SecurityGroups[0].GroupId) {
		t.Fatalf("default group: %+v", groups.SecurityGroups)
	}
	acls := must[*awsec2.DescribeNetworkAclsOutput](t)(c.DescribeNetworkAcls(ctx, &awsec2.DescribeNetworkAclsInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("default", "true")}}))
	if len(acls.NetworkAcls) != 1 || len(acls.NetworkAcls[0].Entries) != 4 {
		t.Fatalf("default ACL: %+v", acls.NetworkAcls)
	}

	for _, tc := range []struct {
		name    string
		filters []types.Filter
		ids     []string
		want    int
		code    string
	}{
		{name: "by id", ids: []string{vpcID}, want: 1},
		{name: "tag", filters: []types.Filter{filter("tag:Name", "web")}, want: 1},
		{name: "tag wildcard", filters: []types.Filter{filter("tag:Name", "w*")}, want: 1},
		{name: "tag-key", filters: []types.Filter{filter("tag-key", "Name")}, want: 1},
		{name: "cidr", filters: []types.Filter{filter("cidr", "10.0.0.0/16")}, want: 1},
		// The region's default VPC is the other one.
		{name: "is-default", filters: []types.Filter{filter("is-default", "true")}, want: 1},
		{name: "not default", filters: []types.Filter{filter("is-default", "false")}, want: 1},
		{name: "default by tag", filters: []types.Filter{filter("is-default", "true"), filter("tag:Name", "web")}, want: 0},
		{name: "no match", filters: []types.Filter{filter("tag:Name", "api")}, want: 0},
		{name: "unknown id", ids: []string{"vpc-0123456789abcdef0"}, code: "InvalidVpcID.NotFound"},
		{name: "malformed id", ids: []string{"vpc-x"}, code: "InvalidVpcID.Malformed"},
		{name: "bad filter", filters: []types.Filter{filter("colour", "blue")}, code: "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: tc.ids, Filters: tc.filters})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && len(out.Vpcs) != tc.want {
				t.Fatalf("got %d vpcs, want %d", len(out.Vpcs), tc.want)
			}
		})
	}

	// DNS attributes, one per call.
	must[*awsec2.ModifyVpcAttributeOutput](t)(c.ModifyVpcAttribute(ctx, &awsec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	attr := must[*awsec2.DescribeVpcAttributeOutput](t)(c.DescribeVpcAttribute(ctx, &awsec2.DescribeVpcAttributeInput{VpcId: aws.String(vpcID),
		Attribute: types.VpcAttributeNameEnableDnsHostnames}))
	if !aws.ToBool(attr.EnableDnsHostnames.Value) {
		t.Fatalf("enableDnsHostnames not set: %+v", attr)
	}
	_, err := c.ModifyVpcAttribute(ctx, &awsec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcID),
		EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	localcloudtest.WantCode(t, err, "InvalidParameterCombination")

	// Subnets: inside the VPC, no overlaps.
	subnet := must[*awsec2.CreateSubnetOutput](t)(c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpcID),
		CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})).Subnet
	if aws.ToString(subnet.AvailabilityZoneId) != "use1-az2" || aws.ToInt32(subnet.AvailableIpAddressCount) != 251 {
		t.Fatalf("subnet: %+v", subnet)
	}
	for _, tc := range []struct{ cidr, code string }{
		{"10.0.1.128/25", "InvalidSubnet.Conflict"},
		{"10.1.0.0/24", "InvalidSubnet.Range"},
		{"10.0.0.0/29", "InvalidSubnet.Range"},
		{"10.0.2.1/24", "InvalidParameterValue"},
	} {
		_, err := c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String(tc.cidr)})
		localcloudtest.WantCode(t, err, tc.code)
	}
	must[*awsec2.ModifySubnetAttributeOutput](t)(c.ModifySubnetAttribute(ctx, &awsec2.ModifySubnetAttributeInput{SubnetId: subnet.SubnetId,
		MapPublicIpOnLaunch: &types.AttributeBooleanValue{Value: aws.Bool(true)}}))
	subnets := must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("availability-zone", "us-east-1b")}}))
	if len(subnets.Subnets) != 1 || !aws.ToBool(subnets.Subnets[0].MapPublicIpOnLaunch) {
		t.Fatalf("subnets: %+v", subnets.Subnets)
	}

	// Internet gateway and a public route table.
	igw := aws.ToString(must[*awsec2.CreateInternetGatewayOutput](t)(c.CreateInternetGateway(ctx, &awsec2.CreateInternetGatewayInput{})).InternetGateway.InternetGatewayId)
	rtb := aws.ToString(must[*awsec2.CreateRouteTableOutput](t)(c.CreateRouteTable(ctx, &awsec2.CreateRouteTableInput{VpcId: aws.String(vpcID)})).RouteTable.RouteTableId)
	_, err = c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	localcloudtest.WantCode(t, err, "InvalidParameterValue") // not attached to this VPC yet
	must[*awsec2.AttachInternetGatewayOutput](t)(c.AttachInternetGateway(ctx, &awsec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)}))
	_, err = c.AttachInternetGateway(ctx, &awsec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "Resource.AlreadyAssociated")
	attached := must[*awsec2.DescribeInternetGatewaysOutput](t)(c.DescribeInternetGateways(ctx, &awsec2.DescribeInternetGatewaysInput{
		Filters: []types.Filter{filter("attachment.vpc-id", vpcID)}}))
	if len(attached.InternetGateways) != 1 || attached.InternetGateways[0].Attachments[0].State != types.AttachmentStatus("available") {
		t.Fatalf("attached gateways: %+v", attached.InternetGateways)
	}
	must[*awsec2.CreateRouteOutput](t)(c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)}))
	_, err = c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)})
	localcloudtest.WantCode(t, err, "RouteAlreadyExists")
	must[*awsec2.ReplaceRouteOutput](t)(c.ReplaceRoute(ctx, &awsec2.ReplaceRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)}))
	assoc := aws.ToString(must[*awsec2.AssociateRouteTableOutput](t)(c.AssociateRouteTable(ctx, &awsec2.AssociateRouteTableInput{RouteTableId: aws.String(rtb), SubnetId: subnet.SubnetId})).AssociationId)
	_, err = c.AssociateRouteTable(ctx, &awsec2.AssociateRouteTableInput{RouteTableId: aws.String(rtb), SubnetId: subnet.SubnetId})
	localcloudtest.WantCode(t, err, "Resource.AlreadyAssociated")
	bySubnet := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("association.subnet-id", aws.ToString(subnet.SubnetId))}}))
	if len(bySubnet.RouteTables) != 1 || aws.ToString(bySubnet.RouteTables[0].RouteTableId) != rtb || len(bySubnet.RouteTables[0].Routes) != 2 {
		t.Fatalf("route tables of subnet: %+v", bySubnet.RouteTables)
	}

	// Everything in the VPC keeps it alive; each removal is checked.
	deleteVpc := func(code string) {
		t.Helper()
		_, err := c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
		localcloudtest.WantCode(t, err, code)
	}
	_, err = c.DeleteRouteTable(ctx, &awsec2.DeleteRouteTableInput{RouteTableId: aws.String(rtb)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	_, err = c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	deleteVpc("DependencyViolation")
	must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: subnet.SubnetId}))
	_, err = c.DisassociateRouteTable(ctx, &awsec2.DisassociateRouteTableInput{AssociationId: aws.String(assoc)})
	localcloudtest.WantCode(t, err, "InvalidAssociationID.NotFound") // the subnet's deletion took its association
	deleteVpc("DependencyViolation")
	must[*awsec2.DeleteRouteOutput](t)(c.DeleteRoute(ctx, &awsec2.DeleteRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0")}))
	_, err = c.DeleteRoute(ctx, &awsec2.DeleteRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0")})
	localcloudtest.WantCode(t, err, "InvalidRoute.NotFound")
	must[*awsec2.DeleteRouteTableOutput](t)(c.DeleteRouteTable(ctx, &awsec2.DeleteRouteTableInput{RouteTableId: aws.String(rtb)}))
	deleteVpc("DependencyViolation")
	_, err = c.DetachInternetGateway(ctx, &awsec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String("vpc-0123456789abcdef0")})
	localcloudtest.WantCode(t, err, "InvalidVpcID.NotFound")
	must[*awsec2.DetachInternetGatewayOutput](t)(c.DetachInternetGateway(ctx, &awsec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)}))
	_, err = c.DetachInternetGateway(ctx, &awsec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "Gateway.NotAttached")
	must[*awsec2.DeleteInternetGatewayOutput](t)(c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)}))
	deleteVpc("")
	deleteVpc("InvalidVpcID.NotFound")
	byVpc := []types.Filter{filter("vpc-id", vpcID)}
	left := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{Filters: byVpc}))
	leftGroups := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{Filters: byVpc}))
	leftACLs := must[*awsec2.DescribeNetworkAclsOutput](t)(c.DescribeNetworkAcls(ctx, &awsec2.DescribeNetworkAclsInput{Filters: byVpc}))
	if len(left.RouteTables) != 0 || len(leftGroups.SecurityGroups) != 0 || len(leftACLs.NetworkAcls) != 0 {
		t.Fatalf("DeleteVpc left %d route tables, %d groups and %d ACLs", len(left.RouteTables), len(leftGroups.SecurityGroups), len(leftACLs.NetworkAcls))
	}
}

func TestUnknownIDsAndDryRun(t *testing.T) {
	f := start(t)
	c := f.client
	const missing = "0123456789abcdef0"
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"subnet", func() error {
			_, err := c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-" + missing}})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"group", func() error {
			_, err := c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-" + missing}})
			return err
		}, "InvalidGroup.NotFound"},
		{"internet gateway", func() error {
			_, err := c.DeleteInternetGateway(ctx, &awsec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String("igw-" + missing)})
			return err
		}, "InvalidInternetGatewayID.NotFound"},
		{"route table", func() error {
			_, err := c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-" + missing}})
			return err
		}, "InvalidRouteTableID.NotFound"},
		{"launch template id", func() error {
			_, err := c.DescribeLaunchTemplateVersions(ctx, &awsec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("lt-" + missing)})
			return err
		}, "InvalidLaunchTemplateId.NotFound"},
		{"launch template name", func() error {
			_, err := c.DeleteLaunchTemplate(ctx, &awsec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String("nope")})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException"},
		{"instance", func() error {
			_, err := c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{"i-" + missing}})
			return err
		}, "InvalidInstanceID.NotFound"},
		{"terminate instance", func() error {
			_, err := c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{"i-" + missing}})
			return err
		}, "InvalidInstanceID.NotFound"},
		{"image", func() error {
			_, err := c.DescribeImages(ctx, &awsec2.DescribeImagesInput{ImageIds: []string{"ami-" + missing}})
			return err
		}, "InvalidAMIID.NotFound"},
		{"dry-run create", func() error {
			_, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"), DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"dry-run describe", func() error {
			_, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"dry-run that would fail", func() error {
			_, err := c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8"), DryRun: aws.Bool(true)})
			return err
		}, "InvalidVpc.Range"},
	} {
		t.Run(tc.name, func(t *testing.T) { localcloudtest.WantCode(t, tc.call(), tc.code) })
	}
	vpcs := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "false")}}))
	if len(vpcs.Vpcs) != 0 {
		t.Fatalf("a dry run created %d VPCs", len(vpcs.Vpcs))
	}
}

func TestDescribePagination(t *testing.T) {
	f := start(t)
	for i := range 7 {
		_, err := f.client.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10." + string(rune('0'+i)) + ".0.0/16")})
		localcloudtest.WantCode(t, err, "")
	}
	paginator := awsec2.NewDescribeVpcsPaginator(f.client, &awsec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	seen := map[string]bool{}
	pages := 0
	for paginator.HasMorePages() {
		page := must[*awsec2.DescribeVpcsOutput](t)(paginator.NextPage(ctx))
		pages++
		for _, v := range page.Vpcs {
			seen[aws.ToString(v.VpcId)] = true
		}
	}
	if pages != 2 || len(seen) != 8 { // the seven and the default VPC
		t.Fatalf("got %d pages and %d vpcs, want 2 and 8", pages, len(seen))
	}
	_, err := f.client.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{MaxResults: aws.Int32(2)})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")
}
