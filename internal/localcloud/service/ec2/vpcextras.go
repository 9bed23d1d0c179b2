package ec2

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ---- Secondary VPC CIDR blocks ----

// VpcCidr is an IPv4 block associated with a VPC after its first.
type VpcCidr struct {
	AssociationID string
	CidrBlock     string
}

// cidrs lists every IPv4 block of the VPC, the primary first.
func (v *Vpc) cidrs() []VpcCidr {
	return append([]VpcCidr{{AssociationID: v.CidrAssociationID, CidrBlock: v.CidrBlock}}, v.SecondaryCidrs...)
}

// containsSubnet reports whether prefix lies inside one of the VPC's blocks.
func (v *Vpc) containsSubnet(prefix netip.Prefix) bool {
	for _, c := range v.cidrs() {
		block := netip.MustParsePrefix(c.CidrBlock)
		if block.Contains(prefix.Addr()) && prefix.Bits() >= block.Bits() {
			return true
		}
	}
	return false
}

// maxVpcCidrs is AWS's default quota of IPv4 blocks per VPC.
const maxVpcCidrs = 5

func (b *Backend) associateVpcCidrBlock(ctx context.Context, vpcID, cidr string) (*Vpc, VpcCidr, error) {
	if vpcID == "" {
		return nil, VpcCidr{}, missingParameter("VpcId")
	}
	if cidr == "" {
		return nil, VpcCidr{}, missingParameter("CidrBlock")
	}
	prefix, err := parseCIDR("cidrBlock", cidr)
	if err != nil {
		return nil, VpcCidr{}, err
	}
	if prefix.Bits() < 16 || prefix.Bits() > 28 {
		return nil, VpcCidr{}, errorf(codeInvalidVpcRange, "The CIDR '%s' is invalid.", cidr)
	}
	var vpc *Vpc
	added := VpcCidr{AssociationID: store.NewID("vpc-cidr-assoc-", 17), CidrBlock: prefix.String()}
	err = b.update(ctx, false, func(tx *store.Tx) error {
		if vpc, err = getResource[Vpc](tx, kindVpc, vpcID); err != nil {
			return err
		}
		for _, c := range vpc.cidrs() {
			if overlaps(prefix, netip.MustParsePrefix(c.CidrBlock)) {
				return errorf("InvalidVpc.Range", "The CIDR '%s' conflicts with another CIDR block of the VPC.", cidr)
			}
		}
		if len(vpc.cidrs()) >= maxVpcCidrs {
			return errorf("CidrLimitExceeded", "This network '%s' has met its maximum number of allowed CIDRs: %d", vpc.ID, maxVpcCidrs)
		}
		vpc.SecondaryCidrs = append(vpc.SecondaryCidrs, added)
		// Every route table of the VPC routes the new block locally.
		tables, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.VpcID == vpc.ID {
				t.Routes = append(t.Routes, Route{DestinationCidrBlock: added.CidrBlock, Target: RouteTarget{GatewayID: "local"}, Origin: "CreateRouteTable"})
				if err := tx.Put(tableRouteTables, t.ID, t); err != nil {
					return err
				}
			}
		}
		return tx.Put(tableVpcs, vpc.ID, vpc)
	})
	return vpc, added, err
}

func (b *Backend) disassociateVpcCidrBlock(ctx context.Context, associationID string) (*Vpc, VpcCidr, error) {
	if associationID == "" {
		return nil, VpcCidr{}, missingParameter("AssociationId")
	}
	var vpc *Vpc
	var removed VpcCidr
	err := b.update(ctx, false, func(tx *store.Tx) error {
		vpcs, err := store.List[Vpc](tx, tableVpcs)
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			if v.CidrAssociationID == associationID {
				return invalidParameterValue("The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", associationID)
			}
			if i := slices.IndexFunc(v.SecondaryCidrs, func(c VpcCidr) bool { return c.AssociationID == associationID }); i >= 0 {
				vpc, removed = v, v.SecondaryCidrs[i]
				v.SecondaryCidrs = slices.Delete(v.SecondaryCidrs, i, i+1)
			}
		}
		if vpc == nil {
			return errorf("InvalidVpcCidrBlockAssociationID.NotFound", "The vpc CIDR block association ID '%s' does not exist", associationID)
		}
		block := netip.MustParsePrefix(removed.CidrBlock)
		subnets, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		for _, s := range subnets {
			if s.VpcID == vpc.ID && block.Contains(netip.MustParsePrefix(s.CidrBlock).Addr()) {
				return errorf("InvalidCidrBlock.InUse", "The vpc vpc CIDR block %s is in use by subnet %s", removed.CidrBlock, s.ID)
			}
		}
		tables, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.VpcID != vpc.ID {
				continue
			}
			t.Routes = slices.DeleteFunc(t.Routes, func(r Route) bool {
				return r.Target.GatewayID == "local" && r.DestinationCidrBlock == removed.CidrBlock
			})
			if err := tx.Put(tableRouteTables, t.ID, t); err != nil {
				return err
			}
		}
		return tx.Put(tableVpcs, vpc.ID, vpc)
	})
	return vpc, removed, err
}

