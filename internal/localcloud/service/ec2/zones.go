package ec2

import (
	"context"
	"slices"
	"strings"

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

type describeAvailabilityZonesInput struct {
	ZoneNames            []string      `query:"ZoneName"`
	ZoneIDs              []string      `query:"ZoneId"`
	Filters              []filterParam `query:"Filter"`
	AllAvailabilityZones bool          `query:"AllAvailabilityZones"`
	DryRun               bool          `query:"DryRun"`
}

type availabilityZoneItem struct {
	ZoneName           string     `xml:"zoneName"`
	ZoneState          string     `xml:"zoneState"`
	RegionName         string     `xml:"regionName"`
	ZoneID             string     `xml:"zoneId"`
	OptInStatus        string     `xml:"optInStatus"`
	GroupName          string     `xml:"groupName"`
	NetworkBorderGroup string     `xml:"networkBorderGroup"`
	ZoneType           string     `xml:"zoneType"`
	Messages           []struct{} `xml:"messageSet>item"`
}

type describeAvailabilityZonesOutput struct {
	AvailabilityZones []availabilityZoneItem `xml:"availabilityZoneInfo>item"`
}

func (b *Backend) handleDescribeAvailabilityZones(ctx context.Context, in *describeAvailabilityZonesInput) (*describeAvailabilityZonesOutput, error) {
	reg := region(ctx)
	out := &describeAvailabilityZonesOutput{AvailabilityZones: []availabilityZoneItem{}}
	for _, name := range in.ZoneNames {
		if _, ok := zoneNamed(reg, name, ""); !ok {
			return nil, invalidParameterValue("The zone '%s' does not exist.", name)
		}
	}
	for _, id := range in.ZoneIDs {
		if _, ok := zoneNamed(reg, "", id); !ok {
			return nil, invalidParameterValue("The zone id '%s' does not exist.", id)
		}
	}
	for _, z := range zonesOf(reg) {
		if len(in.ZoneNames) > 0 && !slices.Contains(in.ZoneNames, z.Name) {
			continue
		}
		if len(in.ZoneIDs) > 0 && !slices.Contains(in.ZoneIDs, z.ID) {
			continue
		}
		ok, err := matchFilters(in.Filters, nil, func(name string) ([]string, bool) {
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
		out.AvailabilityZones = append(out.AvailabilityZones, availabilityZoneItem{
			ZoneName: z.Name, ZoneState: "available", RegionName: z.Region, ZoneID: z.ID,
			OptInStatus: "opt-in-not-required", GroupName: z.Region, NetworkBorderGroup: z.Region, ZoneType: "availability-zone",
		})
	}
	if in.DryRun {
		return nil, dryRunOperation()
	}
	return out, nil
}

type describeRegionsInput struct {
	RegionNames []string      `query:"RegionName"`
	Filters     []filterParam `query:"Filter"`
	AllRegions  bool          `query:"AllRegions"`
	DryRun      bool          `query:"DryRun"`
}

type regionItem struct {
	RegionName  string `xml:"regionName"`
	Endpoint    string `xml:"regionEndpoint"`
	OptInStatus string `xml:"optInStatus"`
}

type describeRegionsOutput struct {
	Regions []regionItem `xml:"regionInfo>item"`
}

func (b *Backend) handleDescribeRegions(_ context.Context, in *describeRegionsInput) (*describeRegionsOutput, error) {
	out := &describeRegionsOutput{Regions: []regionItem{}}
	for _, r := range regions {
		if len(in.RegionNames) > 0 && !slices.Contains(in.RegionNames, r) {
			continue
		}
		ok, err := matchFilters(in.Filters, nil, func(name string) ([]string, bool) {
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
			out.Regions = append(out.Regions, regionItem{RegionName: r, Endpoint: "ec2." + r + ".amazonaws.com", OptInStatus: "opt-in-not-required"})
		}
	}
	if in.DryRun {
		return nil, dryRunOperation()
	}
	return out, nil
}

type describeAccountAttributesInput struct {
	AttributeNames []string `query:"AttributeName"`
	DryRun         bool     `query:"DryRun"`
}

type accountAttributeValue struct {
	Value string `xml:"attributeValue"`
}

type accountAttributeItem struct {
	Name   string                  `xml:"attributeName"`
	Values []accountAttributeValue `xml:"attributeValueSet>item"`
}

type describeAccountAttributesOutput struct {
	Attributes []accountAttributeItem `xml:"accountAttributeSet>item"`
}

// accountAttributes are an account without EC2-Classic, with AWS's default
// limits; default-vpc names the scope's default VPC ("none" once deleted).
func accountAttributes(defaultVpcID string) []accountAttributeItem {
	return []accountAttributeItem{
		{Name: "supported-platforms", Values: []accountAttributeValue{{Value: "VPC"}}},
		{Name: "default-vpc", Values: []accountAttributeValue{{Value: defaultVpcID}}},
		{Name: "max-instances", Values: []accountAttributeValue{{Value: "20"}}},
		{Name: "vpc-max-security-groups-per-interface", Values: []accountAttributeValue{{Value: "5"}}},
		{Name: "max-elastic-ips", Values: []accountAttributeValue{{Value: "5"}}},
		{Name: "vpc-max-elastic-ips", Values: []accountAttributeValue{{Value: "5"}}},
	}
}

func (b *Backend) handleDescribeAccountAttributes(ctx context.Context, in *describeAccountAttributesInput) (*describeAccountAttributesOutput, error) {
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
	out := &describeAccountAttributesOutput{Attributes: []accountAttributeItem{}}
	for _, name := range in.AttributeNames {
		if !slices.ContainsFunc(attributes, func(a accountAttributeItem) bool { return a.Name == name }) {
			return nil, invalidParameterValue("Value (%s) for parameter attributeName is invalid. Unknown attribute.", name)
		}
	}
	for _, a := range attributes {
		if len(in.AttributeNames) == 0 || slices.Contains(in.AttributeNames, a.Name) {
			out.Attributes = append(out.Attributes, a)
		}
	}
	if in.DryRun {
		return nil, dryRunOperation()
	}
	return out, nil
}
