package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
)

// LoadBalancer is the stack's Application Load Balancer.
type LoadBalancer struct {
	Meta
	Name          string
	Public        bool
	Subnets       []engine.Ref
	SecurityGroup engine.Ref
}

type loadBalancerState struct {
	arn, name, scheme, dnsName, subnets, securityGroups string
}

func (r *LoadBalancer) scheme() elbtypes.LoadBalancerSchemeEnum {
	if r.Public {
		return elbtypes.LoadBalancerSchemeEnumInternetFacing
	}
	return elbtypes.LoadBalancerSchemeEnumInternal
}

func (r *LoadBalancer) describe(ctx context.Context, c *engine.Clients) (*elbtypes.LoadBalancer, error) {
	out, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{r.Name}})
	if hasCode(err, "LoadBalancerNotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe load balancer %s: %w", r.Name, err)
	}
	if len(out.LoadBalancers) == 0 {
		return nil, nil
	}
	return &out.LoadBalancers[0], nil
}

func (r *LoadBalancer) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	lb, err := r.describe(ctx, c)
	if err != nil || lb == nil {
		return nil, err
	}
	state := &loadBalancerState{
		arn: aws.ToString(lb.LoadBalancerArn), name: r.Name, scheme: string(lb.Scheme),
		dnsName: aws.ToString(lb.DNSName), securityGroups: sortedJoin(lb.SecurityGroups),
	}
	var subnets []string
	for _, az := range lb.AvailabilityZones {
		subnets = append(subnets, aws.ToString(az.SubnetId))
	}
	state.subnets = sortedJoin(subnets)
	return &engine.Observed{Outputs: state.outputs(), State: state}, nil
}

func (s *loadBalancerState) outputs() engine.Outputs {
	return engine.Outputs{"arn": s.arn, "name": s.name, "dns_name": s.dnsName}
}

func (r *LoadBalancer) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &loadBalancerState{}
	if actual != nil {
		state = actual.State.(*loadBalancerState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.ForceNew("scheme", state.scheme, string(r.scheme()))
	changes.Field("subnets", state.subnets, sortedJoin(expandIDs(showAll(in, r.Subnets))))
	changes.Field("security_groups", state.securityGroups, in.Show(r.SecurityGroup))
	return changes.Result()
}

func (r *LoadBalancer) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(append([]engine.Ref{r.SecurityGroup}, r.Subnets...)...)
	if err != nil {
		return nil, err
	}
	securityGroup, subnets := refs[0], expandIDs(refs[1:])
	if actual != nil {
		state := actual.State.(*loadBalancerState)
		if state.subnets != sortedJoin(subnets) {
			if _, err := c.ELB.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: aws.String(state.arn), Subnets: subnets}); err != nil {
				return nil, fmt.Errorf("set subnets of %s: %w", r.Name, err)
			}
		}
		if state.securityGroups != securityGroup {
			if _, err := c.ELB.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{
				LoadBalancerArn: aws.String(state.arn), SecurityGroups: []string{securityGroup},
			}); err != nil {
				return nil, fmt.Errorf("set security groups of %s: %w", r.Name, err)
			}
		}
		return state.outputs(), nil
	}
	out, err := c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String(r.Name), Type: elbtypes.LoadBalancerTypeEnumApplication, Scheme: r.scheme(),
		Subnets: subnets, SecurityGroups: []string{securityGroup}, IpAddressType: elbtypes.IpAddressTypeIpv4,
		Tags: r.elbTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("create load balancer %s: %w", r.Name, err)
	}
	lb := out.LoadBalancers[0]
	err = waitUntil(ctx, dependencyTimeout, "load balancer "+r.Name+" to become active", func() (bool, string, error) {
		current, err := r.describe(ctx, c)
		if err != nil {
			return false, "", err
		}
		if current == nil || current.State == nil {
			return false, "not visible yet", nil
		}
		switch current.State.Code {
		case elbtypes.LoadBalancerStateEnumActive:
			return true, "", nil
		case elbtypes.LoadBalancerStateEnumFailed:
			return false, "", fmt.Errorf("provisioning failed: %s", aws.ToString(current.State.Reason))
		}
		return false, string(current.State.Code), nil
	})
	if err != nil {
		return nil, err
	}
	state := &loadBalancerState{arn: aws.ToString(lb.LoadBalancerArn), name: r.Name, dnsName: aws.ToString(lb.DNSName)}
	return state.outputs(), nil
}

// Delete returns once the load balancer is gone, so its security group and
// subnets can follow (their ENIs may still linger; those deletions retry).
func (r *LoadBalancer) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteLoadBalancer(ctx, c, actual.State.(*loadBalancerState).arn)
}
