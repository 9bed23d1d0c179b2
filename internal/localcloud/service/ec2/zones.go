package ec2

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// regions are the regions DescribeRegions lists; every region answers, but
// these are the ones tools enumerate.
var regions = []string{
	"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ca-central-1", "eu-central-1",
	"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// zoneLetters are the zones every region of the local cloud has.
var zoneLetters = []string{"a", "b", "c"}

// AvailabilityZone is one zone of a region.
type AvailabilityZone struct {
	Name   string // us-east-1a
	ID     string // use1-az1
	Region string
}

// zonesOf returns a region's zones.
func zonesOf(region string) []AvailabilityZone {
	zones := make([]AvailabilityZone, len(zoneLetters))
	for i, letter := range zoneLetters {
		zones[i] = AvailabilityZone{Name: region + letter, ID: regionShortName(region) + "-az" + string(rune('1'+i)), Region: region}
	}
	return zones
}

// zoneNamed finds a zone of region by name or by id.
func zoneNamed(region, name, id string) (AvailabilityZone, bool) {
	for _, z := range zonesOf(region) {
		if (name != "" && z.Name == name) || (name == "" && z.ID == id) {
			return z, true
		}
	}
	return AvailabilityZone{}, false
}

// regionShortName abbreviates a region the way zone ids do: us-east-1 →
// use1, ap-southeast-2 → apse2.
func regionShortName(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) != 3 {
		return strings.ReplaceAll(region, "-", "")
	}
	direction := parts[1]
	short := ""
	for _, word := range []string{"north", "south", "east", "west", "central"} {
		if strings.HasPrefix(direction, word) {
			short += word[:1]
			direction = strings.TrimPrefix(direction, word)
		}
	}
	if direction != "" { // an unknown word: keep its initial
		short += direction[:1]
	}
	return parts[0] + short + parts[2]
}

func (b *Backend) handleDescribeAvailabilityZones(ctx context.Context, in *wire.DescribeAvailabilityZonesRequest) (*wire.DescribeAvailabilityZonesResult, error) {
	reg := region(ctx)
	out := &wire.DescribeAvailabilityZonesResult{AvailabilityZones: ec2query.List[wire.AvailabilityZone]{}}
	for _, name := range in.ZoneNames {
		if _, ok := zoneNamed(reg, name, ""); !ok {
			return nil, invalidParameterValue("The zone '%s' does not exist.", name)
		}
	}
	for _, id := range in.ZoneIds {
		if _, ok := zoneNamed(reg, "", id); !ok {
			return nil, invalidParameterValue("The zone id '%s' does not exist.", id)
		}
	}
	filters := filtersFrom(in.Filters)
	for _, z := range zonesOf(reg) {
		if len(in.ZoneNames) > 0 && !slices.Contains(in.ZoneNames, z.Name) {
			continue
		}
		if len(in.ZoneIds) > 0 && !slices.Contains(in.ZoneIds, z.ID) {
			continue
		}
		ok, err := matchFilters(filters, nil, func(name string) ([]string, bool) {
			switch name {
			case "zone-name":
				return []string{z.Name}, true
			case "zone-id":
				return []string{z.ID}, true
			case "region-name":
				return []string{z.Region}, true
			case "state":
				return []string{"available"}, true
			case "zone-type":
				return []string{"availability-zone"}, true
			case "opt-in-status":
				return []string{"opt-in-not-required"}, true
			case "group-name", "network-border-group":
				return []string{z.Region}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out.AvailabilityZones = append(out.AvailabilityZones, wire.AvailabilityZone{
			ZoneName: z.Name, State: "available", RegionName: z.Region, ZoneId: z.ID,
			OptInStatus: "opt-in-not-required", GroupName: z.Region, NetworkBorderGroup: z.Region, ZoneType: "availability-zone",
			Messages: ec2query.List[wire.AvailabilityZoneMessage]{},
		})
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	return out, nil
}

func (b *Backend) handleDescribeRegions(_ context.Context, in *wire.DescribeRegionsRequest) (*wire.DescribeRegionsResult, error) {
	out := &wire.DescribeRegionsResult{Regions: ec2query.List[wire.Region]{}}
	filters := filtersFrom(in.Filters)
	for _, r := range regions {
		if len(in.RegionNames) > 0 && !slices.Contains(in.RegionNames, r) {
			continue
		}
		ok, err := matchFilters(filters, nil, func(name string) ([]string, bool) {
			switch name {
			case "region-name":
				return []string{r}, true
			case "endpoint":
				return []string{"ec2." + r + ".amazonaws.com"}, true
			case "opt-in-status":
				return []string{"opt-in-not-required"}, true
			}
			return nil, false
		})
		if err != nil {
			return nil, err
		}
		if ok {
			out.Regions = append(out.Regions, wire.Region{RegionName: r, Endpoint: "ec2." + r + ".amazonaws.com", OptInStatus: "opt-in-not-required"})
		}
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	return out, nil
}

// accountAttributes are an account without EC2-Classic, with AWS's default
// limits; default-vpc names the scope's default VPC ("none" once deleted).
func accountAttributes(defaultVpcID string) []wire.AccountAttribute {
	attribute := func(name, value string) wire.AccountAttribute {
		return wire.AccountAttribute{AttributeName: name, AttributeValues: ec2query.List[wire.AccountAttributeValue]{{AttributeValue: value}}}
	}
	return []wire.AccountAttribute{
		attribute("supported-platforms", "VPC"),
		attribute("default-vpc", defaultVpcID),
		attribute("max-instances", "20"),
		attribute("vpc-max-security-groups-per-interface", "5"),
		attribute("max-elastic-ips", "5"),
		attribute("vpc-max-elastic-ips", "5"),
	}
}

func (b *Backend) handleDescribeAccountAttributes(ctx context.Context, in *wire.DescribeAccountAttributesRequest) (*wire.DescribeAccountAttributesResult, error) {
	defaultVpcID := "none"
	err := b.store.View(ctx, func(tx *store.Tx) error {
		vpc, err := defaultVpc(tx)
		if vpc != nil {
			defaultVpcID = vpc.ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	attributes := accountAttributes(defaultVpcID)
	out := &wire.DescribeAccountAttributesResult{AccountAttributes: ec2query.List[wire.AccountAttribute]{}}
	for _, name := range in.AttributeNames {
		if !slices.ContainsFunc(attributes, func(a wire.AccountAttribute) bool { return a.AttributeName == name }) {
			return nil, invalidParameterValue("Value (%s) for parameter attributeName is invalid. Unknown attribute.", name)
		}
	}
	for _, a := range attributes {
		if len(in.AttributeNames) == 0 || slices.Contains(in.AttributeNames, a.AttributeName) {
			out.AccountAttributes = append(out.AccountAttributes, a)
		}
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	return out, nil
}
