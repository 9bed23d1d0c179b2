package ec2

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ---- Secondary CIDR blocks ----

func (b *Backend) handleAssociateVpcCidrBlock(ctx context.Context, in *wire.AssociateVpcCidrBlockRequest) (*wire.AssociateVpcCidrBlockResult, error) {
	if boolValue(in.AmazonProvidedIpv6CidrBlock) || in.Ipv6CidrBlock != "" || in.Ipv6Pool != "" || in.Ipv6IpamPoolId != "" || in.Ipv4IpamPoolId != "" {
		return nil, invalidParameterValue("IPv6 and IPAM blocks are not supported by the local cloud")
	}
	vpc, added, err := b.associateVpcCidrBlock(ctx, in.VpcId, in.CidrBlock)
	if err != nil {
		return nil, err
	}
	return &wire.AssociateVpcCidrBlockResult{VpcId: vpc.ID, CidrBlockAssociation: ptr(cidrAssociationWire(added, "associating"))}, nil
}

func (b *Backend) handleDisassociateVpcCidrBlock(ctx context.Context, in *wire.DisassociateVpcCidrBlockRequest) (*wire.DisassociateVpcCidrBlockResult, error) {
	vpc, removed, err := b.disassociateVpcCidrBlock(ctx, in.AssociationId)
	if err != nil {
		return nil, err
	}
	return &wire.DisassociateVpcCidrBlockResult{VpcId: vpc.ID, CidrBlockAssociation: ptr(cidrAssociationWire(removed, "disassociating"))}, nil
}

// ---- Egress-only internet gateways ----

func egressOnlyWire(g *EgressOnlyInternetGateway) wire.EgressOnlyInternetGateway {
	return wire.EgressOnlyInternetGateway{EgressOnlyInternetGatewayId: g.ID,
		Attachments: ec2query.List[wire.InternetGatewayAttachment]{{VpcId: g.VpcID, State: "attached"}}, Tags: tagsListed(g.Tags)}
}

func (b *Backend) handleCreateEgressOnlyInternetGateway(ctx context.Context, in *wire.CreateEgressOnlyInternetGatewayRequest) (*wire.CreateEgressOnlyInternetGatewayResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "egress-only-internet-gateway")
	if err != nil {
		return nil, err
	}
	g, err := b.createEgressOnlyInternetGateway(ctx, in.VpcId, in.ClientToken, tags, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := egressOnlyWire(g)
	return &wire.CreateEgressOnlyInternetGatewayResult{ClientToken: in.ClientToken, EgressOnlyInternetGateway: &item}, nil
}

