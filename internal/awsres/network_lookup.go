package awsres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// NetworkLookup is a VPC the stack uses but does not own: an existing one,
// by id or tags, or the region's default VPC. It finds the VPC and its
// public and private subnets and hands them to the resources that need
// them; it is never created, changed or deleted.
//
// Outputs: "vpc_id", "cidr", "public_subnets" and "private_subnets"
// (comma-separated ids, sorted), and "task_subnets", where tasks and
// instances go: the private subnets when there are any, else the public
// ones, in which case "public_tasks" is "true" (they need public addresses
// to reach ECR and CloudWatch Logs without NAT).
type NetworkLookup struct {
	Meta
	Default                             bool
	VPCID                               string
	VPCTags                             map[string]string
	PublicSubnets, PrivateSubnets       []string
	PublicSubnetTags, PrivateSubnetTags map[string]string
}

// ReadOnly implements engine.ReadOnly.
func (r *NetworkLookup) ReadOnly() bool { return true }

func tagFilters(tags map[string]string) []ec2types.Filter {
	var filters []ec2types.Filter
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		filters = append(filters, ec2types.Filter{Name: aws.String("tag:" + k), Values: []string{tags[k]}})
	}
	return filters
}

func (r *NetworkLookup) what() string {
	switch {
	case r.Default:
		return "the default VPC"
	case r.VPCID != "":
		return "VPC " + r.VPCID
	}
	var parts []string
	for _, f := range tagFilters(r.VPCTags) {
		parts = append(parts, strings.TrimPrefix(aws.ToString(f.Name), "tag:")+"="+f.Values[0])
	}
	return "the VPC tagged " + strings.Join(parts, ", ")
}

func (r *NetworkLookup) findVPC(ctx context.Context, c *engine.Clients) (*ec2types.Vpc, error) {
	input := &ec2.DescribeVpcsInput{}
	switch {
	case r.Default:
		input.Filters = []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}
	case r.VPCID != "":
		input.VpcIds = []string{r.VPCID}
	default:
		input.Filters = tagFilters(r.VPCTags)
	}
	out, err := c.EC2.DescribeVpcs(ctx, input)
	if hasCode(err, "InvalidVpcID.NotFound") {
		return nil, fmt.Errorf("%s does not exist in this account and region (network.vpc_id in berth.yaml)", r.what())
	}
	if err != nil {
		return nil, fmt.Errorf("describe vpcs: %w", err)
	}
	switch {
	case len(out.Vpcs) == 0 && r.Default:
		return nil, fmt.Errorf("this region has no default VPC: create one (aws ec2 create-default-vpc) or use network.mode new or existing")
	case len(out.Vpcs) == 0:
		return nil, fmt.Errorf("no VPC matches %s: check network.vpc_tags in berth.yaml", r.what())
	case len(out.Vpcs) > 1:
		var ids []string
		for _, v := range out.Vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
		return nil, fmt.Errorf("%d VPCs match %s (%s): add tags that select one, or set network.vpc_id", len(ids), r.what(), strings.Join(ids, ", "))
	}
	return &out.Vpcs[0], nil
}

// publicSubnets returns the VPC's subnets whose route table (their own, or
// else the VPC's main one) sends 0.0.0.0/0 to an internet gateway.
func publicSubnets(ctx context.Context, c *engine.Clients, vpcID string, subnets []ec2types.Subnet) (map[string]bool, error) {
	out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		return nil, fmt.Errorf("describe route tables: %w", err)
	}
	toInternet := func(rt ec2types.RouteTable) bool {
		for _, route := range rt.Routes {
			if aws.ToString(route.DestinationCidrBlock) == anywhereIPv4 && strings.HasPrefix(aws.ToString(route.GatewayId), "igw-") {
				return true
			}
		}
		return false
	}
	mainPublic := false
	explicit := map[string]bool{}
	for _, rt := range out.RouteTables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				mainPublic = toInternet(rt)
			} else if id := aws.ToString(a.SubnetId); id != "" {
				explicit[id] = toInternet(rt)
			}
		}
	}
	public := map[string]bool{}
	for _, s := range subnets {
		id := aws.ToString(s.SubnetId)
		if isPublic, ok := explicit[id]; ok {
			public[id] = isPublic
		} else {
			public[id] = mainPublic
		}
	}
	return public, nil
}

