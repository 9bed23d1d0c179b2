package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func TestSecondaryCidrBlocks(t *testing.T) {
	c := start(t).client
	vpcID, _ := network(t, c)
	added := must[*awsec2.AssociateVpcCidrBlockOutput](t)(c.AssociateVpcCidrBlock(ctx, &awsec2.AssociateVpcCidrBlockInput{
		VpcId: aws.String(vpcID), CidrBlock: aws.String("10.1.0.0/16")}))
	assoc := added.CidrBlockAssociation.AssociationId
	for _, tc := range []struct{ cidr, code string }{
		{"10.1.128.0/17", "InvalidVpc.Range"},
		{"10.0.0.0/8", "InvalidVpc.Range"},
	} {
		_, err := c.AssociateVpcCidrBlock(ctx, &awsec2.AssociateVpcCidrBlockInput{VpcId: aws.String(vpcID), CidrBlock: aws.String(tc.cidr)})
		localcloudtest.WantCode(t, err, tc.code)
	}
	vpcs := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{
		Filters: []types.Filter{filter("cidr-block-association.cidr-block", "10.1.0.0/16")}}))
	if len(vpcs.Vpcs) != 1 || len(vpcs.Vpcs[0].CidrBlockAssociationSet) != 2 || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "10.0.0.0/16" {
		t.Fatalf("vpcs: %+v", vpcs.Vpcs)
	}
	main := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("route.destination-cidr-block", "10.1.0.0/16")}}))
	if len(main.RouteTables) != 1 {
		t.Fatalf("no local route to the new block: %+v", main.RouteTables)
	}
	subnet := must[*awsec2.CreateSubnetOutput](t)(c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.1.2.0/24")}))
	_, err := c.DisassociateVpcCidrBlock(ctx, &awsec2.DisassociateVpcCidrBlockInput{AssociationId: assoc})
	localcloudtest.WantCode(t, err, "InvalidCidrBlock.InUse")
	_, err = c.DisassociateVpcCidrBlock(ctx, &awsec2.DisassociateVpcCidrBlockInput{AssociationId: vpcs.Vpcs[0].CidrBlockAssociationSet[0].AssociationId})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")
	must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: subnet.Subnet.SubnetId}))
	must[*awsec2.DisassociateVpcCidrBlockOutput](t)(c.DisassociateVpcCidrBlock(ctx, &awsec2.DisassociateVpcCidrBlockInput{AssociationId: assoc}))
	_, err = c.DisassociateVpcCidrBlock(ctx, &awsec2.DisassociateVpcCidrBlockInput{AssociationId: assoc})
	localcloudtest.WantCode(t, err, "InvalidVpcCidrBlockAssociationID.NotFound")
}