func (b *Backend) handleDescribeEgressOnlyInternetGateways(ctx context.Context, in *wire.DescribeEgressOnlyInternetGatewaysRequest) (*wire.DescribeEgressOnlyInternetGatewaysResult, error) {
	out := &wire.DescribeEgressOnlyInternetGatewaysResult{EgressOnlyInternetGateways: ec2query.List[wire.EgressOnlyInternetGateway]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[EgressOnlyInternetGateway](tx, tableEgressOnlyGateways)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindEgressOnlyGateway, all, func(g *EgressOnlyInternetGateway) string { return g.ID }, in.EgressOnlyInternetGatewayIds)
		if err != nil {
			return err
		}
		// The model documents only the tag filters for this call.
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(g *EgressOnlyInternetGateway) map[string]string { return g.Tags },
			func(*EgressOnlyInternetGateway) fieldValues {
				return func(string) ([]string, bool) { return nil, false }
			})
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *EgressOnlyInternetGateway) string { return g.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, g := range page {
			out.EgressOnlyInternetGateways = append(out.EgressOnlyInternetGateways, egressOnlyWire(g))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDeleteEgressOnlyInternetGateway(ctx context.Context, in *wire.DeleteEgressOnlyInternetGatewayRequest) (*wire.DeleteEgressOnlyInternetGatewayResult, error) {
	if err := b.deleteEgressOnlyInternetGateway(ctx, in.EgressOnlyInternetGatewayId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.DeleteEgressOnlyInternetGatewayResult{ReturnCode: ptr(true)}, nil
}

// ---- DHCP options ----

func dhcpOptionsWire(o *DhcpOptions) wire.DhcpOptions {
	item := wire.DhcpOptions{DhcpOptionsId: o.ID, OwnerId: o.OwnerID, DhcpConfigurations: ec2query.List[wire.DhcpConfiguration]{},
		Tags: tagsListed(o.Tags)}
	for _, c := range o.Configurations {
		config := wire.DhcpConfiguration{Key: c.Key, Values: ec2query.List[wire.AttributeValue]{}}
		for _, v := range c.Values {
			config.Values = append(config.Values, wire.AttributeValue{Value: v})
		}
		item.DhcpConfigurations = append(item.DhcpConfigurations, config)
	}
	return item
}

func (b *Backend) handleCreateDhcpOptions(ctx context.Context, in *wire.CreateDhcpOptionsRequest) (*wire.CreateDhcpOptionsResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "dhcp-options")
	if err != nil {
		return nil, err
	}
	var configs []DhcpConfiguration
	for _, c := range in.DhcpConfigurations {
		values := []string(c.Values)
		if c.Key == "domain-name-servers" || c.Key == "ntp-servers" || c.Key == "netbios-name-servers" {
			// A comma-separated value is a list (the CLI's shorthand sends one).
			values = nil
			for _, v := range c.Values {
				for _, part := range strings.Split(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						values = append(values, part)
					}
				}
			}
		}
		configs = append(configs, DhcpConfiguration{Key: c.Key, Values: values})
	}
	options, err := b.createDhcpOptions(ctx, configs, tags, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := dhcpOptionsWire(options)
	return &wire.CreateDhcpOptionsResult{DhcpOptions: &item}, nil
}

func (b *Backend) handleAssociateDhcpOptions(ctx context.Context, in *wire.AssociateDhcpOptionsRequest) (*wire.Return, error) {
	if in.VpcId == "" {
		return nil, missingParameter("VpcId")
	}
	if err := b.associateDhcpOptions(ctx, in.DhcpOptionsId, in.VpcId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDescribeDhcpOptions(ctx context.Context, in *wire.DescribeDhcpOptionsRequest) (*wire.DescribeDhcpOptionsResult, error) {
	out := &wire.DescribeDhcpOptionsResult{DhcpOptions: ec2query.List[wire.DhcpOptions]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[DhcpOptions](tx, tableDhcpOptions)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindDhcpOptions, all, func(o *DhcpOptions) string { return o.ID }, in.DhcpOptionsIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(o *DhcpOptions) map[string]string { return o.Tags },
			func(o *DhcpOptions) fieldValues { return o.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(o *DhcpOptions) string { return o.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, o := range page {
			out.DhcpOptions = append(out.DhcpOptions, dhcpOptionsWire(o))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDeleteDhcpOptions(ctx context.Context, in *wire.DeleteDhcpOptionsRequest) (*wire.Return, error) {
	if in.DhcpOptionsId == "" {
		return nil, missingParameter("DhcpOptionsId")
	}
	if err := b.deleteDhcpOptions(ctx, in.DhcpOptionsId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

// ---- Prefix lists ----

// selectPrefixLists is what DescribePrefixLists and
// DescribeManagedPrefixLists share: the region's AWS-managed lists, by id
// and filter, one page of them.
func selectPrefixLists(ctx context.Context, ids []string, filters []wire.Filter, maxResults *int, nextToken string, filterNames []string) ([]*prefixList, string, error) {
	for _, f := range filters {
		if !slices.Contains(filterNames, f.Name) && !strings.HasPrefix(f.Name, "tag") {
			return nil, "", invalidParameterValue("The filter '%s' is invalid", f.Name)
		}
	}
	selected, err := selectByID(kindPrefixList, prefixListsOf(region(ctx)), func(p *prefixList) string { return p.ID }, ids)
	if err != nil {
		return nil, "", err
	}
	selected, err = filterItems(selected, filtersFrom(filters), func(*prefixList) map[string]string { return nil },
		func(p *prefixList) fieldValues { return p.filterValues })
	if err != nil {
		return nil, "", err
	}
	return paginate(selected, func(p *prefixList) string { return p.ID }, maxResultsOf(maxResults), tokenOf(nextToken), 5)
}

func (b *Backend) handleDescribePrefixLists(ctx context.Context, in *wire.DescribePrefixListsRequest) (*wire.DescribePrefixListsResult, error) {
	page, next, err := selectPrefixLists(ctx, in.PrefixListIds, in.Filters, in.MaxResults, in.NextToken, []string{"prefix-list-id", "prefix-list-name"})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribePrefixListsResult{PrefixLists: ec2query.List[wire.PrefixList]{}, NextToken: next}
	for _, p := range page {
		out.PrefixLists = append(out.PrefixLists, wire.PrefixList{PrefixListId: p.ID, PrefixListName: p.Name,
			Cidrs: append(ec2query.List[string]{}, p.Cidrs...)})
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	return out, nil
}

func (b *Backend) handleDescribeManagedPrefixLists(ctx context.Context, in *wire.DescribeManagedPrefixListsRequest) (*wire.DescribeManagedPrefixListsResult, error) {
	page, next, err := selectPrefixLists(ctx, in.PrefixListIds, in.Filters, in.MaxResults, in.NextToken, []string{"owner-id", "prefix-list-id", "prefix-list-name"})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeManagedPrefixListsResult{PrefixLists: ec2query.List[wire.ManagedPrefixList]{}, NextToken: next}
	for _, p := range page {
		out.PrefixLists = append(out.PrefixLists, wire.ManagedPrefixList{PrefixListId: p.ID, AddressFamily: "IPv4", State: "create-complete",
			PrefixListArn: "arn:aws:ec2:" + p.Region + ":aws:prefix-list/" + p.ID, PrefixListName: p.Name, MaxEntries: ptr(len(p.Cidrs)),
			Version: ptr(1), OwnerId: "AWS", Tags: tagsListed(nil)})
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	return out, nil
}

// ---- VPC endpoints ----

func vpcEndpointWire(e *VpcEndpoint, names groupNames) wire.VpcEndpoint {
	item := wire.VpcEndpoint{VpcEndpointId: e.ID, VpcEndpointType: e.Type, VpcId: e.VpcID, ServiceName: e.ServiceName, State: e.State,
		PolicyDocument: e.PolicyDocument, RouteTableIds: append(ec2query.List[string]{}, e.RouteTableIDs...),
		SubnetIds: append(ec2query.List[string]{}, e.SubnetIDs...), Groups: names.identifiers(e.SecurityGroupIDs), IpAddressType: "ipv4",
		PrivateDnsEnabled: ptr(e.PrivateDNSEnabled), RequesterManaged: ptr(false),
		NetworkInterfaceIds: append(ec2query.List[string]{}, e.NetworkInterfaceIDs...), DnsEntries: ec2query.List[wire.DnsEntry]{},
		CreationTimestamp: ptr(protocol.XMLTime(e.CreationTime)), OwnerId: e.OwnerID, Tags: tagsListed(e.Tags)}
	if e.Type == "Interface" {
		if reg, service, ok := splitServiceName(e.ServiceName); ok {
			item.DnsEntries = append(item.DnsEntries, wire.DnsEntry{DnsName: e.ID + "-" + stableSuffix(e.ID)[:8] + "." + service + "." + reg + ".vpce.amazonaws.com",
				HostedZoneId: "Z7HUB22UULQXV"})
		}
	}
	return item
}

func (b *Backend) endpointGroupNames(ctx context.Context) (groupNames, error) {
	var names groupNames
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		names, err = loadGroupNames(tx)
		return err
	})
	return names, err
}

func (b *Backend) handleCreateVpcEndpoint(ctx context.Context, in *wire.CreateVpcEndpointRequest) (*wire.CreateVpcEndpointResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "vpc-endpoint")
	if err != nil {
		return nil, err
	}
	e, err := b.createVpcEndpoint(ctx, createVpcEndpointRequest{Type: in.VpcEndpointType, VpcID: in.VpcId, ServiceName: in.ServiceName,
		PolicyDocument: in.PolicyDocument, ClientToken: in.ClientToken, RouteTableIDs: in.RouteTableIds, SubnetIDs: in.SubnetIds,
		SecurityGroupIDs: in.SecurityGroupIds, PrivateDNSEnabled: in.PrivateDnsEnabled, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	names, err := b.endpointGroupNames(ctx)
	if err != nil {
		return nil, err
	}
	item := vpcEndpointWire(e, names)
	return &wire.CreateVpcEndpointResult{VpcEndpoint: &item, ClientToken: in.ClientToken}, nil
}

func (b *Backend) handleDescribeVpcEndpoints(ctx context.Context, in *wire.DescribeVpcEndpointsRequest) (*wire.DescribeVpcEndpointsResult, error) {
	out := &wire.DescribeVpcEndpointsResult{VpcEndpoints: ec2query.List[wire.VpcEndpoint]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[VpcEndpoint](tx, tableVpcEndpoints)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindVpcEndpoint, all, func(e *VpcEndpoint) string { return e.ID }, in.VpcEndpointIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(e *VpcEndpoint) map[string]string { return e.Tags },
			func(e *VpcEndpoint) fieldValues { return e.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(e *VpcEndpoint) string { return e.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		names, err := loadGroupNames(tx)
		if err != nil {
			return err
		}
		for _, e := range page {
			out.VpcEndpoints = append(out.VpcEndpoints, vpcEndpointWire(e, names))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleModifyVpcEndpoint(ctx context.Context, in *wire.ModifyVpcEndpointRequest) (*wire.ModifyVpcEndpointResult, error) {
	err := b.modifyVpcEndpoint(ctx, modifyVpcEndpointRequest{ID: in.VpcEndpointId, PolicyDocument: in.PolicyDocument, ResetPolicy: boolValue(in.ResetPolicy),
		PrivateDNSEnabled: in.PrivateDnsEnabled, change: endpointChange{addTables: in.AddRouteTableIds, removeTables: in.RemoveRouteTableIds,
			addSubnets: in.AddSubnetIds, removeSubnets: in.RemoveSubnetIds, addGroups: in.AddSecurityGroupIds, removeGroups: in.RemoveSecurityGroupIds}},
		boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.ModifyVpcEndpointResult{Return: ptr(true)}, nil
}

func (b *Backend) handleDeleteVpcEndpoints(ctx context.Context, in *wire.DeleteVpcEndpointsRequest) (*wire.DeleteVpcEndpointsResult, error) {
	failed, err := b.deleteVpcEndpoints(ctx, in.VpcEndpointIds, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := &wire.DeleteVpcEndpointsResult{Unsuccessful: ec2query.List[wire.UnsuccessfulItem]{}}
	for _, id := range in.VpcEndpointIds {
		if pe, ok := failed[id]; ok {
			out.Unsuccessful = append(out.Unsuccessful, wire.UnsuccessfulItem{ResourceId: id,
				Error: &wire.UnsuccessfulItemError{Code: pe.Code, Message: pe.Message}})
		}
	}
	return out, nil
}
