package ec2

import (
	"context"
	"net/netip"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Subnet is a range of a VPC's addresses in one availability zone.
type Subnet struct {
	ID                          string
	ARN                         string
	VpcID                       string
	OwnerID                     string
	Region                      string
	CidrBlock                   string
	AvailabilityZone            string
	AvailabilityZoneID          string
	State                       string
	MapPublicIPOnLaunch         bool
	AssignIpv6AddressOnCreation bool
	EnableDNS64                 bool
	DefaultForAz                bool
	Tags                        map[string]string
}

// Subnet returns the subnet with id, or nil when there is none.
func (b *Backend) Subnet(ctx context.Context, id string) (*Subnet, error) {
	var subnet *Subnet
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		subnet, err = store.Get[Subnet](tx, tableSubnets, id)
		return err
	})
	return subnet, err
}

// reservedAddresses are the addresses AWS keeps in every subnet: the first
// four and the last.
const reservedAddresses = 5

// subnetSize is the number of addresses of the subnet's block.
func subnetSize(prefix netip.Prefix) int { return 1 << (32 - prefix.Bits()) }

type createSubnetRequest struct {
	VpcID              string
	CidrBlock          string
	AvailabilityZone   string
	AvailabilityZoneID string
	Tags               map[string]string
}

func (b *Backend) createSubnet(ctx context.Context, req createSubnetRequest, dryRun bool) (*Subnet, error) {
	if req.VpcID == "" {
		return nil, missingParameter("VpcId")
	}
	if req.CidrBlock == "" {
		return nil, missingParameter("CidrBlock")
	}
	prefix, err := parseCIDR("cidrBlock", req.CidrBlock)
	if err != nil {
		return nil, err
	}
	if req.AvailabilityZone != "" && req.AvailabilityZoneID != "" {
		return nil, invalidParameterCombination("Only one of AvailabilityZone or AvailabilityZoneId may be specified")
	}
	reg := region(ctx)
	var subnet *Subnet
	err = b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, req.VpcID)
		if err != nil {
			return err
		}
		if prefix.Bits() < 16 || prefix.Bits() > 28 || !vpc.containsSubnet(prefix) {
			return errorf(codeInvalidSubnetRange, "The CIDR '%s' is invalid.", req.CidrBlock)
		}
		subnets, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		perZone := map[string]int{}
		for _, s := range subnets {
			if s.VpcID != vpc.ID {
				continue
			}
			perZone[s.AvailabilityZone]++
			if overlaps(prefix, netip.MustParsePrefix(s.CidrBlock)) {
				return errorf(codeInvalidSubnetConflict, "The CIDR '%s' conflicts with another subnet", req.CidrBlock)
			}
		}
		var zone AvailabilityZone
		switch {
		case req.AvailabilityZone != "" || req.AvailabilityZoneID != "":
			var ok bool
			if zone, ok = zoneNamed(reg, req.AvailabilityZone, req.AvailabilityZoneID); !ok {
				value := req.AvailabilityZone + req.AvailabilityZoneID
				return invalidParameterValue("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc.", value, reg, reg, reg)
			}
		default: // AWS picks a zone; spreading keeps the VPC's subnets apart
			zones := zonesOf(reg)
			zone = zones[0]
			for _, z := range zones {
				if perZone[z.Name] < perZone[zone.Name] {
					zone = z
				}
			}
		}
		id := store.NewID("subnet-", 17)
		subnet = &Subnet{
			ID: id, ARN: scopeOf(ctx).ARN("ec2", "subnet/"+id), VpcID: vpc.ID, OwnerID: owner(ctx), Region: reg,
			CidrBlock: prefix.String(), AvailabilityZone: zone.Name, AvailabilityZoneID: zone.ID, State: "available", Tags: req.Tags,
		}
		return putSubnet(tx, vpc, subnet)
	})
	if err != nil {
		return nil, err
	}
	return subnet, nil
}

// putSubnet stores a new subnet of vpc, associated with the VPC's default
// network ACL as every new subnet is.
func putSubnet(tx *store.Tx, vpc *Vpc, subnet *Subnet) error {
	acl, err := aclOfVpc(tx, vpc)
	if err != nil {
		return err
	}
	acl.Associations = append(acl.Associations, NetworkACLAssociation{ID: store.NewID("aclassoc-", 17), SubnetID: subnet.ID})
	if err := tx.Put(tableNetworkACLs, acl.ID, acl); err != nil {
		return err
	}
	return tx.Put(tableSubnets, subnet.ID, subnet)
}

