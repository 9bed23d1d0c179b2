package awsres

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// Subnet is a subnet in the zone at ZoneIndex of the region's available
// zones (sorted by name), so two subnets land in two zones without
// berth.yaml naming zones. A public one gives what starts in it a public
// address; a private one does not (its route goes through NAT).
type Subnet struct {
	Meta
	VPC       engine.Ref
	CIDR      string
	ZoneIndex int
	Public    bool

	// zone is resolved by Observe: Diff may not call AWS.
	zone string
}

type subnetState struct {
	id, vpcID, cidr, zone string
	mapPublicIP           bool
}

func (r *Subnet) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	zones, err := c.EC2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{
		Filters: []ec2types.Filter{{Name: aws.String("state"), Values: []string{"available"}}},
	})
	if err != nil {
		return nil, fmt.Errorf("describe availability zones: %w", err)
	}
	var names []string
	for _, z := range zones.AvailabilityZones {
		if z.ZoneType == nil || aws.ToString(z.ZoneType) == "availability-zone" {
			names = append(names, aws.ToString(z.ZoneName))
		}
	}
	slices.Sort(names)
	if r.ZoneIndex >= len(names) {
		return nil, fmt.Errorf("region has %d availability zones, subnet needs zone #%d", len(names), r.ZoneIndex+1)
	}
	r.zone = names[r.ZoneIndex]

	out, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe subnets: %w", err)
	}
	if len(out.Subnets) == 0 {
		return nil, nil
	}
	s := out.Subnets[0]
	state := &subnetState{
		id: aws.ToString(s.SubnetId), vpcID: aws.ToString(s.VpcId), cidr: aws.ToString(s.CidrBlock),
		zone: aws.ToString(s.AvailabilityZone), mapPublicIP: aws.ToBool(s.MapPublicIpOnLaunch),
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id, "zone": state.zone}, State: state}, nil
}

func (r *Subnet) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &subnetState{}
	if actual != nil {
		state = actual.State.(*subnetState)
	}
	changes.ForceNew("vpc_id", state.vpcID, in.Show(r.VPC))
	changes.ForceNew("cidr_block", state.cidr, r.CIDR)
	changes.ForceNew("availability_zone", state.zone, r.zone)
	// In a public subnet only the load balancer runs; what runs in a
	// private one reaches out through NAT and has no public address.
	changes.Field("map_public_ip_on_launch", boolString(state.mapPublicIP), boolString(r.Public))
	return changes.Result()
}

func (r *Subnet) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	var id, zone string
	if actual == nil {
		vpcID, err := in.Get(r.VPC)
		if err != nil {
			return nil, err
		}
		out, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(vpcID), CidrBlock: aws.String(r.CIDR), AvailabilityZone: aws.String(r.zone),
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeSubnet, r.ec2Name()),
		})
		if err != nil {
			return nil, fmt.Errorf("create subnet: %w", err)
		}
		id, zone = aws.ToString(out.Subnet.SubnetId), aws.ToString(out.Subnet.AvailabilityZone)
	} else {
		state := actual.State.(*subnetState)
		id, zone = state.id, state.zone
	}
	if (actual == nil && r.Public) || (actual != nil && actual.State.(*subnetState).mapPublicIP != r.Public) {
		_, err := c.EC2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
			SubnetId: aws.String(id), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(r.Public)},
		})
		if err != nil {
			return nil, fmt.Errorf("map public ip on launch: %w", err)
		}
	}
	return engine.Outputs{"id": id, "zone": zone}, nil
}

func (r *Subnet) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteSubnet(ctx, c, actual.State.(*subnetState).id)
}
