package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// ---- VPCs ----

type createVpcInput struct {
	CidrBlock                   string         `query:"CidrBlock"`
	InstanceTenancy             string         `query:"InstanceTenancy"`
	AmazonProvidedIpv6CidrBlock bool           `query:"AmazonProvidedIpv6CidrBlock"`
	Ipv4IpamPoolID              string         `query:"Ipv4IpamPoolId"`
	TagSpecifications           []tagSpecParam `query:"TagSpecification"`
	DryRun                      bool           `query:"DryRun"`
}

type cidrBlockState struct {
	State string `xml:"state"`
}

type cidrAssociationItem struct {
	AssociationID  string         `xml:"associationId"`
	CidrBlock      string         `xml:"cidrBlock"`
	CidrBlockState cidrBlockState `xml:"cidrBlockState"`
}

type vpcItem struct {
	VpcID                   string                `xml:"vpcId"`
	OwnerID                 string                `xml:"ownerId"`
	State                   string                `xml:"state"`
	CidrBlock               string                `xml:"cidrBlock"`
	CidrBlockAssociationSet []cidrAssociationItem `xml:"cidrBlockAssociationSet>item"`
	DhcpOptionsID           string                `xml:"dhcpOptionsId"`
	InstanceTenancy         string                `xml:"instanceTenancy"`
	IsDefault               bool                  `xml:"isDefault"`
	TagSet                  []tagItem             `xml:"tagSet>item,omitempty"`
}

func vpcWire(v *Vpc) vpcItem {
	return vpcItem{
		VpcID: v.ID, OwnerID: v.OwnerID, State: v.State, CidrBlock: v.CidrBlock,
		CidrBlockAssociationSet: cidrAssociations(v),
		DhcpOptionsID:           v.DhcpOptionsID, InstanceTenancy: v.InstanceTenancy, IsDefault: v.IsDefault, TagSet: tagSet(v.Tags),
	}
}

func cidrAssociations(v *Vpc) []cidrAssociationItem {
	var out []cidrAssociationItem
	for _, c := range v.cidrs() {
		out = append(out, cidrAssociationItem{AssociationID: c.AssociationID, CidrBlock: c.CidrBlock, CidrBlockState: cidrBlockState{State: "associated"}})
	}
	return out
}

type createVpcOutput struct {
	Vpc vpcItem `xml:"vpc"`
}

