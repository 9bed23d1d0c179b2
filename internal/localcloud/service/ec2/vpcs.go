package ec2

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Vpc is a virtual network with one IPv4 CIDR block.
type Vpc struct {
	ID                string
	OwnerID           string
	Region            string
	CidrBlock         string
	CidrAssociationID string
	SecondaryCidrs    []VpcCidr
	State             string
	InstanceTenancy   string
	DhcpOptionsID     string
	IsDefault         bool

	EnableDNSSupport                 bool
	EnableDNSHostnames               bool
	EnableNetworkAddressUsageMetrics bool

	// What CreateVpc made with the VPC and DeleteVpc removes with it.
	MainRouteTableID       string
	DefaultSecurityGroupID string
	DefaultNetworkACLID    string

	Tags map[string]string
}

// parseCIDR reads an IPv4 CIDR block that names a network (no host bits).
func parseCIDR(param, cidr string) (netip.Prefix, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix {
		return netip.Prefix{}, invalidParameterValue("Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", cidr, param)
	}
	return prefix, nil
}

// overlaps reports whether two prefixes share an address.
func overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

type createVpcRequest struct {
	CidrBlock       string
	InstanceTenancy string
	Tags            map[string]string
}

// createVpc creates a VPC with what AWS creates alongside: the main route
// table (with its local route), the default security group and the default
// network ACL.
func (b *Backend) createVpc(ctx context.Context, req createVpcRequest, dryRun bool) (*Vpc, error) {
	if req.CidrBlock == "" {
		return nil, missingParameter("CidrBlock")
	}
	prefix, err := parseCIDR("cidrBlock", req.CidrBlock)
	if err != nil {
		return nil, err
	}
	if prefix.Bits() < 16 || prefix.Bits() > 28 {
		return nil, errorf(codeInvalidVpcRange, "The CIDR '%s' is invalid.", req.CidrBlock)
	}
	switch req.InstanceTenancy {
	case "":
		req.InstanceTenancy = "default"
	case "default", "dedicated":
	default:
		return nil, invalidParameterValue("Value (%s) for parameter instanceTenancy is invalid.", req.InstanceTenancy)
	}
	vpc := &Vpc{
		ID: store.NewID("vpc-", 17), OwnerID: owner(ctx), Region: region(ctx),
		CidrBlock: prefix.String(), CidrAssociationID: store.NewID("vpc-cidr-assoc-", 17),
		State: "available", InstanceTenancy: req.InstanceTenancy,
		EnableDNSSupport: true, Tags: req.Tags,
	}
	err = b.update(ctx, dryRun, func(tx *store.Tx) error {
		_, err := putVpc(ctx, tx, vpc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return vpc, nil
}

// vpcParts is what a VPC comes with: its main route table, default security
// group and default network ACL.
type vpcParts struct {
	mainTable *RouteTable
	group     *SecurityGroup
	acl       *NetworkACL
}

// putVpc stores vpc with what AWS creates alongside it: the main route
// table (with its local route), the default security group (all traffic
// from its own members in, everything out) and the default network ACL.
func putVpc(ctx context.Context, tx *store.Tx, vpc *Vpc) (vpcParts, error) {
	options, err := regionDhcpOptionsID(tx)
	if err != nil {
		return vpcParts{}, err
	}
	vpc.DhcpOptionsID = options
	mainTable := newRouteTable(ctx, vpc)
	mainTable.Associations = []RouteTableAssociation{{ID: store.NewID("rtbassoc-", 17), Main: true}}
	group := newSecurityGroup(ctx, vpc.ID, "default", "default VPC security group")
	group.Rules = append(group.Rules, SecurityGroupRule{
		ID: store.NewID("sgr-", 17), Protocol: "-1", FromPort: -1, ToPort: -1, ReferencedGroupID: group.ID, ReferencedUserID: vpc.OwnerID,
	})
	acl := newDefaultNetworkACL(ctx, vpc.ID)
	vpc.MainRouteTableID, vpc.DefaultSecurityGroupID, vpc.DefaultNetworkACLID = mainTable.ID, group.ID, acl.ID
	if err := tx.Put(tableVpcs, vpc.ID, vpc); err != nil {
		return vpcParts{}, err
	}
	if err := tx.Put(tableRouteTables, mainTable.ID, mainTable); err != nil {
		return vpcParts{}, err
	}
	if err := tx.Put(tableSecurityGroups, group.ID, group); err != nil {
		return vpcParts{}, err
	}
	if err := tx.Put(tableNetworkACLs, acl.ID, acl); err != nil {
		return vpcParts{}, err
	}
	return vpcParts{mainTable: mainTable, group: group, acl: acl}, nil
}

// deleteVpc deletes a VPC that holds nothing but what CreateVpc made.
func (b *Backend) deleteVpc(ctx context.Context, vpcID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, vpcID)
		if err != nil {
			return err
		}
		inUse := func() error {
			return dependencyViolation("The vpc '%s' has dependencies and cannot be deleted.", vpcID)
		}
		subnets, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		for _, s := range subnets {
			if s.VpcID == vpcID {
				return inUse()
			}
		}
		gateways, err := store.List[InternetGateway](tx, tableInternetGateways)
		if err != nil {
			return err
		}
		for _, g := range gateways {
			if g.VpcID == vpcID {
				return inUse()
			}
		}
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.VpcID == vpcID && g.ID != vpc.DefaultSecurityGroupID {
				return inUse()
			}
		}
		tables, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.VpcID == vpcID && t.ID != vpc.MainRouteTableID {
				return inUse()
			}
		}
		acls, err := store.List[NetworkACL](tx, tableNetworkACLs)
		if err != nil {
			return err
		}
		for _, a := range acls {
			if a.VpcID == vpcID && a.ID != vpc.DefaultNetworkACLID {
				return inUse()
			}
		}
		endpoints, err := store.List[VpcEndpoint](tx, tableVpcEndpoints)
		if err != nil {
			return err
		}
		for _, e := range endpoints {
			if e.VpcID == vpcID {
				return inUse()
			}
		}
		egress, err := store.List[EgressOnlyInternetGateway](tx, tableEgressOnlyGateways)
		if err != nil {
			return err
		}
		for _, g := range egress {
			if g.VpcID == vpcID {
				return inUse()
			}
		}
		for table, id := range map[string]string{tableRouteTables: vpc.MainRouteTableID, tableSecurityGroups: vpc.DefaultSecurityGroupID,
			tableNetworkACLs: vpc.DefaultNetworkACLID, tableVpcs: vpc.ID} {
			if err := tx.Delete(table, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// modifyVpcAttribute sets one attribute, as AWS allows one per call.
func (b *Backend) modifyVpcAttribute(ctx context.Context, vpcID, attribute string, value bool, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, vpcID)
		if err != nil {
			return err
		}
		switch attribute {
		case "enableDnsSupport":
			vpc.EnableDNSSupport = value
		case "enableDnsHostnames":
			vpc.EnableDNSHostnames = value
		case "enableNetworkAddressUsageMetrics":
			vpc.EnableNetworkAddressUsageMetrics = value
		}
		return tx.Put(tableVpcs, vpc.ID, vpc)
	})
}