// ---- Egress-only internet gateways ----

// EgressOnlyInternetGateway lets a VPC's IPv6 traffic out, not in.
type EgressOnlyInternetGateway struct {
	ID      string
	VpcID   string
	OwnerID string
	Tags    map[string]string
}

func (b *Backend) createEgressOnlyInternetGateway(ctx context.Context, vpcID, token string, tags map[string]string, dryRun bool) (*EgressOnlyInternetGateway, error) {
	if vpcID == "" {
		return nil, missingParameter("VpcId")
	}
	var gateway *EgressOnlyInternetGateway
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		params := []any{vpcID, tags}
		if prior, err := b.replay(tx, "CreateEgressOnlyInternetGateway", token, params); err != nil || prior != "" {
			if err == nil {
				gateway, err = getResource[EgressOnlyInternetGateway](tx, kindEgressOnlyGateway, prior)
			}
			return err
		}
		if _, err := getResource[Vpc](tx, kindVpc, vpcID); err != nil {
			return err
		}
		gateway = &EgressOnlyInternetGateway{ID: store.NewID("eigw-", 17), VpcID: vpcID, OwnerID: owner(ctx), Tags: tags}
		if err := b.remember(tx, "CreateEgressOnlyInternetGateway", token, params, gateway.ID); err != nil {
			return err
		}
		return tx.Put(tableEgressOnlyGateways, gateway.ID, gateway)
	})
	return gateway, err
}

func (b *Backend) deleteEgressOnlyInternetGateway(ctx context.Context, id string, dryRun bool) error {
	if id == "" {
		return missingParameter("EgressOnlyInternetGatewayId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		if _, err := getResource[EgressOnlyInternetGateway](tx, kindEgressOnlyGateway, id); err != nil {
			return err
		}
		return tx.Delete(tableEgressOnlyGateways, id)
	})
}

// ---- DHCP options ----

// DhcpOptions is a set of DHCP settings VPCs are associated with.
type DhcpOptions struct {
	ID             string
	OwnerID        string
	Configurations []DhcpConfiguration
	Tags           map[string]string
}

// DhcpConfiguration is one option and its values.
type DhcpConfiguration struct {
	Key    string
	Values []string
}

// dhcpKeys are the options a set may hold.
var dhcpKeys = []string{"domain-name", "domain-name-servers", "ntp-servers", "netbios-name-servers", "netbios-node-type", "ipv6-address-preferred-lease-time"}

// regionDhcpOptions are the options of the set AWS makes for a region: its
// internal domain and the Amazon-provided resolver.
func regionDhcpOptions(ctx context.Context) *DhcpOptions {
	domain := region(ctx) + ".compute.internal"
	if region(ctx) == "us-east-1" {
		domain = "ec2.internal"
	}
	return &DhcpOptions{ID: store.NewID("dopt-", 17), OwnerID: owner(ctx), Tags: map[string]string{}, Configurations: []DhcpConfiguration{
		{Key: "domain-name", Values: []string{domain}}, {Key: "domain-name-servers", Values: []string{"AmazonProvidedDNS"}}}}
}

func (b *Backend) createDhcpOptions(ctx context.Context, configs []DhcpConfiguration, tags map[string]string, dryRun bool) (*DhcpOptions, error) {
	if len(configs) == 0 {
		return nil, missingParameter("DhcpConfiguration")
	}
	seen := map[string]bool{}
	for _, c := range configs {
		if !slices.Contains(dhcpKeys, c.Key) {
			return nil, invalidParameterValue("Value (%s) for parameter name is invalid. Unknown DHCP option", c.Key)
		}
		if seen[c.Key] {
			return nil, invalidParameterValue("Value (%s) for parameter name is invalid. Duplicate DHCP option", c.Key)
		}
		seen[c.Key] = true
		if len(c.Values) == 0 {
			return nil, invalidParameterValue("Value for DHCP option %s is missing", c.Key)
		}
		if c.Key == "netbios-node-type" && !slices.Contains([]string{"1", "2", "4", "8"}, c.Values[0]) {
			return nil, invalidParameterValue("Value (%s) for parameter value is invalid. Invalid Node Type", c.Values[0])
		}
	}
	options := &DhcpOptions{ID: store.NewID("dopt-", 17), OwnerID: owner(ctx), Configurations: configs, Tags: tags}
	err := b.update(ctx, dryRun, func(tx *store.Tx) error { return tx.Put(tableDhcpOptions, options.ID, options) })
	if err != nil {
		return nil, err
	}
	return options, nil
}