func (r *NetworkLookup) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	vpc, err := r.findVPC(ctx, c)
	if err != nil {
		return nil, err
	}
	vpcID := aws.ToString(vpc.VpcId)
	inVPC := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}
	all, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: inVPC})
	if err != nil {
		return nil, fmt.Errorf("describe subnets of %s: %w", vpcID, err)
	}
	byID := map[string]ec2types.Subnet{}
	for _, s := range all.Subnets {
		byID[aws.ToString(s.SubnetId)] = s
	}
	pick := func(side string, ids []string, tags map[string]string, wantPublic bool, public map[string]bool) ([]string, error) {
		switch {
		case len(ids) > 0:
			for _, id := range ids {
				if _, ok := byID[id]; !ok {
					return nil, fmt.Errorf("subnet %s (network.%s_subnets) is not a subnet of %s", id, side, vpcID)
				}
			}
			return slices.Sorted(slices.Values(ids)), nil
		case len(tags) > 0:
			out, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: append(slices.Clone(inVPC), tagFilters(tags)...)})
			if err != nil {
				return nil, fmt.Errorf("describe subnets of %s: %w", vpcID, err)
			}
			var found []string
			for _, s := range out.Subnets {
				found = append(found, aws.ToString(s.SubnetId))
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("no subnet of %s matches network.%s_subnet_tags", vpcID, side)
			}
			return slices.Sorted(slices.Values(found)), nil
		}
		var found []string
		for _, s := range all.Subnets {
			id := aws.ToString(s.SubnetId)
			if r.Default && !aws.ToBool(s.DefaultForAz) {
				continue
			}
			if public[id] == wantPublic {
				found = append(found, id)
			}
		}
		return slices.Sorted(slices.Values(found)), nil
	}
	var public map[string]bool
	if r.Default {
		// The default VPC's default subnets are all public.
		public = map[string]bool{}
		for id := range byID {
			public[id] = true
		}
	} else if public, err = publicSubnets(ctx, c, vpcID, all.Subnets); err != nil {
		return nil, err
	}
	publicIDs, err := pick("public", r.PublicSubnets, r.PublicSubnetTags, true, public)
	if err != nil {
		return nil, err
	}
	privateIDs, err := pick("private", r.PrivateSubnets, r.PrivateSubnetTags, false, public)
	if err != nil {
		return nil, err
	}
	if zones := zonesOf(byID, publicIDs); zones < 2 {
		return nil, fmt.Errorf("%s has public subnets in %d availability zone(s) (%s); an Application Load Balancer needs two: add a public subnet in another zone or list them in network.public_subnets",
			vpcID, zones, strings.Join(publicIDs, ", "))
	}
	outputs := engine.Outputs{
		"vpc_id": vpcID, "cidr": aws.ToString(vpc.CidrBlock),
		"public_subnets": strings.Join(publicIDs, ","), "private_subnets": strings.Join(privateIDs, ","),
		"task_subnets": strings.Join(privateIDs, ","), "public_tasks": "false",
	}
	if len(privateIDs) == 0 {
		outputs["task_subnets"], outputs["public_tasks"] = outputs["public_subnets"], "true"
	}
	return &engine.Observed{Outputs: outputs, State: outputs}, nil
}

func zonesOf(byID map[string]ec2types.Subnet, ids []string) int {
	zones := map[string]bool{}
	for _, id := range ids {
		zones[aws.ToString(byID[id].AvailabilityZone)] = true
	}
	return len(zones)
}

func (r *NetworkLookup) Diff(*engine.Inputs, *engine.Observed) ([]engine.FieldChange, engine.Action) {
	return nil, engine.NoOp
}

func (r *NetworkLookup) Apply(_ context.Context, _ *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual == nil {
		return nil, fmt.Errorf("%s: %s is not berth's to create", r.Address, r.what())
	}
	return actual.Outputs, nil
}

// Delete leaves the network alone: it is not the stack's.
func (r *NetworkLookup) Delete(context.Context, *engine.Clients, *engine.Observed) error { return nil }
