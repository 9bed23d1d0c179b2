package autoscaling

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
)

// The group's attached load balancers and target groups, as Terraform's
// aws_autoscaling_group reads them back. Attachments are only set at create
// and update time; the local cloud registers no instances with them (ECS
// registers tasks itself).

func (b *Backend) attachedGroup(ctx context.Context, name string) (*Group, error) {
	if err := b.existingGroup(ctx, name); err != nil {
		return nil, err
	}
	return b.Group(ctx, name)
}

func (b *Backend) handleDescribeTrafficSources(ctx context.Context, in *wire.DescribeTrafficSourcesRequest) (*wire.DescribeTrafficSourcesResponse, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []wire.TrafficSourceState
	if in.TrafficSourceType == "" || in.TrafficSourceType == "elbv2" {
		for _, arn := range g.TargetGroupARNs {
			states = append(states, wire.TrafficSourceState{TrafficSource: arn, State: "InService", Identifier: arn, Type: "elbv2"})
		}
	}
	if in.TrafficSourceType == "" || in.TrafficSourceType == "elb" {
		for _, name := range g.LoadBalancerNames {
			states = append(states, wire.TrafficSourceState{TrafficSource: name, State: "InService", Identifier: name, Type: "elb"})
		}
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeTrafficSourcesResponse{TrafficSources: list(page), NextToken: next}, nil
}

func (b *Backend) handleDescribeLoadBalancerTargetGroups(ctx context.Context, in *wire.DescribeLoadBalancerTargetGroupsRequest) (*wire.DescribeLoadBalancerTargetGroupsResponse, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []wire.LoadBalancerTargetGroupState
	for _, arn := range g.TargetGroupARNs {
		states = append(states, wire.LoadBalancerTargetGroupState{LoadBalancerTargetGroupARN: arn, State: "InService"})
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeLoadBalancerTargetGroupsResponse{LoadBalancerTargetGroups: list(page), NextToken: next}, nil
}

func (b *Backend) handleDescribeLoadBalancers(ctx context.Context, in *wire.DescribeLoadBalancersRequest) (*wire.DescribeLoadBalancersResponse, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []wire.LoadBalancerState
	for _, name := range g.LoadBalancerNames {
		states = append(states, wire.LoadBalancerState{LoadBalancerName: name, State: "InService"})
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeLoadBalancersResponse{LoadBalancers: list(page), NextToken: next}, nil
}