// deleteSubnet deletes a subnet no live instance uses, with its route table
// and network ACL associations.
func (b *Backend) deleteSubnet(ctx context.Context, subnetID string, dryRun bool) error {
	now := b.now()
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		subnet, err := getResource[Subnet](tx, kindSubnet, subnetID)
		if err != nil {
			return err
		}
		instances, err := store.List[Instance](tx, tableInstances)
		if err != nil {
			return err
		}
		for _, inst := range instances {
			if inst.SubnetID == subnet.ID && inst.State != stateTerminated && inst.visible(now) {
				return dependencyViolation("The subnet '%s' has dependencies and cannot be deleted.", subnet.ID)
			}
		}
		interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
		if err != nil {
			return err
		}
		for _, eni := range interfaces {
			if eni.SubnetID == subnet.ID {
				return dependencyViolation("The subnet '%s' has dependencies and cannot be deleted.", subnet.ID)
			}
		}
		tables, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t.dropSubnet(subnet.ID) {
				if err := tx.Put(tableRouteTables, t.ID, t); err != nil {
					return err
				}
			}
		}
		acls, err := store.List[NetworkACL](tx, tableNetworkACLs)
		if err != nil {
			return err
		}
		for _, a := range acls {
			kept := a.Associations[:0]
			for _, assoc := range a.Associations {
				if assoc.SubnetID != subnet.ID {
					kept = append(kept, assoc)
				}
			}
			if len(kept) != len(a.Associations) {
				a.Associations = kept
				if err := tx.Put(tableNetworkACLs, a.ID, a); err != nil {
					return err
				}
			}
		}
		return tx.Delete(tableSubnets, subnet.ID)
	})
}

// subnetAttributes are the boolean attributes ModifySubnetAttribute sets.
var subnetAttributes = map[string]func(*Subnet, bool) error{
	"MapPublicIpOnLaunch": func(s *Subnet, v bool) error { s.MapPublicIPOnLaunch = v; return nil },
	"AssignIpv6AddressOnCreation": func(s *Subnet, v bool) error {
		if v {
			return invalidParameterValue("Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation to true unless the subnet (%s) has an IPv6 CIDR block associated with it.", s.ID)
		}
		s.AssignIpv6AddressOnCreation = false
		return nil
	},
	"EnableDns64": func(s *Subnet, v bool) error { s.EnableDNS64 = v; return nil },
}

func (b *Backend) modifySubnetAttribute(ctx context.Context, subnetID, attribute string, value bool, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		subnet, err := getResource[Subnet](tx, kindSubnet, subnetID)
		if err != nil {
			return err
		}
		if err := subnetAttributes[attribute](subnet, value); err != nil {
			return err
		}
		return tx.Put(tableSubnets, subnet.ID, subnet)
	})
}

// usedAddresses counts, per subnet, the addresses live instances hold.
func usedAddresses(tx *store.Tx) (map[string]int, error) {
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return nil, err
	}
	used := map[string]int{}
	for _, inst := range instances {
		if inst.State != stateTerminated {
			used[inst.SubnetID]++
		}
	}
	interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
	if err != nil {
		return nil, err
	}
	for _, eni := range interfaces {
		used[eni.SubnetID]++
	}
	return used, nil
}

func (s *Subnet) availableAddresses(used int) int {
	return subnetSize(netip.MustParsePrefix(s.CidrBlock)) - reservedAddresses - used
}

func (s *Subnet) filterValues(used int) fieldValues {
	return func(name string) ([]string, bool) {
		switch name {
		case "subnet-id":
			return []string{s.ID}, true
		case "subnet-arn":
			return []string{s.ARN}, true
		case "vpc-id", "vpcId":
			return []string{s.VpcID}, true
		case "cidr", "cidr-block", "cidrBlock":
			return []string{s.CidrBlock}, true
		case "availability-zone", "availabilityZone":
			return []string{s.AvailabilityZone}, true
		case "availability-zone-id", "availabilityZoneId":
			return []string{s.AvailabilityZoneID}, true
		case "state":
			return []string{s.State}, true
		case "default-for-az", "defaultForAz":
			return []string{strconv.FormatBool(s.DefaultForAz)}, true
		case "map-public-ip-on-launch":
			return []string{strconv.FormatBool(s.MapPublicIPOnLaunch)}, true
		case "owner-id":
			return []string{s.OwnerID}, true
		case "available-ip-address-count":
			return []string{strconv.Itoa(s.availableAddresses(used))}, true
		}
		return nil, false
	}
}
