package ec2

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Every account has a default VPC in every region, as on AWS (and moto):
// tools lean on it (CreateSecurityGroup without a VpcId, RunInstances
// without a subnet, Terraform's aws_default_vpc, ELBv2 tests). The local
// cloud makes it the first time EC2 is called in an account and region, and
// records that it did, so a default VPC the user deleted stays deleted until
// CreateDefaultVpc, as on AWS.

const (
	tableDefaults = "ec2/defaults"
	// defaultsMade is the marker key: the scope's defaults were made once.
	defaultsMade = "made"
)

// defaultVpcCIDR is the block of every default VPC; its default subnets are
// its first /20s, one per availability zone.
const defaultVpcCIDR = "172.31.0.0/16"

// defaultsMarker records that a scope's defaults were made, and the DHCP
// options set AWS makes for a region, which new VPCs get.
type defaultsMarker struct {
	Made          bool
	DhcpOptionsID string
}

// withDefaults wraps an operation so that the call's scope has its defaults
// before the operation runs.
func (b *Backend) withDefaults(op protocol.Operation) protocol.Operation {
	invoke := op.Invoke
	op.Invoke = func(ctx context.Context, input any) (any, error) {
		if err := b.ensureDefaults(ctx); err != nil {
			return nil, err
		}
		return invoke(ctx, input)
	}
	return op
}

// ensureDefaults makes the scope's default VPC unless it was made before.
// The store remembers per scope that makeDefaults succeeded, so a call
// after the first costs no transaction (and a Reset, or state opened
// again from disk, checks the marker again).
func (b *Backend) ensureDefaults(ctx context.Context) error {
	return b.store.Once(ctx, tableDefaults, b.makeDefaults)
}

// makeDefaults makes the scope's defaults unless its marker says they were
// made. A read decides the common case; the write transaction checks
// again, and the store runs one write transaction at a time, so two first
// calls racing make one default VPC.
func (b *Backend) makeDefaults(ctx context.Context) error {
	made := false
	err := b.store.View(ctx, func(tx *store.Tx) error {
		marker, err := store.Get[defaultsMarker](tx, tableDefaults, defaultsMade)
		made = marker != nil
		return err
	})
	if err != nil || made {
		return err
	}
	return b.store.Update(ctx, func(tx *store.Tx) error {
		marker, err := store.Get[defaultsMarker](tx, tableDefaults, defaultsMade)
		if err != nil || marker != nil {
			return err
		}
		options := regionDhcpOptions(ctx)
		if err := tx.Put(tableDhcpOptions, options.ID, options); err != nil {
			return err
		}
		if err := tx.Put(tableDefaults, defaultsMade, defaultsMarker{Made: true, DhcpOptionsID: options.ID}); err != nil {
			return err
		}
		_, err = putDefaultVpc(ctx, tx)
		return err
	})
}

// putDefaultVpc stores a default VPC with what AWS gives one: DNS hostnames
// on, an attached internet gateway that the main route table sends
// 0.0.0.0/0 to, and a default subnet in each availability zone that gives
// its instances public addresses.
func putDefaultVpc(ctx context.Context, tx *store.Tx) (*Vpc, error) {
	vpc := &Vpc{
		ID: store.NewID("vpc-", 17), OwnerID: owner(ctx), Region: region(ctx),
		CidrBlock: defaultVpcCIDR, CidrAssociationID: store.NewID("vpc-cidr-assoc-", 17),
		State: "available", InstanceTenancy: "default", IsDefault: true,
		EnableDNSSupport: true, EnableDNSHostnames: true, Tags: map[string]string{},
	}
	parts, err := putVpc(ctx, tx, vpc)
	if err != nil {
		return nil, err
	}
	gateway := &InternetGateway{ID: store.NewID("igw-", 17), OwnerID: vpc.OwnerID, VpcID: vpc.ID, Tags: map[string]string{}}
	if err := tx.Put(tableInternetGateways, gateway.ID, gateway); err != nil {
		return nil, err
	}
	parts.mainTable.Routes = append(parts.mainTable.Routes, Route{DestinationCidrBlock: "0.0.0.0/0",
		Target: RouteTarget{GatewayID: gateway.ID}, Origin: "CreateRoute"})
	if err := tx.Put(tableRouteTables, parts.mainTable.ID, parts.mainTable); err != nil {
		return nil, err
	}
	for i, zone := range zonesOf(vpc.Region) {
		if err := putDefaultSubnet(ctx, tx, vpc, zone, i); err != nil {
			return nil, err
		}
	}
	return vpc, nil
}

// putDefaultSubnet stores the default subnet of zone: the VPC's n-th /20.
func putDefaultSubnet(ctx context.Context, tx *store.Tx, vpc *Vpc, zone AvailabilityZone, n int) error {
	base := netip.MustParsePrefix(defaultVpcCIDR).Addr().As4()
	base[2] = byte(16 * n)
	cidr := netip.PrefixFrom(netip.AddrFrom4(base), 20)
	id := store.NewID("subnet-", 17)
	subnet := &Subnet{
		ID: id, ARN: scopeOf(ctx).ARN("ec2", "subnet/"+id), VpcID: vpc.ID, OwnerID: vpc.OwnerID, Region: vpc.Region,
		CidrBlock: cidr.String(), AvailabilityZone: zone.Name, AvailabilityZoneID: zone.ID, State: "available",
		MapPublicIPOnLaunch: true, DefaultForAz: true, Tags: map[string]string{},
	}
	return putSubnet(tx, vpc, subnet)
}