func (b *Backend) associateDhcpOptions(ctx context.Context, optionsID, vpcID string, dryRun bool) error {
	if optionsID == "" {
		return missingParameter("DhcpOptionsId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, vpcID)
		if err != nil {
			return err
		}
		if optionsID != "default" { // "default" is no options at all
			if _, err := getResource[DhcpOptions](tx, kindDhcpOptions, optionsID); err != nil {
				return err
			}
		}
		vpc.DhcpOptionsID = optionsID
		return tx.Put(tableVpcs, vpc.ID, vpc)
	})
}

func (b *Backend) deleteDhcpOptions(ctx context.Context, optionsID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		if _, err := getResource[DhcpOptions](tx, kindDhcpOptions, optionsID); err != nil {
			return err
		}
		vpcs, err := store.List[Vpc](tx, tableVpcs)
		if err != nil {
			return err
		}
		for _, v := range vpcs {
			if v.DhcpOptionsID == optionsID {
				return dependencyViolation("The dhcpOptions '%s' has dependencies and cannot be deleted.", optionsID)
			}
		}
		return tx.Delete(tableDhcpOptions, optionsID)
	})
}

func (o *DhcpOptions) filterValues(name string) ([]string, bool) {
	switch name {
	case "dhcp-options-id":
		return []string{o.ID}, true
	case "owner-id":
		return []string{o.OwnerID}, true
	case "key":
		var keys []string
		for _, c := range o.Configurations {
			keys = append(keys, c.Key)
		}
		return keys, true
	case "value":
		var values []string
		for _, c := range o.Configurations {
			values = append(values, c.Values...)
		}
		return values, true
	}
	if slices.Contains(dhcpKeys, name) {
		for _, c := range o.Configurations {
			if c.Key == name {
				return c.Values, true
			}
		}
		return nil, true
	}
	return nil, false
}

// ---- Prefix lists ----

// prefixList is an AWS-managed prefix list: the address ranges of a
// service in a region, which gateway endpoints route and rules may name.
type prefixList struct {
	ID, Name, Region string
	Cidrs            []string
}

// managedServiceCidrs are representative ranges of the services that have
// gateway endpoints; the local cloud routes nothing to them.
var managedServiceCidrs = map[string][]string{
	"s3":       {"3.5.0.0/19", "16.15.176.0/20", "52.216.0.0/15", "54.231.0.0/16"},
	"dynamodb": {"3.218.180.0/22", "35.71.64.0/22", "52.94.0.0/22"},
}

// prefixListsOf returns the AWS-managed prefix lists of a region, with ids
// stable per region.
func prefixListsOf(reg string) []*prefixList {
	var out []*prefixList
	for _, service := range []string{"dynamodb", "s3"} {
		name := "com.amazonaws." + reg + "." + service
		out = append(out, &prefixList{ID: "pl-" + stableSuffix(name)[:8], Name: name, Region: reg, Cidrs: managedServiceCidrs[service]})
	}
	return out
}

func (p *prefixList) filterValues(name string) ([]string, bool) {
	switch name {
	case "prefix-list-id":
		return []string{p.ID}, true
	case "prefix-list-name":
		return []string{p.Name}, true
	case "owner-id":
		return []string{"AWS"}, true
	}
	return nil, false
}

// ---- VPC endpoints ----

// VpcEndpoint connects a VPC to an AWS service: a Gateway endpoint through
// routes to the service's prefix list, an Interface endpoint through a
// network interface in each of its subnets.
type VpcEndpoint struct {
	ID                  string
	Type                string
	VpcID               string
	ServiceName         string
	State               string
	PolicyDocument      string
	RouteTableIDs       []string
	SubnetIDs           []string
	SecurityGroupIDs    []string
	NetworkInterfaceIDs []string
	PrivateDNSEnabled   bool
	OwnerID             string
	CreationTime        time.Time
	Tags                map[string]string
}