func TestEgressOnlyGatewaysAndDhcpOptions(t *testing.T) {
	c := start(t).client
	vpcID, _ := network(t, c)

	eigw := must[*awsec2.CreateEgressOnlyInternetGatewayOutput](t)(c.CreateEgressOnlyInternetGateway(ctx, &awsec2.CreateEgressOnlyInternetGatewayInput{
		VpcId: aws.String(vpcID), ClientToken: aws.String("eigw"), TagSpecifications: tagSpec(types.ResourceTypeEgressOnlyInternetGateway, "Name", "v6")}))
	id := aws.ToString(eigw.EgressOnlyInternetGateway.EgressOnlyInternetGatewayId)
	again := must[*awsec2.CreateEgressOnlyInternetGatewayOutput](t)(c.CreateEgressOnlyInternetGateway(ctx, &awsec2.CreateEgressOnlyInternetGatewayInput{
		VpcId: aws.String(vpcID), ClientToken: aws.String("eigw"), TagSpecifications: tagSpec(types.ResourceTypeEgressOnlyInternetGateway, "Name", "v6")}))
	if aws.ToString(again.EgressOnlyInternetGateway.EgressOnlyInternetGatewayId) != id {
		t.Fatal("the same client token made a second egress-only gateway")
	}
	listed := must[*awsec2.DescribeEgressOnlyInternetGatewaysOutput](t)(c.DescribeEgressOnlyInternetGateways(ctx, &awsec2.DescribeEgressOnlyInternetGatewaysInput{
		Filters: []types.Filter{filter("tag:Name", "v6")}}))
	if len(listed.EgressOnlyInternetGateways) != 1 || aws.ToString(listed.EgressOnlyInternetGateways[0].Attachments[0].VpcId) != vpcID {
		t.Fatalf("egress-only gateways: %+v", listed.EgressOnlyInternetGateways)
	}
	_, err := c.DescribeEgressOnlyInternetGateways(ctx, &awsec2.DescribeEgressOnlyInternetGatewaysInput{Filters: []types.Filter{filter("vpc-id", vpcID)}})
	localcloudtest.WantCode(t, err, "InvalidParameterValue") // the model documents only tag filters here
	rtb := must[*awsec2.CreateRouteTableOutput](t)(c.CreateRouteTable(ctx, &awsec2.CreateRouteTableInput{VpcId: aws.String(vpcID)}))
	must[*awsec2.CreateRouteOutput](t)(c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: rtb.RouteTable.RouteTableId,
		DestinationIpv6CidrBlock: aws.String("::/0"), EgressOnlyInternetGatewayId: aws.String(id)}))
	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	must[*awsec2.DeleteEgressOnlyInternetGatewayOutput](t)(c.DeleteEgressOnlyInternetGateway(ctx, &awsec2.DeleteEgressOnlyInternetGatewayInput{EgressOnlyInternetGatewayId: aws.String(id)}))
	_, err = c.DeleteEgressOnlyInternetGateway(ctx, &awsec2.DeleteEgressOnlyInternetGatewayInput{EgressOnlyInternetGatewayId: aws.String(id)})
	localcloudtest.WantCode(t, err, "InvalidGatewayID.NotFound")

	// DHCP options: the region's set is every new VPC's until changed.
	vpcs := must[*awsec2.DescribeVpcsOutput](t)(c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{VpcIds: []string{vpcID}}))
	regional := aws.ToString(vpcs.Vpcs[0].DhcpOptionsId)
	sets := must[*awsec2.DescribeDhcpOptionsOutput](t)(c.DescribeDhcpOptions(ctx, &awsec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{regional}}))
	if len(sets.DhcpOptions) != 1 || aws.ToString(sets.DhcpOptions[0].DhcpConfigurations[0].Values[0].Value) != "ec2.internal" {
		t.Fatalf("the region's DHCP options: %+v", sets.DhcpOptions)
	}
	created := must[*awsec2.CreateDhcpOptionsOutput](t)(c.CreateDhcpOptions(ctx, &awsec2.CreateDhcpOptionsInput{
		DhcpConfigurations: []types.NewDhcpConfiguration{{Key: aws.String("domain-name"), Values: []string{"corp.example"}},
			{Key: aws.String("domain-name-servers"), Values: []string{"10.0.0.2", "10.0.0.3"}}},
		TagSpecifications: tagSpec(types.ResourceTypeDhcpOptions, "Name", "corp")}))
	dopt := aws.ToString(created.DhcpOptions.DhcpOptionsId)
	_, err = c.CreateDhcpOptions(ctx, &awsec2.CreateDhcpOptionsInput{DhcpConfigurations: []types.NewDhcpConfiguration{{Key: aws.String("colour"), Values: []string{"red"}}}})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")
	must[*awsec2.AssociateDhcpOptionsOutput](t)(c.AssociateDhcpOptions(ctx, &awsec2.AssociateDhcpOptionsInput{DhcpOptionsId: aws.String(dopt), VpcId: aws.String(vpcID)}))
	for _, tc := range []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"key", []types.Filter{filter("key", "domain-name-servers"), filter("dhcp-options-id", dopt)}, 1},
		{"value", []types.Filter{filter("value", "10.0.0.3")}, 1},
		{"domain-name", []types.Filter{filter("domain-name", "corp.example")}, 1},
		{"tag", []types.Filter{filter("tag:Name", "corp")}, 1},
		{"owner-id", []types.Filter{filter("owner-id", "000000000000")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*awsec2.DescribeDhcpOptionsOutput](t)(c.DescribeDhcpOptions(ctx, &awsec2.DescribeDhcpOptionsInput{Filters: tc.filters}))
			if len(out.DhcpOptions) != tc.want {
				t.Fatalf("got %d sets, want %d", len(out.DhcpOptions), tc.want)
			}
		})
	}
	_, err = c.DeleteDhcpOptions(ctx, &awsec2.DeleteDhcpOptionsInput{DhcpOptionsId: aws.String(dopt)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	must[*awsec2.AssociateDhcpOptionsOutput](t)(c.AssociateDhcpOptions(ctx, &awsec2.AssociateDhcpOptionsInput{DhcpOptionsId: aws.String("default"), VpcId: aws.String(vpcID)}))
	must[*awsec2.DeleteDhcpOptionsOutput](t)(c.DeleteDhcpOptions(ctx, &awsec2.DeleteDhcpOptionsInput{DhcpOptionsId: aws.String(dopt)}))
	_, err = c.AssociateDhcpOptions(ctx, &awsec2.AssociateDhcpOptionsInput{DhcpOptionsId: aws.String(dopt), VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "InvalidDhcpOptionID.NotFound")
}

func TestPrefixListsAndEndpoints(t *testing.T) {
	c := start(t).client
	vpcID, subnetID := network(t, c)

	lists := must[*awsec2.DescribePrefixListsOutput](t)(c.DescribePrefixLists(ctx, &awsec2.DescribePrefixListsInput{
		Filters: []types.Filter{filter("prefix-list-name", "com.amazonaws.us-east-1.s3")}}))
	if len(lists.PrefixLists) != 1 || len(lists.PrefixLists[0].Cidrs) == 0 {
		t.Fatalf("prefix lists: %+v", lists.PrefixLists)
	}
	s3List := aws.ToString(lists.PrefixLists[0].PrefixListId)
	managed := must[*awsec2.DescribeManagedPrefixListsOutput](t)(c.DescribeManagedPrefixLists(ctx, &awsec2.DescribeManagedPrefixListsInput{
		PrefixListIds: []string{s3List}}))
	if len(managed.PrefixLists) != 1 || aws.ToString(managed.PrefixLists[0].OwnerId) != "AWS" ||
		aws.ToString(managed.PrefixLists[0].PrefixListName) != "com.amazonaws.us-east-1.s3" {
		t.Fatalf("managed prefix lists: %+v", managed.PrefixLists)
	}
	west := must[*awsec2.DescribeManagedPrefixListsOutput](t)(newClient(start(t).endpoint, "eu-west-1").DescribeManagedPrefixLists(ctx,
		&awsec2.DescribeManagedPrefixListsInput{Filters: []types.Filter{filter("owner-id", "AWS")}}))
	if len(west.PrefixLists) != 2 || aws.ToString(west.PrefixLists[1].PrefixListName) != "com.amazonaws.eu-west-1.s3" &&
		aws.ToString(west.PrefixLists[0].PrefixListName) != "com.amazonaws.eu-west-1.s3" {
		t.Fatalf("eu-west-1 prefix lists: %+v", west.PrefixLists)
	}
	_, err := c.DescribePrefixLists(ctx, &awsec2.DescribePrefixListsInput{Filters: []types.Filter{filter("owner-id", "AWS")}})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeManagedPrefixLists(ctx, &awsec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{"pl-0123456789abcdef0"}})
	localcloudtest.WantCode(t, err, "InvalidPrefixListID.NotFound")

	// A Gateway endpoint routes the service's prefix list in its tables.
	main := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("vpc-id", vpcID), filter("association.main", "true")}}))
	rtb := aws.ToString(main.RouteTables[0].RouteTableId)
	gateway := must[*awsec2.CreateVpcEndpointOutput](t)(c.CreateVpcEndpoint(ctx, &awsec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID),
		ServiceName: aws.String("com.amazonaws.us-east-1.s3"), RouteTableIds: []string{rtb},
		TagSpecifications: tagSpec(types.ResourceTypeVpcEndpoint, "Name", "s3")}))
	gatewayID := aws.ToString(gateway.VpcEndpoint.VpcEndpointId)
	// AWS answers "available", lower case, whatever the model's enum says
	// (Terraform's waiters match on that).
	if gateway.VpcEndpoint.VpcEndpointType != types.VpcEndpointTypeGateway || gateway.VpcEndpoint.State != "available" {
		t.Fatalf("gateway endpoint: %+v", gateway.VpcEndpoint)
	}
	routed := must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("route.destination-prefix-list-id", s3List)}}))
	if len(routed.RouteTables) != 1 {
		t.Fatalf("no route to the S3 prefix list: %+v", routed.RouteTables)
	}

	// An Interface endpoint holds an interface per subnet, with its groups.
	iface := must[*awsec2.CreateVpcEndpointOutput](t)(c.CreateVpcEndpoint(ctx, &awsec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID),
		VpcEndpointType: types.VpcEndpointTypeInterface, ServiceName: aws.String("com.amazonaws.us-east-1.ecr.api"), SubnetIds: []string{subnetID}}))
	ifaceID := aws.ToString(iface.VpcEndpoint.VpcEndpointId)
	if len(iface.VpcEndpoint.NetworkInterfaceIds) != 1 || len(iface.VpcEndpoint.Groups) != 1 || len(iface.VpcEndpoint.DnsEntries) != 1 ||
		!aws.ToBool(iface.VpcEndpoint.PrivateDnsEnabled) {
		t.Fatalf("interface endpoint: %+v", iface.VpcEndpoint)
	}
	for _, tc := range []struct {
		name string
		in   *awsec2.CreateVpcEndpointInput
		code string
	}{
		{"unknown service", &awsec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID), ServiceName: aws.String("com.example.nothing")}, "InvalidServiceName"},
		{"gateway for a service without one", &awsec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID), ServiceName: aws.String("com.amazonaws.us-east-1.sqs")}, "InvalidParameterValue"},
		{"second route to the list", &awsec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
			RouteTableIds: []string{rtb}}, "RouteAlreadyExists"},
		{"unknown vpc", &awsec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-0123456789abcdef0"), ServiceName: aws.String("com.amazonaws.us-east-1.s3")}, "InvalidVpcID.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateVpcEndpoint(ctx, tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	for _, tc := range []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"vpc-id", []types.Filter{filter("vpc-id", vpcID)}, 2},
		{"service-name", []types.Filter{filter("service-name", "com.amazonaws.us-east-1.s3")}, 1},
		{"vpc-endpoint-type", []types.Filter{filter("vpc-endpoint-type", "Interface")}, 1},
		{"vpc-endpoint-state", []types.Filter{filter("vpc-endpoint-state", "available")}, 2},
		{"tag", []types.Filter{filter("tag:Name", "s3")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*awsec2.DescribeVpcEndpointsOutput](t)(c.DescribeVpcEndpoints(ctx, &awsec2.DescribeVpcEndpointsInput{Filters: tc.filters}))
			if len(out.VpcEndpoints) != tc.want {
				t.Fatalf("got %d endpoints, want %d", len(out.VpcEndpoints), tc.want)
			}
		})
	}

	// ModifyVpcEndpoint takes the route away with the table.
	must[*awsec2.ModifyVpcEndpointOutput](t)(c.ModifyVpcEndpoint(ctx, &awsec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(gatewayID),
		RemoveRouteTableIds: []string{rtb}, PolicyDocument: aws.String(`{"Statement":[]}`)}))
	routed = must[*awsec2.DescribeRouteTablesOutput](t)(c.DescribeRouteTables(ctx, &awsec2.DescribeRouteTablesInput{
		Filters: []types.Filter{filter("route.destination-prefix-list-id", s3List)}}))
	described := must[*awsec2.DescribeVpcEndpointsOutput](t)(c.DescribeVpcEndpoints(ctx, &awsec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{gatewayID}}))
	if len(routed.RouteTables) != 0 || len(described.VpcEndpoints[0].RouteTableIds) != 0 || aws.ToString(described.VpcEndpoints[0].PolicyDocument) != `{"Statement":[]}` {
		t.Fatalf("after ModifyVpcEndpoint: routes %+v, endpoint %+v", routed.RouteTables, described.VpcEndpoints[0])
	}

	_, err = c.DeleteVpc(ctx, &awsec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	deleted := must[*awsec2.DeleteVpcEndpointsOutput](t)(c.DeleteVpcEndpoints(ctx, &awsec2.DeleteVpcEndpointsInput{
		VpcEndpointIds: []string{gatewayID, ifaceID, "vpce-0123456789abcdef0"}}))
	if len(deleted.Unsuccessful) != 1 || aws.ToString(deleted.Unsuccessful[0].ResourceId) != "vpce-0123456789abcdef0" {
		t.Fatalf("DeleteVpcEndpoints: %+v", deleted.Unsuccessful)
	}
	interfaces := must[*awsec2.DescribeNetworkInterfacesOutput](t)(c.DescribeNetworkInterfaces(ctx, &awsec2.DescribeNetworkInterfacesInput{
		Filters: []types.Filter{filter("interface-type", "vpc_endpoint")}}))
	if len(interfaces.NetworkInterfaces) != 0 {
		t.Fatalf("the endpoint's interfaces stayed: %+v", interfaces.NetworkInterfaces)
	}
}