// regionDhcpOptionsID is the DHCP options set a new VPC gets: the one AWS
// made for the region, or none ("default") once it was deleted.
func regionDhcpOptionsID(tx *store.Tx) (string, error) {
	marker, err := store.Get[defaultsMarker](tx, tableDefaults, defaultsMade)
	if err != nil || marker == nil || marker.DhcpOptionsID == "" {
		return "default", err
	}
	options, err := store.Get[DhcpOptions](tx, tableDhcpOptions, marker.DhcpOptionsID)
	if err != nil || options == nil {
		return "default", err
	}
	return options.ID, nil
}

// defaultVpc returns the scope's default VPC, or nil when it has none.
func defaultVpc(tx *store.Tx) (*Vpc, error) {
	vpcs, err := store.List[Vpc](tx, tableVpcs)
	if err != nil {
		return nil, err
	}
	for _, v := range vpcs {
		if v.IsDefault {
			return v, nil
		}
	}
	return nil, nil
}

// defaultSubnet returns the default subnet of zone ("" picks the first zone
// that has one), or nil when there is none.
func defaultSubnet(tx *store.Tx, zone string) (*Subnet, error) {
	subnets, err := store.List[Subnet](tx, tableSubnets)
	if err != nil {
		return nil, err
	}
	var found *Subnet
	for _, s := range subnets {
		if !s.DefaultForAz || (zone != "" && s.AvailabilityZone != zone) {
			continue
		}
		if found == nil || s.AvailabilityZone < found.AvailabilityZone {
			found = s
		}
	}
	return found, nil
}

func (b *Backend) createDefaultVpc(ctx context.Context, dryRun bool) (*Vpc, error) {
	var vpc *Vpc
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		existing, err := defaultVpc(tx)
		if err != nil {
			return err
		}
		if existing != nil {
			return errorf(codeDefaultVpcExists, "A Default VPC already exists for this account in this region.")
		}
		vpc, err = putDefaultVpc(ctx, tx)
		if err != nil {
			return fmt.Errorf("creating the default VPC: %w", err)
		}
		return nil
	})
	return vpc, err
}

func (b *Backend) handleCreateDefaultVpc(ctx context.Context, in *wire.CreateDefaultVpcRequest) (*wire.CreateDefaultVpcResult, error) {
	vpc, err := b.createDefaultVpc(ctx, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := vpcWire(vpc)
	out.State = "pending" // as AWS answers; it is available at once
	return &wire.CreateDefaultVpcResult{Vpc: &out}, nil
}

// createDefaultSubnet makes the default subnet of a zone of the default VPC,
// in the VPC's first free /20.
func (b *Backend) createDefaultSubnet(ctx context.Context, zoneName, zoneID string, dryRun bool) (*Subnet, error) {
	if zoneName == "" && zoneID == "" {
		return nil, missingParameter("AvailabilityZone")
	}
	zone, ok := zoneNamed(region(ctx), zoneName, zoneID)
	if !ok {
		return nil, invalidParameterValue("Value (%s) for parameter availabilityZone is invalid.", zoneName+zoneID)
	}
	var subnet *Subnet
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := defaultVpc(tx)
		if err != nil {
			return err
		}
		if vpc == nil {
			return errorf("DefaultVpcDoesNotExist", "No default VPC for this user")
		}
		subnets, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		var taken []netip.Prefix
		for _, s := range subnets {
			if s.VpcID != vpc.ID {
				continue
			}
			if s.DefaultForAz && s.AvailabilityZone == zone.Name {
				return errorf("DefaultSubnetAlreadyExistsInAvailabilityZone", "%s already has a default subnet %s.", zone.Name, s.ID)
			}
			taken = append(taken, netip.MustParsePrefix(s.CidrBlock))
		}
		for n := range 16 {
			base := netip.MustParsePrefix(defaultVpcCIDR).Addr().As4()
			base[2] = byte(16 * n)
			cidr := netip.PrefixFrom(netip.AddrFrom4(base), 20)
			if slices.ContainsFunc(taken, cidr.Overlaps) {
				continue
			}
			if err := putDefaultSubnet(ctx, tx, vpc, zone, n); err != nil {
				return err
			}
			subnet, err = defaultSubnet(tx, zone.Name)
			return err
		}
		return errorf("InsufficientFreeAddressesInVpc", "The default VPC %s has no free /20 block for a default subnet.", vpc.ID)
	})
	return subnet, err
}

func (b *Backend) handleCreateDefaultSubnet(ctx context.Context, in *wire.CreateDefaultSubnetRequest) (*wire.CreateDefaultSubnetResult, error) {
	if boolValue(in.Ipv6Native) {
		return nil, invalidParameterValue("IPv6 subnets are not supported by the local cloud")
	}
	subnet, err := b.createDefaultSubnet(ctx, in.AvailabilityZone, in.AvailabilityZoneId, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := subnetWire(subnet, 0)
	return &wire.CreateDefaultSubnetResult{Subnet: &out}, nil
}
