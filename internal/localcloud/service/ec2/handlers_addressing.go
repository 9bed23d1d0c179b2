package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ---- Elastic IPs ----

func (b *Backend) handleAllocateAddress(ctx context.Context, in *wire.AllocateAddressRequest) (*wire.AllocateAddressResult, error) {
	if in.Address != "" || (in.PublicIpv4Pool != "" && in.PublicIpv4Pool != "amazon") {
		return nil, invalidParameterValue("Bring-your-own addresses and pools are not supported by the local cloud")
	}
	if in.NetworkBorderGroup != "" && in.NetworkBorderGroup != region(ctx) {
		return nil, invalidParameterValue("Invalid network border group: %s", in.NetworkBorderGroup)
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "elastic-ip")
	if err != nil {
		return nil, err
	}
	a, err := b.allocateAddress(ctx, in.Domain, tags, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.AllocateAddressResult{AllocationId: a.AllocationID, PublicIp: a.PublicIP, PublicIpv4Pool: "amazon",
		NetworkBorderGroup: a.NetworkBorderGroup, Domain: "vpc"}, nil
}

func (b *Backend) handleAssociateAddress(ctx context.Context, in *wire.AssociateAddressRequest) (*wire.AssociateAddressResult, error) {
	id, err := b.associateAddress(ctx, associateAddressRequest{AllocationID: in.AllocationId, PublicIP: in.PublicIp, InstanceID: in.InstanceId,
		NetworkInterfaceID: in.NetworkInterfaceId, PrivateIP: in.PrivateIpAddress, AllowReassociation: boolValue(in.AllowReassociation)},
		boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.AssociateAddressResult{AssociationId: id}, nil
}

func (b *Backend) handleDisassociateAddress(ctx context.Context, in *wire.DisassociateAddressRequest) (*wire.Return, error) {
	if err := b.disassociateAddress(ctx, in.AssociationId, in.PublicIp, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleReleaseAddress(ctx context.Context, in *wire.ReleaseAddressRequest) (*wire.Return, error) {
	if in.AllocationId == "" && in.PublicIp == "" {
		return nil, missingParameter("AllocationId")
	}
	if err := b.releaseAddress(ctx, in.AllocationId, in.PublicIp, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDescribeAddresses(ctx context.Context, in *wire.DescribeAddressesRequest) (*wire.DescribeAddressesResult, error) {
	out := &wire.DescribeAddressesResult{Addresses: ec2query.List[wire.Address]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[Address](tx, tableAddresses)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindAddress, all, func(a *Address) string { return a.AllocationID }, in.AllocationIds)
		if err != nil {
			return err
		}
		for _, ip := range in.PublicIps {
			if !slices.ContainsFunc(selected, func(a *Address) bool { return a.PublicIP == ip }) {
				return errorf("InvalidAddress.NotFound", "Address '%s' not found.", ip)
			}
		}
		if len(in.PublicIps) > 0 {
			selected = slices.DeleteFunc(selected, func(a *Address) bool { return !slices.Contains(in.PublicIps, a.PublicIP) })
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(a *Address) map[string]string { return a.Tags },
			func(a *Address) fieldValues { return a.filterValues })
		if err != nil {
			return err
		}
		slices.SortFunc(selected, func(x, y *Address) int { return compareStrings(x.AllocationID, y.AllocationID) })
		for _, a := range selected {
			out.Addresses = append(out.Addresses, wire.Address{AllocationId: a.AllocationID, PublicIp: a.PublicIP, Domain: "vpc",
				AssociationId: a.AssociationID, InstanceId: a.InstanceID, NetworkInterfaceId: a.NetworkInterfaceID,
				NetworkInterfaceOwnerId: a.InterfaceOwnerID, PrivateIpAddress: a.PrivateIP, PublicIpv4Pool: "amazon",
				NetworkBorderGroup: a.NetworkBorderGroup, Tags: tagsOut(a.Tags)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---- NAT gateways ----

func natGatewayWire(g *NatGateway) wire.NatGateway {
	item := wire.NatGateway{NatGatewayId: g.ID, SubnetId: g.SubnetID, VpcId: g.VpcID, State: g.State, ConnectivityType: g.ConnectivityType,
		CreateTime: ptr(protocol.XMLTime(g.CreateTime)), NatGatewayAddresses: ec2query.List[wire.NatGatewayAddress]{}, Tags: tagsOut(g.Tags)}
	if !g.DeleteTime.IsZero() {
		item.DeleteTime = ptr(protocol.XMLTime(g.DeleteTime))
	}
	status := "succeeded"
	switch g.State {
	case natPending:
		status = "associating"
	case natDeleting:
		status = "disassociating"
	}
	if g.State != natDeleted {
		item.NatGatewayAddresses = append(item.NatGatewayAddresses, wire.NatGatewayAddress{AllocationId: g.AllocationID,
			NetworkInterfaceId: g.NetworkInterfaceID, PrivateIp: g.PrivateIP, PublicIp: g.PublicIP, IsPrimary: ptr(true), Status: status})
	}
	return item
}

func (b *Backend) handleCreateNatGateway(ctx context.Context, in *wire.CreateNatGatewayRequest) (*wire.CreateNatGatewayResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "natgateway")
	if err != nil {
		return nil, err
	}
	g, err := b.createNatGateway(ctx, createNatGatewayRequest{SubnetID: in.SubnetId, AllocationID: in.AllocationId,
		ConnectivityType: in.ConnectivityType, PrivateIP: in.PrivateIpAddress, ClientToken: in.ClientToken, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := natGatewayWire(g)
	return &wire.CreateNatGatewayResult{ClientToken: in.ClientToken, NatGateway: &item}, nil
}

func (b *Backend) handleDeleteNatGateway(ctx context.Context, in *wire.DeleteNatGatewayRequest) (*wire.DeleteNatGatewayResult, error) {
	if err := b.deleteNatGateway(ctx, in.NatGatewayId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.DeleteNatGatewayResult{NatGatewayId: in.NatGatewayId}, nil
}

func (b *Backend) handleDescribeNatGateways(ctx context.Context, in *wire.DescribeNatGatewaysRequest) (*wire.DescribeNatGatewaysResult, error) {
	now := b.now()
	out := &wire.DescribeNatGatewaysResult{NatGateways: ec2query.List[wire.NatGateway]{}}
	// An update: what this call shows in a transient state moves on.
	err := b.update(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[NatGateway](tx, tableNatGateways)
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(g *NatGateway) bool { return !g.visible(now) })
		selected, err := selectByID(kindNatGateway, all, func(g *NatGateway) string { return g.ID }, in.NatGatewayIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filter), func(g *NatGateway) map[string]string { return g.Tags },
			func(g *NatGateway) fieldValues { return g.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *NatGateway) string { return g.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		out.NatGateways, out.NextToken = ec2query.List[wire.NatGateway]{}, next
		for _, g := range page {
			out.NatGateways = append(out.NatGateways, natGatewayWire(g))
		}
		return observeNatGateways(tx, page)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- Network interfaces ----

func networkInterfaceWire(v *interfaceView, names groupNames) wire.NetworkInterface {
	reg := zoneRegion(v.AvailabilityZone)
	item := wire.NetworkInterface{NetworkInterfaceId: v.ID, SubnetId: v.SubnetID, VpcId: v.VpcID, AvailabilityZone: v.AvailabilityZone,
		Description: v.Description, OwnerId: v.OwnerID, RequesterManaged: ptr(v.RequesterManaged), Status: v.Status, MacAddress: v.MacAddress,
		PrivateIpAddress: v.PrivateIP, PrivateDnsName: privateDNSName(v.PrivateIP, reg), SourceDestCheck: ptr(v.SourceDestCheck),
		InterfaceType: v.InterfaceType, Groups: names.listed(v.SecurityGroupIDs),
		Ipv6Addresses: ec2query.List[wire.NetworkInterfaceIpv6Address]{}, TagSet: tagsListed(v.Tags)}
	if a := v.Attachment; a != nil {
		item.Attachment = &wire.NetworkInterfaceAttachment{AttachmentId: a.ID, InstanceId: a.InstanceID, InstanceOwnerId: v.OwnerID,
			DeviceIndex: ptr(a.DeviceIndex), Status: "attached", AttachTime: ptr(protocol.XMLTime(a.AttachTime)),
			DeleteOnTermination: ptr(a.DeleteOnTermination), NetworkCardIndex: ptr(0)}
	}
	if a := v.address; a != nil {
		item.Association = &wire.NetworkInterfaceAssociation{AllocationId: a.AllocationID, AssociationId: a.AssociationID, IpOwnerId: a.OwnerID,
			PublicIp: a.PublicIP, PublicDnsName: publicDNSName(a.PublicIP, reg)}
	}
	item.PrivateIpAddresses = ec2query.List[wire.NetworkInterfacePrivateIpAddress]{{PrivateIpAddress: v.PrivateIP,
		PrivateDnsName: item.PrivateDnsName, Primary: ptr(true), Association: item.Association}}
	return item
}

func (b *Backend) handleCreateNetworkInterface(ctx context.Context, in *wire.CreateNetworkInterfaceRequest) (*wire.CreateNetworkInterfaceResult, error) {
	if in.InterfaceType != "" && in.InterfaceType != "interface" {
		return nil, invalidParameterValue("Interface type %s is not supported by the local cloud", in.InterfaceType)
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "network-interface")
	if err != nil {
		return nil, err
	}
	eni, err := b.createNetworkInterface(ctx, createNetworkInterfaceRequest{SubnetID: in.SubnetId, Description: in.Description,
		PrivateIP: in.PrivateIpAddress, Groups: in.Groups, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	var names groupNames
	if err := b.store.View(ctx, func(tx *store.Tx) error {
		names, err = loadGroupNames(tx)
		return err
	}); err != nil {
		return nil, err
	}
	item := networkInterfaceWire(&interfaceView{NetworkInterface: *eni}, names)
	item.Status = "pending" // as AWS answers; it is available at once
	return &wire.CreateNetworkInterfaceResult{NetworkInterface: &item, ClientToken: in.ClientToken}, nil
}

func (b *Backend) handleDescribeNetworkInterfaces(ctx context.Context, in *wire.DescribeNetworkInterfacesRequest) (*wire.DescribeNetworkInterfacesResult, error) {
	now := b.now()
	out := &wire.DescribeNetworkInterfacesResult{NetworkInterfaces: ec2query.List[wire.NetworkInterface]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := allInterfaces(tx, now)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindNetworkInterface, all, func(v *interfaceView) string { return v.ID }, in.NetworkInterfaceIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(v *interfaceView) map[string]string { return v.Tags },
			func(v *interfaceView) fieldValues { return v.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(v *interfaceView) string { return v.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		names, err := loadGroupNames(tx)
		if err != nil {
			return err
		}
		for _, v := range page {
			out.NetworkInterfaces = append(out.NetworkInterfaces, networkInterfaceWire(v, names))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDeleteNetworkInterface(ctx context.Context, in *wire.DeleteNetworkInterfaceRequest) (*wire.Return, error) {
	if err := b.deleteNetworkInterface(ctx, in.NetworkInterfaceId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleAttachNetworkInterface(ctx context.Context, in *wire.AttachNetworkInterfaceRequest) (*wire.AttachNetworkInterfaceResult, error) {
	if in.DeviceIndex == nil {
		return nil, missingParameter("DeviceIndex")
	}
	id, err := b.attachNetworkInterface(ctx, in.NetworkInterfaceId, in.InstanceId, *in.DeviceIndex, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.AttachNetworkInterfaceResult{AttachmentId: id, NetworkCardIndex: ptr(0)}, nil
}

func (b *Backend) handleDetachNetworkInterface(ctx context.Context, in *wire.DetachNetworkInterfaceRequest) (*wire.Return, error) {
	if err := b.detachNetworkInterface(ctx, in.AttachmentId, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleModifyNetworkInterfaceAttribute(ctx context.Context, in *wire.ModifyNetworkInterfaceAttributeRequest) (*wire.Return, error) {
	req := modifyInterfaceRequest{ID: in.NetworkInterfaceId, Groups: in.Groups}
	set := len(in.Groups) > 0
	if in.Description != nil {
		// Description.Value absent or empty clears the description.
		req.Description = &in.Description.Value
		set = true
	}
	if in.SourceDestCheck != nil {
		if in.SourceDestCheck.Value == nil {
			return nil, missingParameter("SourceDestCheck.Value")
		}
		req.SourceDestCheck = in.SourceDestCheck.Value
		set = true
	}
	if !set {
		return nil, missingParameter("Description, SourceDestCheck or SecurityGroupId")
	}
	if err := b.modifyNetworkInterfaceAttribute(ctx, req, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}