func (b *Backend) handleCreateVpc(ctx context.Context, in *createVpcInput) (*createVpcOutput, error) {
	if in.AmazonProvidedIpv6CidrBlock {
		return nil, invalidParameterValue("IPv6 CIDR blocks are not supported by the local cloud")
	}
	tags, err := tagsFor(in.TagSpecifications, "vpc")
	if err != nil {
		return nil, err
	}
	vpc, err := b.createVpc(ctx, createVpcRequest{CidrBlock: in.CidrBlock, InstanceTenancy: in.InstanceTenancy, Tags: tags}, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := &createVpcOutput{Vpc: vpcWire(vpc)}
	out.Vpc.State = "pending" // as AWS answers; it is available at once
	out.Vpc.CidrBlockAssociationSet[0].CidrBlockState.State = "associated"
	return out, nil
}

type describeVpcsInput struct {
	VpcIDs     []string      `query:"VpcId"`
	Filters    []filterParam `query:"Filter"`
	MaxResults *int32        `query:"MaxResults"`
	NextToken  *string       `query:"NextToken"`
	DryRun     bool          `query:"DryRun"`
}

type describeVpcsOutput struct {
	Vpcs      []vpcItem `xml:"vpcSet>item"`
	NextToken string    `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeVpcs(ctx context.Context, in *describeVpcsInput) (*describeVpcsOutput, error) {
	var page []*Vpc
	var next string
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[Vpc](tx, tableVpcs)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindVpc, all, func(v *Vpc) string { return v.ID }, in.VpcIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(v *Vpc) map[string]string { return v.Tags }, func(v *Vpc) fieldValues { return v.filterValues })
		if err != nil {
			return err
		}
		page, next, err = paginate(selected, func(v *Vpc) string { return v.ID }, in.MaxResults, in.NextToken, 5)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &describeVpcsOutput{Vpcs: []vpcItem{}, NextToken: next}
	for _, v := range page {
		out.Vpcs = append(out.Vpcs, vpcWire(v))
	}
	return out, nil
}

type modifyVpcAttributeInput struct {
	VpcID                            string         `query:"VpcId"`
	EnableDNSHostnames               *attributeBool `query:"EnableDnsHostnames"`
	EnableDNSSupport                 *attributeBool `query:"EnableDnsSupport"`
	EnableNetworkAddressUsageMetrics *attributeBool `query:"EnableNetworkAddressUsageMetrics"`
	DryRun                           bool           `query:"DryRun"`
}

func (b *Backend) handleModifyVpcAttribute(ctx context.Context, in *modifyVpcAttributeInput) (*returnOutput, error) {
	if in.VpcID == "" {
		return nil, missingParameter("VpcId")
	}
	var attribute string
	var value *attributeBool
	count := 0
	for name, v := range map[string]*attributeBool{"enableDnsHostnames": in.EnableDNSHostnames, "enableDnsSupport": in.EnableDNSSupport,
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
	if err := b.modifyVpcAttribute(ctx, in.VpcID, attribute, *value.Value, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type describeVpcAttributeInput struct {
	VpcID     string `query:"VpcId"`
	Attribute string `query:"Attribute"`
	DryRun    bool   `query:"DryRun"`
}

type describeVpcAttributeOutput struct {
	VpcID                            string     `xml:"vpcId"`
	EnableDNSHostnames               *valueBool `xml:"enableDnsHostnames,omitempty"`
	EnableDNSSupport                 *valueBool `xml:"enableDnsSupport,omitempty"`
	EnableNetworkAddressUsageMetrics *valueBool `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

func (b *Backend) handleDescribeVpcAttribute(ctx context.Context, in *describeVpcAttributeInput) (*describeVpcAttributeOutput, error) {
	if in.VpcID == "" {
		return nil, missingParameter("VpcId")
	}
	if in.Attribute == "" {
		return nil, missingParameter("Attribute")
	}
	out := &describeVpcAttributeOutput{VpcID: in.VpcID}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, in.VpcID)
		if err != nil {
			return err
		}
		switch in.Attribute {
		case "enableDnsSupport":
			out.EnableDNSSupport = &valueBool{Value: vpc.EnableDNSSupport}
		case "enableDnsHostnames":
			out.EnableDNSHostnames = &valueBool{Value: vpc.EnableDNSHostnames}
		case "enableNetworkAddressUsageMetrics":
			out.EnableNetworkAddressUsageMetrics = &valueBool{Value: vpc.EnableNetworkAddressUsageMetrics}
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

type deleteVpcInput struct {
	VpcID  string `query:"VpcId"`
	DryRun bool   `query:"DryRun"`
}

func (b *Backend) handleDeleteVpc(ctx context.Context, in *deleteVpcInput) (*returnOutput, error) {
	if in.VpcID == "" {
		return nil, missingParameter("VpcId")
	}
	if err := b.deleteVpc(ctx, in.VpcID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

// ---- Subnets ----

type createSubnetInput struct {
	VpcID              string         `query:"VpcId"`
	CidrBlock          string         `query:"CidrBlock"`
	AvailabilityZone   string         `query:"AvailabilityZone"`
	AvailabilityZoneID string         `query:"AvailabilityZoneId"`
	Ipv6CidrBlock      string         `query:"Ipv6CidrBlock"`
	Ipv6Native         bool           `query:"Ipv6Native"`
	TagSpecifications  []tagSpecParam `query:"TagSpecification"`
	DryRun             bool           `query:"DryRun"`
}

type privateDNSNameOptionsOnLaunch struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

type subnetItem struct {
	SubnetID                      string                        `xml:"subnetId"`
	SubnetArn                     string                        `xml:"subnetArn"`
	State                         string                        `xml:"state"`
	VpcID                         string                        `xml:"vpcId"`
	OwnerID                       string                        `xml:"ownerId"`
	CidrBlock                     string                        `xml:"cidrBlock"`
	AvailableIPAddressCount       int                           `xml:"availableIpAddressCount"`
	AvailabilityZone              string                        `xml:"availabilityZone"`
	AvailabilityZoneID            string                        `xml:"availabilityZoneId"`
	DefaultForAz                  bool                          `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool                          `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch    bool                          `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIpv6AddressOnCreation   bool                          `xml:"assignIpv6AddressOnCreation"`
	Ipv6CidrBlockAssociationSet   []struct{}                    `xml:"ipv6CidrBlockAssociationSet>item"`
	EnableDNS64                   bool                          `xml:"enableDns64"`
	Ipv6Native                    bool                          `xml:"ipv6Native"`
	PrivateDNSNameOptionsOnLaunch privateDNSNameOptionsOnLaunch `xml:"privateDnsNameOptionsOnLaunch"`
	TagSet                        []tagItem                     `xml:"tagSet>item,omitempty"`
}

func subnetWire(s *Subnet, used int) subnetItem {
	return subnetItem{
		SubnetID: s.ID, SubnetArn: s.ARN, State: s.State, VpcID: s.VpcID, OwnerID: s.OwnerID, CidrBlock: s.CidrBlock,
		AvailableIPAddressCount: s.availableAddresses(used), AvailabilityZone: s.AvailabilityZone, AvailabilityZoneID: s.AvailabilityZoneID,
		DefaultForAz: s.DefaultForAz, MapPublicIPOnLaunch: s.MapPublicIPOnLaunch, AssignIpv6AddressOnCreation: s.AssignIpv6AddressOnCreation,
		Ipv6CidrBlockAssociationSet: []struct{}{}, EnableDNS64: s.EnableDNS64,
		PrivateDNSNameOptionsOnLaunch: privateDNSNameOptionsOnLaunch{HostnameType: "ip-name"}, TagSet: tagSet(s.Tags),
	}
}

type createSubnetOutput struct {
	Subnet subnetItem `xml:"subnet"`
}

func (b *Backend) handleCreateSubnet(ctx context.Context, in *createSubnetInput) (*createSubnetOutput, error) {
	if in.Ipv6CidrBlock != "" || in.Ipv6Native {
		return nil, invalidParameterValue("IPv6 subnets are not supported by the local cloud")
	}
	tags, err := tagsFor(in.TagSpecifications, "subnet")
	if err != nil {
		return nil, err
	}
	subnet, err := b.createSubnet(ctx, createSubnetRequest{VpcID: in.VpcID, CidrBlock: in.CidrBlock,
		AvailabilityZone: in.AvailabilityZone, AvailabilityZoneID: in.AvailabilityZoneID, Tags: tags}, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := &createSubnetOutput{Subnet: subnetWire(subnet, 0)}
	out.Subnet.State = "pending" // as AWS answers; it is available at once
	return out, nil
}

type describeSubnetsInput struct {
	SubnetIDs  []string      `query:"SubnetId"`
	Filters    []filterParam `query:"Filter"`
	MaxResults *int32        `query:"MaxResults"`
	NextToken  *string       `query:"NextToken"`
	DryRun     bool          `query:"DryRun"`
}

type describeSubnetsOutput struct {
	Subnets   []subnetItem `xml:"subnetSet>item"`
	NextToken string       `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeSubnets(ctx context.Context, in *describeSubnetsInput) (*describeSubnetsOutput, error) {
	out := &describeSubnetsOutput{Subnets: []subnetItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		used, err := usedAddresses(tx)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindSubnet, all, func(s *Subnet) string { return s.ID }, in.SubnetIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(s *Subnet) map[string]string { return s.Tags },
			func(s *Subnet) fieldValues { return s.filterValues(used[s.ID]) })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(s *Subnet) string { return s.ID }, in.MaxResults, in.NextToken, 5)
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

type modifySubnetAttributeInput struct {
	SubnetID                    string         `query:"SubnetId"`
	MapPublicIPOnLaunch         *attributeBool `query:"MapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation *attributeBool `query:"AssignIpv6AddressOnCreation"`
	EnableDNS64                 *attributeBool `query:"EnableDns64"`
	DryRun                      bool           `query:"DryRun"`
}

func (b *Backend) handleModifySubnetAttribute(ctx context.Context, in *modifySubnetAttributeInput) (*returnOutput, error) {
	if in.SubnetID == "" {
		return nil, missingParameter("SubnetId")
	}
	var attribute string
	var value *attributeBool
	count := 0
	for name, v := range map[string]*attributeBool{"MapPublicIpOnLaunch": in.MapPublicIPOnLaunch,
		"AssignIpv6AddressOnCreation": in.AssignIpv6AddressOnCreation, "EnableDns64": in.EnableDNS64} {
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
	if err := b.modifySubnetAttribute(ctx, in.SubnetID, attribute, *value.Value, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type deleteSubnetInput struct {
	SubnetID string `query:"SubnetId"`
	DryRun   bool   `query:"DryRun"`
}

func (b *Backend) handleDeleteSubnet(ctx context.Context, in *deleteSubnetInput) (*returnOutput, error) {
	if in.SubnetID == "" {
		return nil, missingParameter("SubnetId")
	}
	if err := b.deleteSubnet(ctx, in.SubnetID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

// ---- Internet gateways ----

type createInternetGatewayInput struct {
	TagSpecifications []tagSpecParam `query:"TagSpecification"`
	DryRun            bool           `query:"DryRun"`
}

type gatewayAttachmentItem struct {
	VpcID string `xml:"vpcId"`
	State string `xml:"state"`
}

type internetGatewayItem struct {
	InternetGatewayID string                  `xml:"internetGatewayId"`
	OwnerID           string                  `xml:"ownerId"`
	Attachments       []gatewayAttachmentItem `xml:"attachmentSet>item"`
	TagSet            []tagItem               `xml:"tagSet>item,omitempty"`
}

func internetGatewayWire(g *InternetGateway) internetGatewayItem {
	item := internetGatewayItem{InternetGatewayID: g.ID, OwnerID: g.OwnerID, Attachments: []gatewayAttachmentItem{}, TagSet: tagSet(g.Tags)}
	if g.VpcID != "" {
		item.Attachments = append(item.Attachments, gatewayAttachmentItem{VpcID: g.VpcID, State: "available"})
	}
	return item
}

type createInternetGatewayOutput struct {
	InternetGateway internetGatewayItem `xml:"internetGateway"`
}

func (b *Backend) handleCreateInternetGateway(ctx context.Context, in *createInternetGatewayInput) (*createInternetGatewayOutput, error) {
	tags, err := tagsFor(in.TagSpecifications, "internet-gateway")
	if err != nil {
		return nil, err
	}
	gateway, err := b.createInternetGateway(ctx, tags, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &createInternetGatewayOutput{InternetGateway: internetGatewayWire(gateway)}, nil
}

type internetGatewayVpcInput struct {
	InternetGatewayID string `query:"InternetGatewayId"`
	VpcID             string `query:"VpcId"`
	DryRun            bool   `query:"DryRun"`
}

func (in *internetGatewayVpcInput) check() error {
	if in.InternetGatewayID == "" {
		return missingParameter("InternetGatewayId")
	}
	if in.VpcID == "" {
		return missingParameter("VpcId")
	}
	return nil
}

func (b *Backend) handleAttachInternetGateway(ctx context.Context, in *internetGatewayVpcInput) (*returnOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := b.attachInternetGateway(ctx, in.InternetGatewayID, in.VpcID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

func (b *Backend) handleDetachInternetGateway(ctx context.Context, in *internetGatewayVpcInput) (*returnOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := b.detachInternetGateway(ctx, in.InternetGatewayID, in.VpcID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type deleteInternetGatewayInput struct {
	InternetGatewayID string `query:"InternetGatewayId"`
	DryRun            bool   `query:"DryRun"`
}

func (b *Backend) handleDeleteInternetGateway(ctx context.Context, in *deleteInternetGatewayInput) (*returnOutput, error) {
	if in.InternetGatewayID == "" {
		return nil, missingParameter("InternetGatewayId")
	}
	if err := b.deleteInternetGateway(ctx, in.InternetGatewayID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type describeInternetGatewaysInput struct {
	InternetGatewayIDs []string      `query:"InternetGatewayId"`
	Filters            []filterParam `query:"Filter"`
	MaxResults         *int32        `query:"MaxResults"`
	NextToken          *string       `query:"NextToken"`
	DryRun             bool          `query:"DryRun"`
}

type describeInternetGatewaysOutput struct {
	InternetGateways []internetGatewayItem `xml:"internetGatewaySet>item"`
	NextToken        string                `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeInternetGateways(ctx context.Context, in *describeInternetGatewaysInput) (*describeInternetGatewaysOutput, error) {
	out := &describeInternetGatewaysOutput{InternetGateways: []internetGatewayItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[InternetGateway](tx, tableInternetGateways)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindInternetGateway, all, func(g *InternetGateway) string { return g.ID }, in.InternetGatewayIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(g *InternetGateway) map[string]string { return g.Tags },
			func(g *InternetGateway) fieldValues { return g.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *InternetGateway) string { return g.ID }, in.MaxResults, in.NextToken, 5)
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

type createRouteTableInput struct {
	VpcID             string         `query:"VpcId"`
	ClientToken       string         `query:"ClientToken"`
	TagSpecifications []tagSpecParam `query:"TagSpecification"`
	DryRun            bool           `query:"DryRun"`
}

type routeItem struct {
	DestinationCidrBlock        string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock    string `xml:"destinationIpv6CidrBlock,omitempty"`
	DestinationPrefixListID     string `xml:"destinationPrefixListId,omitempty"`
	GatewayID                   string `xml:"gatewayId,omitempty"`
	NatGatewayID                string `xml:"natGatewayId,omitempty"`
	InstanceID                  string `xml:"instanceId,omitempty"`
	InstanceOwnerID             string `xml:"instanceOwnerId,omitempty"`
	NetworkInterfaceID          string `xml:"networkInterfaceId,omitempty"`
	VpcPeeringConnectionID      string `xml:"vpcPeeringConnectionId,omitempty"`
	TransitGatewayID            string `xml:"transitGatewayId,omitempty"`
	EgressOnlyInternetGatewayID string `xml:"egressOnlyInternetGatewayId,omitempty"`
	LocalGatewayID              string `xml:"localGatewayId,omitempty"`
	CarrierGatewayID            string `xml:"carrierGatewayId,omitempty"`
	State                       string `xml:"state"`
	Origin                      string `xml:"origin"`
}

type associationStateItem struct {
	State string `xml:"state"`
}

type routeTableAssociationItem struct {
	RouteTableAssociationID string               `xml:"routeTableAssociationId"`
	RouteTableID            string               `xml:"routeTableId"`
	SubnetID                string               `xml:"subnetId,omitempty"`
	GatewayID               string               `xml:"gatewayId,omitempty"`
	Main                    bool                 `xml:"main"`
	AssociationState        associationStateItem `xml:"associationState"`
}

type routeTableItem struct {
	RouteTableID    string                      `xml:"routeTableId"`
	VpcID           string                      `xml:"vpcId"`
	OwnerID         string                      `xml:"ownerId"`
	Routes          []routeItem                 `xml:"routeSet>item"`
	Associations    []routeTableAssociationItem `xml:"associationSet>item"`
	PropagatingVgws []struct{}                  `xml:"propagatingVgwSet>item"`
	TagSet          []tagItem                   `xml:"tagSet>item"`
}

func routeTableWire(t *RouteTable) routeTableItem {
	item := routeTableItem{RouteTableID: t.ID, VpcID: t.VpcID, OwnerID: t.OwnerID, Routes: []routeItem{},
		Associations: []routeTableAssociationItem{}, PropagatingVgws: []struct{}{}, TagSet: tagSet(t.Tags)}
	for _, r := range t.Routes {
		item.Routes = append(item.Routes, routeItem{
			DestinationCidrBlock: r.DestinationCidrBlock, DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock,
			DestinationPrefixListID: r.DestinationPrefixListID, GatewayID: r.Target.GatewayID, NatGatewayID: r.Target.NatGatewayID,
			InstanceID: r.Target.InstanceID, NetworkInterfaceID: r.Target.NetworkInterfaceID,
			VpcPeeringConnectionID: r.Target.VpcPeeringConnectionID, TransitGatewayID: r.Target.TransitGatewayID,
			EgressOnlyInternetGatewayID: r.Target.EgressOnlyInternetGatewayID, LocalGatewayID: r.Target.LocalGatewayID,
			CarrierGatewayID: r.Target.CarrierGatewayID, State: "active", Origin: r.Origin,
		})
		if r.Target.InstanceID != "" {
			item.Routes[len(item.Routes)-1].InstanceOwnerID = t.OwnerID
		}
	}
	for _, a := range t.Associations {
		item.Associations = append(item.Associations, routeTableAssociationItem{RouteTableAssociationID: a.ID, RouteTableID: t.ID,
			SubnetID: a.SubnetID, GatewayID: a.GatewayID, Main: a.Main, AssociationState: associationStateItem{State: "associated"}})
	}
	return item
}

type createRouteTableOutput struct {
	RouteTable  routeTableItem `xml:"routeTable"`
	ClientToken string         `xml:"clientToken,omitempty"`
}

func (b *Backend) handleCreateRouteTable(ctx context.Context, in *createRouteTableInput) (*createRouteTableOutput, error) {
	tags, err := tagsFor(in.TagSpecifications, "route-table")
	if err != nil {
		return nil, err
	}
	table, err := b.createRouteTable(ctx, in.VpcID, tags, in.ClientToken, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &createRouteTableOutput{RouteTable: routeTableWire(table), ClientToken: in.ClientToken}, nil
}

type routeInput struct {
	RouteTableID                string `query:"RouteTableId"`
	DestinationCidrBlock        string `query:"DestinationCidrBlock"`
	DestinationIpv6CidrBlock    string `query:"DestinationIpv6CidrBlock"`
	DestinationPrefixListID     string `query:"DestinationPrefixListId"`
	GatewayID                   string `query:"GatewayId"`
	NatGatewayID                string `query:"NatGatewayId"`
	InstanceID                  string `query:"InstanceId"`
	NetworkInterfaceID          string `query:"NetworkInterfaceId"`
	VpcPeeringConnectionID      string `query:"VpcPeeringConnectionId"`
	TransitGatewayID            string `query:"TransitGatewayId"`
	EgressOnlyInternetGatewayID string `query:"EgressOnlyInternetGatewayId"`
	LocalGatewayID              string `query:"LocalGatewayId"`
	CarrierGatewayID            string `query:"CarrierGatewayId"`
	VpcEndpointID               string `query:"VpcEndpointId"`
	DryRun                      bool   `query:"DryRun"`
}

func (in *routeInput) request() (routeRequest, error) {
	if in.RouteTableID == "" {
		return routeRequest{}, missingParameter("RouteTableId")
	}
	return routeRequest{
		RouteTableID: in.RouteTableID, DestinationCidrBlock: in.DestinationCidrBlock,
		DestinationIpv6CidrBlock: in.DestinationIpv6CidrBlock, DestinationPrefixListID: in.DestinationPrefixListID,
		Target: RouteTarget{GatewayID: in.GatewayID, NatGatewayID: in.NatGatewayID, InstanceID: in.InstanceID,
			NetworkInterfaceID: in.NetworkInterfaceID, VpcPeeringConnectionID: in.VpcPeeringConnectionID,
			TransitGatewayID: in.TransitGatewayID, EgressOnlyInternetGatewayID: in.EgressOnlyInternetGatewayID,
			LocalGatewayID: in.LocalGatewayID, CarrierGatewayID: in.CarrierGatewayID, VpcEndpointID: in.VpcEndpointID},
	}, nil
}

func (b *Backend) handleCreateRoute(ctx context.Context, in *routeInput) (*returnOutput, error) {
	req, err := in.request()
	if err != nil {
		return nil, err
	}
	if err := b.createRoute(ctx, req, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

func (b *Backend) handleReplaceRoute(ctx context.Context, in *routeInput) (*returnOutput, error) {
	req, err := in.request()
	if err != nil {
		return nil, err
	}
	if err := b.replaceRoute(ctx, req, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

func (b *Backend) handleDeleteRoute(ctx context.Context, in *routeInput) (*returnOutput, error) {
	req, err := in.request()
	if err != nil {
		return nil, err
	}
	if err := b.deleteRoute(ctx, req, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type associateRouteTableInput struct {
	RouteTableID string `query:"RouteTableId"`
	SubnetID     string `query:"SubnetId"`
	GatewayID    string `query:"GatewayId"`
	DryRun       bool   `query:"DryRun"`
}

type associateRouteTableOutput struct {
	AssociationID    string               `xml:"associationId"`
	AssociationState associationStateItem `xml:"associationState"`
}

func (b *Backend) handleAssociateRouteTable(ctx context.Context, in *associateRouteTableInput) (*associateRouteTableOutput, error) {
	if in.RouteTableID == "" {
		return nil, missingParameter("RouteTableId")
	}
	id, err := b.associateRouteTable(ctx, in.RouteTableID, in.SubnetID, in.GatewayID, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &associateRouteTableOutput{AssociationID: id, AssociationState: associationStateItem{State: "associated"}}, nil
}

type disassociateRouteTableInput struct {
	AssociationID string `query:"AssociationId"`
	DryRun        bool   `query:"DryRun"`
}

func (b *Backend) handleDisassociateRouteTable(ctx context.Context, in *disassociateRouteTableInput) (*returnOutput, error) {
	if err := b.disassociateRouteTable(ctx, in.AssociationID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type replaceRouteTableAssociationInput struct {
	AssociationID string `query:"AssociationId"`
	RouteTableID  string `query:"RouteTableId"`
	DryRun        bool   `query:"DryRun"`
}

type replaceRouteTableAssociationOutput struct {
	NewAssociationID string               `xml:"newAssociationId"`
	AssociationState associationStateItem `xml:"associationState"`
}

func (b *Backend) handleReplaceRouteTableAssociation(ctx context.Context, in *replaceRouteTableAssociationInput) (*replaceRouteTableAssociationOutput, error) {
	if in.RouteTableID == "" {
		return nil, missingParameter("RouteTableId")
	}
	id, err := b.replaceRouteTableAssociation(ctx, in.AssociationID, in.RouteTableID, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &replaceRouteTableAssociationOutput{NewAssociationID: id, AssociationState: associationStateItem{State: "associated"}}, nil
}

type describeRouteTablesInput struct {
	RouteTableIDs []string      `query:"RouteTableId"`
	Filters       []filterParam `query:"Filter"`
	MaxResults    *int32        `query:"MaxResults"`
	NextToken     *string       `query:"NextToken"`
	DryRun        bool          `query:"DryRun"`
}

type describeRouteTablesOutput struct {
	RouteTables []routeTableItem `xml:"routeTableSet>item"`
	NextToken   string           `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeRouteTables(ctx context.Context, in *describeRouteTablesInput) (*describeRouteTablesOutput, error) {
	out := &describeRouteTablesOutput{RouteTables: []routeTableItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindRouteTable, all, func(t *RouteTable) string { return t.ID }, in.RouteTableIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(t *RouteTable) map[string]string { return t.Tags },
			func(t *RouteTable) fieldValues { return t.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(t *RouteTable) string { return t.ID }, in.MaxResults, in.NextToken, 5)
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

type deleteRouteTableInput struct {
	RouteTableID string `query:"RouteTableId"`
	DryRun       bool   `query:"DryRun"`
}

func (b *Backend) handleDeleteRouteTable(ctx context.Context, in *deleteRouteTableInput) (*returnOutput, error) {
	if in.RouteTableID == "" {
		return nil, missingParameter("RouteTableId")
	}
	if err := b.deleteRouteTable(ctx, in.RouteTableID, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

// ---- Network ACLs ----

type describeNetworkAclsInput struct {
	NetworkACLIDs []string      `query:"NetworkAclId"`
	Filters       []filterParam `query:"Filter"`
	MaxResults    *int32        `query:"MaxResults"`
	NextToken     *string       `query:"NextToken"`
	DryRun        bool          `query:"DryRun"`
}

type networkACLEntryItem struct {
	RuleNumber int    `xml:"ruleNumber"`
	Protocol   string `xml:"protocol"`
	RuleAction string `xml:"ruleAction"`
	Egress     bool   `xml:"egress"`
	CidrBlock  string `xml:"cidrBlock"`
}

type networkACLAssociationItem struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

type networkACLItem struct {
	NetworkACLID string                      `xml:"networkAclId"`
	VpcID        string                      `xml:"vpcId"`
	OwnerID      string                      `xml:"ownerId"`
	Default      bool                        `xml:"default"`
	Entries      []networkACLEntryItem       `xml:"entrySet>item"`
	Associations []networkACLAssociationItem `xml:"associationSet>item"`
	TagSet       []tagItem                   `xml:"tagSet>item"`
}

type describeNetworkAclsOutput struct {
	NetworkAcls []networkACLItem `xml:"networkAclSet>item"`
	NextToken   string           `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeNetworkAcls(ctx context.Context, in *describeNetworkAclsInput) (*describeNetworkAclsOutput, error) {
	out := &describeNetworkAclsOutput{NetworkAcls: []networkACLItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[NetworkACL](tx, tableNetworkACLs)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindNetworkACL, all, func(a *NetworkACL) string { return a.ID }, in.NetworkACLIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(a *NetworkACL) map[string]string { return a.Tags },
			func(a *NetworkACL) fieldValues { return a.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(a *NetworkACL) string { return a.ID }, in.MaxResults, in.NextToken, 5)
		if err != nil {
			return err
		}
		for _, a := range page {
			item := networkACLItem{NetworkACLID: a.ID, VpcID: a.VpcID, OwnerID: a.OwnerID, Default: a.IsDefault,
				Entries: []networkACLEntryItem{}, Associations: []networkACLAssociationItem{}, TagSet: tagSet(a.Tags)}
			for _, e := range a.Entries {
				item.Entries = append(item.Entries, networkACLEntryItem(e))
			}
			for _, assoc := range a.Associations {
				item.Associations = append(item.Associations, networkACLAssociationItem{NetworkACLAssociationID: assoc.ID, NetworkACLID: a.ID, SubnetID: assoc.SubnetID})
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