// fullAccessPolicy is the policy an endpoint gets unless given one.
const fullAccessPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// gatewayServices are the services with Gateway endpoints.
var gatewayServices = []string{"s3", "dynamodb"}

type createVpcEndpointRequest struct {
	Type, VpcID, ServiceName, PolicyDocument, ClientToken string
	RouteTableIDs, SubnetIDs, SecurityGroupIDs            []string
	PrivateDNSEnabled                                     *bool
	Tags                                                  map[string]string
}

// endpointService returns the short name of a service endpoint name
// (com.amazonaws.<region>.<service>) of the call's region.
func endpointService(ctx context.Context, name string) (string, error) {
	service, ok := strings.CutPrefix(name, "com.amazonaws."+region(ctx)+".")
	if !ok || service == "" {
		return "", errorf("InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", name)
	}
	return service, nil
}

// splitServiceName reads com.amazonaws.<region>.<service>.
func splitServiceName(name string) (reg, service string, ok bool) {
	rest, ok := strings.CutPrefix(name, "com.amazonaws.")
	if !ok {
		return "", "", false
	}
	reg, service, ok = strings.Cut(rest, ".")
	return reg, service, ok && reg != "" && service != ""
}

func (b *Backend) createVpcEndpoint(ctx context.Context, req createVpcEndpointRequest, dryRun bool) (*VpcEndpoint, error) {
	switch {
	case req.VpcID == "":
		return nil, missingParameter("VpcId")
	case req.ServiceName == "":
		return nil, missingParameter("ServiceName")
	}
	if req.Type == "" {
		req.Type = "Gateway"
	}
	service, err := endpointService(ctx, req.ServiceName)
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case "Gateway":
		if !slices.Contains(gatewayServices, service) {
			return nil, invalidParameterValue("The Vpc Endpoint Service '%s' does not support endpoint type Gateway", req.ServiceName)
		}
		if len(req.SubnetIDs) > 0 || len(req.SecurityGroupIDs) > 0 {
			return nil, invalidParameterCombination("Subnets and security groups are not supported for Gateway endpoints")
		}
	case "Interface":
		if len(req.RouteTableIDs) > 0 {
			return nil, invalidParameterCombination("Route tables are not supported for Interface endpoints")
		}
	default:
		return nil, invalidParameterValue("The endpoint type %s is not supported by the local cloud", req.Type)
	}
	if req.PolicyDocument == "" {
		req.PolicyDocument = fullAccessPolicy
	}
	var endpoint *VpcEndpoint
	err = b.update(ctx, dryRun, func(tx *store.Tx) error {
		if prior, err := b.replay(tx, "CreateVpcEndpoint", req.ClientToken, req); err != nil || prior != "" {
			if err == nil {
				endpoint, err = getResource[VpcEndpoint](tx, kindVpcEndpoint, prior)
			}
			return err
		}
		vpc, err := getResource[Vpc](tx, kindVpc, req.VpcID)
		if err != nil {
			return err
		}
		endpoint = &VpcEndpoint{ID: store.NewID("vpce-", 17), Type: req.Type, VpcID: vpc.ID, ServiceName: req.ServiceName, State: "available",
			PolicyDocument: req.PolicyDocument, OwnerID: owner(ctx), CreationTime: b.now().UTC().Truncate(time.Millisecond), Tags: req.Tags,
			RouteTableIDs: []string{}, SubnetIDs: []string{}, SecurityGroupIDs: []string{}, NetworkInterfaceIDs: []string{}}
		if req.Type == "Interface" {
			endpoint.PrivateDNSEnabled = req.PrivateDNSEnabled == nil || *req.PrivateDNSEnabled
		}
		if err := endpoint.change(tx, vpc, endpointChange{addTables: req.RouteTableIDs, addSubnets: req.SubnetIDs, addGroups: req.SecurityGroupIDs}); err != nil {
			return err
		}
		if err := b.remember(tx, "CreateVpcEndpoint", req.ClientToken, req, endpoint.ID); err != nil {
			return err
		}
		return tx.Put(tableVpcEndpoints, endpoint.ID, endpoint)
	})
	return endpoint, err
}

// endpointChange is what CreateVpcEndpoint and ModifyVpcEndpoint add to an
// endpoint and take from it.
type endpointChange struct {
	addTables, removeTables, addSubnets, removeSubnets, addGroups, removeGroups []string
}

