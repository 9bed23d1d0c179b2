package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ---- VPCs ----

func vpcWire(v *Vpc) wire.Vpc {
	return wire.Vpc{
		VpcId: v.ID, OwnerId: v.OwnerID, State: v.State, CidrBlock: v.CidrBlock,
		CidrBlockAssociationSet: cidrAssociations(v),
		DhcpOptionsId:           v.DhcpOptionsID, InstanceTenancy: v.InstanceTenancy, IsDefault: ptr(v.IsDefault), Tags: tagsOut(v.Tags),
	}
}

func cidrAssociations(v *Vpc) ec2query.List[wire.VpcCidrBlockAssociation] {
	out := ec2query.List[wire.VpcCidrBlockAssociation]{}
	for _, c := range v.cidrs() {
		out = append(out, cidrAssociationWire(c, "associated"))
	}
	return out
}

// cidrAssociationWire is one of a VPC's IPv4 blocks in the given state.
func cidrAssociationWire(c VpcCidr, state string) wire.VpcCidrBlockAssociation {
	return wire.VpcCidrBlockAssociation{AssociationId: c.AssociationID, CidrBlock: c.CidrBlock, CidrBlockState: &wire.VpcCidrBlockState{State: state}}
}

func (b *Backend) handleCreateVpc(ctx context.Context, in *wire.CreateVpcRequest) (*wire.CreateVpcResult, error) {
	if boolValue(in.AmazonProvidedIpv6CidrBlock) {
		return nil, invalidParameterValue("IPv6 CIDR blocks are not supported by the local cloud")
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "vpc")
	if err != nil {
		return nil, err
	}
	vpc, err := b.createVpc(ctx, createVpcRequest{CidrBlock: in.CidrBlock, InstanceTenancy: in.InstanceTenancy, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := vpcWire(vpc)
	out.State = "pending" // as AWS answers; it is available at once
	return &wire.CreateVpcResult{Vpc: &out}, nil
}

func (b *Backend) handleDescribeVpcs(ctx context.Context, in *wire.DescribeVpcsRequest) (*wire.DescribeVpcsResult, error) {
	var page []*Vpc
	var next string
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[Vpc](tx, tableVpcs)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindVpc, all, func(v *Vpc) string { return v.ID }, in.VpcIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(v *Vpc) map[string]string { return v.Tags }, func(v *Vpc) fieldValues { return v.filterValues })
		if err != nil {
			return err
		}
		page, next, err = paginate(selected, func(v *Vpc) string { return v.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeVpcsResult{Vpcs: ec2query.List[wire.Vpc]{}, NextToken: next}
	for _, v := range page {
		out.Vpcs = append(out.Vpcs, vpcWire(v))
	}
	return out, nil
}

func (b *Backend) handleModifyVpcAttribute(ctx context.Context, in *wire.ModifyVpcAttributeRequest) (*wire.Return, error) {
	if in.VpcId == "" {
		return nil, missingParameter("VpcId")
	}
	var attribute string
	var value *wire.AttributeBooleanValue
	count := 0
	for name, v := range map[string]*wire.AttributeBooleanValue{"enableDnsHostnames": in.EnableDnsHostnames, "enableDnsSupport": in.EnableDnsSupport,
		"enableNetworkAddressUsageMetrics": in.EnableNetworkAddressUsageMetrics} {
		if v != nil {
			attribute, value = name, v
			count++
		}
	}
	switch {
	case count == 0:
		return nil, missingParameter("EnableDnsHostnames, EnableDnsSupport or EnableNetworkAddressUsageMetrics")
	case count > 1:
		return nil, invalidParameterCombination("Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport")
	case value.Value == nil:
		return nil, missingParameter(attribute + ".Value")
	}
	// The model gives ModifyVpcAttribute (and ModifySubnetAttribute) no
	// DryRun: the SDKs send none.
	if err := b.modifyVpcAttribute(ctx, in.VpcId, attribute, *value.Value, false); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDescribeVpcAttribute(ctx context.Context, in *wire.DescribeVpcAttributeRequest) (*wire.DescribeVpcAttributeResult, error) {
	if in.VpcId == "" {
		return nil, missingParameter("VpcId")
	}
	if in.Attribute == "" {
		return nil, missingParameter("Attribute")
	}
	out := &wire.DescribeVpcAttributeResult{VpcId: in.VpcId}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, in.VpcId)
		if err != nil {
			return err
		}
		switch in.Attribute {
		case "enableDnsSupport":
			out.EnableDnsSupport = &wire.AttributeBooleanValue{Value: ptr(vpc.EnableDNSSupport)}
		case "enableDnsHostnames":
			out.EnableDnsHostnames = &wire.AttributeBooleanValue{Value: ptr(vpc.EnableDNSHostnames)}
		case "enableNetworkAddressUsageMetrics":
			out.EnableNetworkAddressUsageMetrics = &wire.AttributeBooleanValue{Value: ptr(vpc.EnableNetworkAddressUsageMetrics)}
		default:
			return invalidParameterValue("Value (%s) for parameter attribute is invalid. Unknown attribute.", in.Attribute)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDeleteVpc(ctx context.Context, in *wire.DeleteVpcRequest) (*wire.Return, error) {
	if in.VpcId == "" {
		return nil, missingParameter("VpcId")
	}
	if err := b.deleteVpc(ctx, in.VpcId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

// ---- Subnets ----

func subnetWire(s *Subnet, used int) wire.Subnet {
	return wire.Subnet{
		SubnetId: s.ID, SubnetArn: s.ARN, State: s.State, VpcId: s.VpcID, OwnerId: s.OwnerID, CidrBlock: s.CidrBlock,
		AvailableIpAddressCount: ptr(s.availableAddresses(used)), AvailabilityZone: s.AvailabilityZone, AvailabilityZoneId: s.AvailabilityZoneID,
		DefaultForAz: ptr(s.DefaultForAz), MapPublicIpOnLaunch: ptr(s.MapPublicIPOnLaunch), MapCustomerOwnedIpOnLaunch: ptr(false),
		AssignIpv6AddressOnCreation: ptr(s.AssignIpv6AddressOnCreation), EnableDns64: ptr(s.EnableDNS64), Ipv6Native: ptr(false),
		PrivateDnsNameOptionsOnLaunch: &wire.PrivateDnsNameOptionsOnLaunch{HostnameType: "ip-name",
			EnableResourceNameDnsARecord: ptr(false), EnableResourceNameDnsAAAARecord: ptr(false)},
		Tags: tagsOut(s.Tags),
	}
}

func (b *Backend) handleCreateSubnet(ctx context.Context, in *wire.CreateSubnetRequest) (*wire.CreateSubnetResult, error) {
	if in.Ipv6CidrBlock != "" || boolValue(in.Ipv6Native) {
		return nil, invalidParameterValue("IPv6 subnets are not supported by the local cloud")
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "subnet")
	if err != nil {
		return nil, err
	}
	subnet, err := b.createSubnet(ctx, createSubnetRequest{VpcID: in.VpcId, CidrBlock: in.CidrBlock,
		AvailabilityZone: in.AvailabilityZone, AvailabilityZoneID: in.AvailabilityZoneId, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := subnetWire(subnet, 0)
	out.State = "pending" // as AWS answers; it is available at once
	return &wire.CreateSubnetResult{Subnet: &out}, nil
}

func (b *Backend) handleDescribeSubnets(ctx context.Context, in *wire.DescribeSubnetsRequest) (*wire.DescribeSubnetsResult, error) {
	out := &wire.DescribeSubnetsResult{Subnets: ec2query.List[wire.Subnet]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		used, err := usedAddresses(tx)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindSubnet, all, func(s *Subnet) string { return s.ID }, in.SubnetIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(s *Subnet) map[string]string { return s.Tags },
			func(s *Subnet) fieldValues { return s.filterValues(used[s.ID]) })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(s *Subnet) string { return s.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, s := range page {
			out.Subnets = append(out.Subnets, subnetWire(s, used[s.ID]))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleModifySubnetAttribute(ctx context.Context, in *wire.ModifySubnetAttributeRequest) (*wire.Return, error) {
	if in.SubnetId == "" {
		return nil, missingParameter("SubnetId")
	}
	var attribute string
	var value *wire.AttributeBooleanValue
	count := 0
	for name, v := range map[string]*wire.AttributeBooleanValue{"MapPublicIpOnLaunch": in.MapPublicIpOnLaunch,
		"AssignIpv6AddressOnCreation": in.AssignIpv6AddressOnCreation, "EnableDns64": in.EnableDns64} {
		if v != nil {
			attribute, value = name, v
			count++
		}
	}
	switch {
	case count == 0:
		return nil, missingParameter("MapPublicIpOnLaunch")
	case count > 1:
		return nil, invalidParameterCombination("Specify only one attribute per request")
	case value.Value == nil:
		return nil, missingParameter(attribute + ".Value")
	}
	if err := b.modifySubnetAttribute(ctx, in.SubnetId, attribute, *value.Value, false); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDeleteSubnet(ctx context.Context, in *wire.DeleteSubnetRequest) (*wire.Return, error) {
	if in.SubnetId == "" {
		return nil, missingParameter("SubnetId")
	}
	if err := b.deleteSubnet(ctx, in.SubnetId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

// ---- Internet gateways ----

func internetGatewayWire(g *InternetGateway) wire.InternetGateway {
	item := wire.InternetGateway{InternetGatewayId: g.ID, OwnerId: g.OwnerID, Attachments: ec2query.List[wire.InternetGatewayAttachment]{}, Tags: tagsOut(g.Tags)}
	if g.VpcID != "" {
		item.Attachments = append(item.Attachments, wire.InternetGatewayAttachment{VpcId: g.VpcID, State: "available"})
	}
	return item
}

func (b *Backend) handleCreateInternetGateway(ctx context.Context, in *wire.CreateInternetGatewayRequest) (*wire.CreateInternetGatewayResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "internet-gateway")
	if err != nil {
		return nil, err
	}
	gateway, err := b.createInternetGateway(ctx, tags, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := internetGatewayWire(gateway)
	return &wire.CreateInternetGatewayResult{InternetGateway: &out}, nil
}

func checkGatewayAndVpc(gatewayID, vpcID string) error {
	if gatewayID == "" {
		return missingParameter("InternetGatewayId")
	}
	if vpcID == "" {
		return missingParameter("VpcId")
	}
	return nil
}

func (b *Backend) handleAttachInternetGateway(ctx context.Context, in *wire.AttachInternetGatewayRequest) (*wire.Return, error) {
	if err := checkGatewayAndVpc(in.InternetGatewayId, in.VpcId); err != nil {
		return nil, err
	}
	if err := b.attachInternetGateway(ctx, in.InternetGatewayId, in.VpcId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDetachInternetGateway(ctx context.Context, in *wire.DetachInternetGatewayRequest) (*wire.Return, error) {
	if err := checkGatewayAndVpc(in.InternetGatewayId, in.VpcId); err != nil {
		return nil, err
	}
	if err := b.detachInternetGateway(ctx, in.InternetGatewayId, in.VpcId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDeleteInternetGateway(ctx context.Context, in *wire.DeleteInternetGatewayRequest) (*wire.Return, error) {
	if in.InternetGatewayId == "" {
		return nil, missingParameter("InternetGatewayId")
	}
	if err := b.deleteInternetGateway(ctx, in.InternetGatewayId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDescribeInternetGateways(ctx context.Context, in *wire.DescribeInternetGatewaysRequest) (*wire.DescribeInternetGatewaysResult, error) {
	out := &wire.DescribeInternetGatewaysResult{InternetGateways: ec2query.List[wire.InternetGateway]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[InternetGateway](tx, tableInternetGateways)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindInternetGateway, all, func(g *InternetGateway) string { return g.ID }, in.InternetGatewayIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(g *InternetGateway) map[string]string { return g.Tags },
			func(g *InternetGateway) fieldValues { return g.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *InternetGateway) string { return g.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, g := range page {
			out.InternetGateways = append(out.InternetGateways, internetGatewayWire(g))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- Route tables ----

func routeTableWire(t *RouteTable) wire.RouteTable {
	item := wire.RouteTable{RouteTableId: t.ID, VpcId: t.VpcID, OwnerId: t.OwnerID, Routes: ec2query.List[wire.Route]{},
		Associations: ec2query.List[wire.RouteTableAssociation]{}, Tags: tagsOut(t.Tags)}
	for _, r := range t.Routes {
		route := wire.Route{
			DestinationCidrBlock: r.DestinationCidrBlock, DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock,
			DestinationPrefixListId: r.DestinationPrefixListID, GatewayId: r.Target.GatewayID, NatGatewayId: r.Target.NatGatewayID,
			InstanceId: r.Target.InstanceID, NetworkInterfaceId: r.Target.NetworkInterfaceID,
			VpcPeeringConnectionId: r.Target.VpcPeeringConnectionID, TransitGatewayId: r.Target.TransitGatewayID,
			EgressOnlyInternetGatewayId: r.Target.EgressOnlyInternetGatewayID, LocalGatewayId: r.Target.LocalGatewayID,
			CarrierGatewayId: r.Target.CarrierGatewayID, State: "active", Origin: r.Origin,
		}
		if r.Target.InstanceID != "" {
			route.InstanceOwnerId = t.OwnerID
		}
		item.Routes = append(item.Routes, route)
	}
	for _, a := range t.Associations {
		item.Associations = append(item.Associations, wire.RouteTableAssociation{RouteTableAssociationId: a.ID, RouteTableId: t.ID,
			SubnetId: a.SubnetID, GatewayId: a.GatewayID, Main: ptr(a.Main), AssociationState: associated()})
	}
	return item
}

func associated() *wire.RouteTableAssociationState {
	return &wire.RouteTableAssociationState{State: "associated"}
}

func (b *Backend) handleCreateRouteTable(ctx context.Context, in *wire.CreateRouteTableRequest) (*wire.CreateRouteTableResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "route-table")
	if err != nil {
		return nil, err
	}
	table, err := b.createRouteTable(ctx, in.VpcId, tags, in.ClientToken, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := routeTableWire(table)
	return &wire.CreateRouteTableResult{RouteTable: &out, ClientToken: in.ClientToken}, nil
}

// routeRequestOf reads a route call's table, destination and target.
func routeRequestOf(table, cidr, ipv6Cidr, prefixList string, target RouteTarget) (routeRequest, error) {
	if table == "" {
		return routeRequest{}, missingParameter("RouteTableId")
	}
	return routeRequest{RouteTableID: table, DestinationCidrBlock: cidr, DestinationIpv6CidrBlock: ipv6Cidr,
		DestinationPrefixListID: prefixList, Target: target}, nil
}

func (b *Backend) handleCreateRoute(ctx context.Context, in *wire.CreateRouteRequest) (*wire.CreateRouteResult, error) {
	req, err := routeRequestOf(in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, RouteTarget{
		GatewayID: in.GatewayId, NatGatewayID: in.NatGatewayId, InstanceID: in.InstanceId, NetworkInterfaceID: in.NetworkInterfaceId,
		VpcPeeringConnectionID: in.VpcPeeringConnectionId, TransitGatewayID: in.TransitGatewayId,
		EgressOnlyInternetGatewayID: in.EgressOnlyInternetGatewayId, LocalGatewayID: in.LocalGatewayId,
		CarrierGatewayID: in.CarrierGatewayId, VpcEndpointID: in.VpcEndpointId})
	if err != nil {
		return nil, err
	}
	if err := b.createRoute(ctx, req, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.CreateRouteResult{Return: ptr(true)}, nil
}

func (b *Backend) handleReplaceRoute(ctx context.Context, in *wire.ReplaceRouteRequest) (*wire.Return, error) {
	req, err := routeRequestOf(in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, RouteTarget{
		GatewayID: in.GatewayId, NatGatewayID: in.NatGatewayId, InstanceID: in.InstanceId, NetworkInterfaceID: in.NetworkInterfaceId,
		VpcPeeringConnectionID: in.VpcPeeringConnectionId, TransitGatewayID: in.TransitGatewayId,
		EgressOnlyInternetGatewayID: in.EgressOnlyInternetGatewayId, LocalGatewayID: in.LocalGatewayId,
		CarrierGatewayID: in.CarrierGatewayId, VpcEndpointID: in.VpcEndpointId})
	if err != nil {
		return nil, err
	}
	if err := b.replaceRoute(ctx, req, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDeleteRoute(ctx context.Context, in *wire.DeleteRouteRequest) (*wire.Return, error) {
	req, err := routeRequestOf(in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, RouteTarget{})
	if err != nil {
		return nil, err
	}
	if err := b.deleteRoute(ctx, req, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleAssociateRouteTable(ctx context.Context, in *wire.AssociateRouteTableRequest) (*wire.AssociateRouteTableResult, error) {
	if in.RouteTableId == "" {
		return nil, missingParameter("RouteTableId")
	}
	id, err := b.associateRouteTable(ctx, in.RouteTableId, in.SubnetId, in.GatewayId, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.AssociateRouteTableResult{AssociationId: id, AssociationState: associated()}, nil
}

func (b *Backend) handleDisassociateRouteTable(ctx context.Context, in *wire.DisassociateRouteTableRequest) (*wire.Return, error) {
	if err := b.disassociateRouteTable(ctx, in.AssociationId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleReplaceRouteTableAssociation(ctx context.Context, in *wire.ReplaceRouteTableAssociationRequest) (*wire.ReplaceRouteTableAssociationResult, error) {
	if in.RouteTableId == "" {
		return nil, missingParameter("RouteTableId")
	}
	id, err := b.replaceRouteTableAssociation(ctx, in.AssociationId, in.RouteTableId, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.ReplaceRouteTableAssociationResult{NewAssociationId: id, AssociationState: associated()}, nil
}

func (b *Backend) handleDescribeRouteTables(ctx context.Context, in *wire.DescribeRouteTablesRequest) (*wire.DescribeRouteTablesResult, error) {
	out := &wire.DescribeRouteTablesResult{RouteTables: ec2query.List[wire.RouteTable]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindRouteTable, all, func(t *RouteTable) string { return t.ID }, in.RouteTableIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(t *RouteTable) map[string]string { return t.Tags },
			func(t *RouteTable) fieldValues { return t.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(t *RouteTable) string { return t.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, t := range page {
			out.RouteTables = append(out.RouteTables, routeTableWire(t))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDeleteRouteTable(ctx context.Context, in *wire.DeleteRouteTableRequest) (*wire.Return, error) {
	if in.RouteTableId == "" {
		return nil, missingParameter("RouteTableId")
	}
	if err := b.deleteRouteTable(ctx, in.RouteTableId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

// ---- Network ACLs ----

func (b *Backend) handleDescribeNetworkAcls(ctx context.Context, in *wire.DescribeNetworkAclsRequest) (*wire.DescribeNetworkAclsResult, error) {
	out := &wire.DescribeNetworkAclsResult{NetworkAcls: ec2query.List[wire.NetworkAcl]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[NetworkACL](tx, tableNetworkACLs)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindNetworkACL, all, func(a *NetworkACL) string { return a.ID }, in.NetworkAclIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(a *NetworkACL) map[string]string { return a.Tags },
			func(a *NetworkACL) fieldValues { return a.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(a *NetworkACL) string { return a.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, a := range page {
			item := wire.NetworkAcl{NetworkAclId: a.ID, VpcId: a.VpcID, OwnerId: a.OwnerID, IsDefault: ptr(a.IsDefault),
				Entries: ec2query.List[wire.NetworkAclEntry]{}, Associations: ec2query.List[wire.NetworkAclAssociation]{}, Tags: tagsListed(a.Tags)}
			for _, e := range a.Entries {
				item.Entries = append(item.Entries, wire.NetworkAclEntry{RuleNumber: ptr(e.RuleNumber), Protocol: e.Protocol,
					RuleAction: e.RuleAction, Egress: ptr(e.Egress), CidrBlock: e.CidrBlock})
			}
			for _, assoc := range a.Associations {
				item.Associations = append(item.Associations, wire.NetworkAclAssociation{NetworkAclAssociationId: assoc.ID, NetworkAclId: a.ID,
					SubnetId: assoc.SubnetID})
			}
			out.NetworkAcls = append(out.NetworkAcls, item)
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