func (v *Vpc) filterValues(name string) ([]string, bool) {
	switch name {
	case "vpc-id":
		return []string{v.ID}, true
	case "cidr", "cidrBlock":
		return []string{v.CidrBlock}, true
	case "cidr-block-association.cidr-block":
		var out []string
		for _, c := range v.cidrs() {
			out = append(out, c.CidrBlock)
		}
		return out, true
	case "cidr-block-association.association-id":
		var out []string
		for _, c := range v.cidrs() {
			out = append(out, c.AssociationID)
		}
		return out, true
	case "cidr-block-association.state":
		return []string{"associated"}, true
	case "state":
		return []string{v.State}, true
	case "is-default", "isDefault":
		return []string{strconv.FormatBool(v.IsDefault)}, true
	case "owner-id":
		return []string{v.OwnerID}, true
	case "dhcp-options-id":
		return []string{v.DhcpOptionsID}, true
	case "instance-tenancy":
		return []string{v.InstanceTenancy}, true
	}
	return nil, false
}

// NetworkACL is a VPC's stateless subnet firewall; the local cloud keeps
// only the default one each VPC gets, with AWS's allow-all entries.
type NetworkACL struct {
	ID           string
	VpcID        string
	OwnerID      string
	IsDefault    bool
	Entries      []NetworkACLEntry
	Associations []NetworkACLAssociation
	Tags         map[string]string
}

// NetworkACLEntry is one numbered rule.
type NetworkACLEntry struct {
	RuleNumber int
	Protocol   string
	RuleAction string
	Egress     bool
	CidrBlock  string
}

// NetworkACLAssociation ties a subnet to the ACL.
type NetworkACLAssociation struct {
	ID       string
	SubnetID string
}

func newDefaultNetworkACL(ctx context.Context, vpcID string) *NetworkACL {
	acl := &NetworkACL{ID: store.NewID("acl-", 17), VpcID: vpcID, OwnerID: owner(ctx), IsDefault: true, Tags: map[string]string{}}
	for _, egress := range []bool{false, true} {
		acl.Entries = append(acl.Entries,
			NetworkACLEntry{RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: egress, CidrBlock: "0.0.0.0/0"},
			NetworkACLEntry{RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: egress, CidrBlock: "0.0.0.0/0"})
	}
	return acl
}

func (a *NetworkACL) filterValues(name string) ([]string, bool) {
	switch name {
	case "network-acl-id":
		return []string{a.ID}, true
	case "vpc-id":
		return []string{a.VpcID}, true
	case "default":
		return []string{strconv.FormatBool(a.IsDefault)}, true
	case "owner-id":
		return []string{a.OwnerID}, true
	case "association.subnet-id":
		var ids []string
		for _, assoc := range a.Associations {
			ids = append(ids, assoc.SubnetID)
		}
		return ids, true
	case "association.association-id":
		var ids []string
		for _, assoc := range a.Associations {
			ids = append(ids, assoc.ID)
		}
		return ids, true
	case "association.network-acl-id":
		return []string{a.ID}, true
	case "entry.rule-number":
		var out []string
		for _, e := range a.Entries {
			out = append(out, strconv.Itoa(e.RuleNumber))
		}
		return out, true
	}
	return nil, false
}

// aclOfVpc returns the default network ACL of a VPC.
func aclOfVpc(tx *store.Tx, vpc *Vpc) (*NetworkACL, error) {
	acl, err := store.Get[NetworkACL](tx, tableNetworkACLs, vpc.DefaultNetworkACLID)
	if err != nil {
		return nil, err
	}
	if acl == nil {
		return nil, fmt.Errorf("vpc %s lost its default network ACL %s", vpc.ID, vpc.DefaultNetworkACLID)
	}
	return acl, nil
}