// change applies c: routes to the service's prefix list come and go with
// route tables, network interfaces with subnets.
func (e *VpcEndpoint) change(tx *store.Tx, vpc *Vpc, c endpointChange) error {
	prefixListID := ""
	for _, p := range prefixListsOf(vpc.Region) {
		if p.Name == e.ServiceName {
			prefixListID = p.ID
		}
	}
	for _, id := range c.addTables {
		table, err := getResource[RouteTable](tx, kindRouteTable, id)
		if err != nil {
			return err
		}
		if table.VpcID != vpc.ID {
			return invalidParameterValue("route table %s is not in VPC %s", table.ID, vpc.ID)
		}
		if slices.Contains(e.RouteTableIDs, id) {
			continue
		}
		for _, r := range table.Routes {
			if r.DestinationPrefixListID == prefixListID {
				return errorf(codeRouteAlreadyExists, "route table %s already has a route with destination-prefix-list-id %s", table.ID, prefixListID)
			}
		}
		table.Routes = append(table.Routes, Route{DestinationPrefixListID: prefixListID, Target: RouteTarget{GatewayID: e.ID}, Origin: "CreateRoute"})
		if err := tx.Put(tableRouteTables, table.ID, table); err != nil {
			return err
		}
		e.RouteTableIDs = append(e.RouteTableIDs, id)
	}
	for _, id := range c.removeTables {
		if !slices.Contains(e.RouteTableIDs, id) {
			continue
		}
		table, err := store.Get[RouteTable](tx, tableRouteTables, id)
		if err != nil {
			return err
		}
		if table != nil {
			table.Routes = slices.DeleteFunc(table.Routes, func(r Route) bool { return r.Target.GatewayID == e.ID })
			if err := tx.Put(tableRouteTables, table.ID, table); err != nil {
				return err
			}
		}
		e.RouteTableIDs = slices.DeleteFunc(e.RouteTableIDs, func(t string) bool { return t == id })
	}
	for _, id := range c.addGroups {
		group, err := getResource[SecurityGroup](tx, kindSecurityGroup, id)
		if err != nil {
			return err
		}
		if group.VpcID != vpc.ID {
			return invalidParameterValue("security group %s is not in VPC %s", group.ID, vpc.ID)
		}
		if !slices.Contains(e.SecurityGroupIDs, id) {
			e.SecurityGroupIDs = append(e.SecurityGroupIDs, id)
		}
	}
	e.SecurityGroupIDs = slices.DeleteFunc(e.SecurityGroupIDs, func(g string) bool { return slices.Contains(c.removeGroups, g) })
	if e.Type == "Interface" && len(e.SecurityGroupIDs) == 0 {
		e.SecurityGroupIDs = []string{vpc.DefaultSecurityGroupID}
	}
	zones := map[string]bool{}
	for _, id := range e.SubnetIDs {
		if s, err := store.Get[Subnet](tx, tableSubnets, id); err == nil && s != nil {
			zones[s.AvailabilityZone] = true
		}
	}
	for _, id := range c.addSubnets {
		subnet, err := getResource[Subnet](tx, kindSubnet, id)
		if err != nil {
			return err
		}
		if subnet.VpcID != vpc.ID {
			return invalidParameterValue("subnet %s is not in VPC %s", subnet.ID, vpc.ID)
		}
		if slices.Contains(e.SubnetIDs, id) {
			continue
		}
		if zones[subnet.AvailabilityZone] {
			return orDuplicateZone(subnet)
		}
		zones[subnet.AvailabilityZone] = true
		ip, err := claimAddress(tx, subnet, "")
		if err != nil {
			return err
		}
		eni := &NetworkInterface{ID: store.NewID("eni-", 17), SubnetID: subnet.ID, VpcID: vpc.ID, AvailabilityZone: subnet.AvailabilityZone,
			OwnerID: vpc.OwnerID, Description: "VPC Endpoint Interface " + e.ID, PrivateIP: ip, MacAddress: macAddress(),
			InterfaceType: "vpc_endpoint", Status: "in-use", RequesterManaged: true, SourceDestCheck: true, SecurityGroupIDs: e.SecurityGroupIDs,
			Tags: map[string]string{}}
		if err := tx.Put(tableNetworkInterfaces, eni.ID, eni); err != nil {
			return err
		}
		e.SubnetIDs = append(e.SubnetIDs, id)
		e.NetworkInterfaceIDs = append(e.NetworkInterfaceIDs, eni.ID)
	}
	for _, id := range c.removeSubnets {
		i := slices.Index(e.SubnetIDs, id)
		if i < 0 {
			continue
		}
		if err := tx.Delete(tableNetworkInterfaces, e.NetworkInterfaceIDs[i]); err != nil {
			return err
		}
		e.SubnetIDs = slices.Delete(e.SubnetIDs, i, i+1)
		e.NetworkInterfaceIDs = slices.Delete(e.NetworkInterfaceIDs, i, i+1)
	}
	// The endpoint's interfaces carry its groups.
	for _, id := range e.NetworkInterfaceIDs {
		eni, err := store.Get[NetworkInterface](tx, tableNetworkInterfaces, id)
		if err != nil {
			return err
		}
		if eni != nil {
			eni.SecurityGroupIDs = e.SecurityGroupIDs
			if err := tx.Put(tableNetworkInterfaces, eni.ID, eni); err != nil {
				return err
			}
		}
	}
	return nil
}

func orDuplicateZone(subnet *Subnet) error {
	return errorf("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", subnet.ID)
}

type modifyVpcEndpointRequest struct {
	ID                string
	PolicyDocument    string
	ResetPolicy       bool
	PrivateDNSEnabled *bool
	change            endpointChange
}

func (b *Backend) modifyVpcEndpoint(ctx context.Context, req modifyVpcEndpointRequest, dryRun bool) error {
	if req.ID == "" {
		return missingParameter("VpcEndpointId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		endpoint, err := getResource[VpcEndpoint](tx, kindVpcEndpoint, req.ID)
		if err != nil {
			return err
		}
		vpc, err := getResource[Vpc](tx, kindVpc, endpoint.VpcID)
		if err != nil {
			return err
		}
		if endpoint.Type == "Gateway" && (len(req.change.addSubnets) > 0 || len(req.change.addGroups) > 0) {
			return invalidParameterCombination("Subnets and security groups are not supported for Gateway endpoints")
		}
		if endpoint.Type == "Interface" && len(req.change.addTables) > 0 {
			return invalidParameterCombination("Route tables are not supported for Interface endpoints")
		}
		switch {
		case req.ResetPolicy:
			endpoint.PolicyDocument = fullAccessPolicy
		case req.PolicyDocument != "":
			endpoint.PolicyDocument = req.PolicyDocument
		}
		if req.PrivateDNSEnabled != nil {
			endpoint.PrivateDNSEnabled = *req.PrivateDNSEnabled
		}
		if err := endpoint.change(tx, vpc, req.change); err != nil {
			return err
		}
		return tx.Put(tableVpcEndpoints, endpoint.ID, endpoint)
	})
}

// deleteVpcEndpoints deletes what exists of ids and reports the rest, as
// AWS does (the call itself succeeds).
func (b *Backend) deleteVpcEndpoints(ctx context.Context, ids []string, dryRun bool) (map[string]*protocol.Error, error) {
	if len(ids) == 0 {
		return nil, missingParameter("VpcEndpointId")
	}
	failed := map[string]*protocol.Error{}
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		for _, id := range ids {
			endpoint, err := store.Get[VpcEndpoint](tx, tableVpcEndpoints, id)
			if err != nil {
				return err
			}
			if endpoint == nil {
				failed[id] = protocol.Errorf("InvalidVpcEndpoint.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
				continue
			}
			vpc, err := getResource[Vpc](tx, kindVpc, endpoint.VpcID)
			if err != nil {
				return err
			}
			if err := endpoint.change(tx, vpc, endpointChange{removeTables: endpoint.RouteTableIDs, removeSubnets: slices.Clone(endpoint.SubnetIDs)}); err != nil {
				return err
			}
			if err := tx.Delete(tableVpcEndpoints, id); err != nil {
				return err
			}
		}
		return nil
	})
	return failed, err
}

func (e *VpcEndpoint) filterValues(name string) ([]string, bool) {
	switch name {
	case "vpc-endpoint-id":
		return []string{e.ID}, true
	case "vpc-id":
		return []string{e.VpcID}, true
	case "service-name":
		return []string{e.ServiceName}, true
	case "vpc-endpoint-state":
		return []string{e.State}, true
	case "vpc-endpoint-type":
		return []string{e.Type}, true
	case "ip-address-type":
		return []string{"ipv4"}, true
	case "service-region":
		if reg, _, ok := splitServiceName(e.ServiceName); ok {
			return []string{reg}, true
		}
		return nil, true
	}
	return nil, false
}
