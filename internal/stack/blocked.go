package stack

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// blockedHint explains targets that time out when security groups are the
// cause, which is the commonest: it reads the load balancer's and the
// targets' groups (the service's for awsvpc tasks, the instance's for
// instance targets) and names the rule that would let the load balancer in.
// It is "" when no target times out or the groups allow the path (then the
// task itself does not answer in time). Failing reads give no hint: the
// wait goes on without one.
func blockedHint(ctx context.Context, c *engine.Clients, loadBalancer string, h *health) string {
	var timedOut []elbtypes.TargetHealthDescription
	for _, t := range h.targets {
		if t.TargetHealth != nil && t.TargetHealth.Reason == elbtypes.TargetHealthReasonEnumTimeout {
			timedOut = append(timedOut, t)
		}
	}
	if len(timedOut) == 0 || h.service == nil {
		return ""
	}
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{loadBalancer}})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		return ""
	}
	balancer := lbs.LoadBalancers[0]
	var balancerSubnets []string
	for _, zone := range balancer.AvailabilityZones {
		balancerSubnets = append(balancerSubnets, aws.ToString(zone.SubnetId))
	}
	from := secgroup.Endpoint{Name: "the load balancer", Groups: balancer.SecurityGroups, Within: subnetBlocks(ctx, c, balancerSubnets)}

	groupIDs := append([]string(nil), balancer.SecurityGroups...)
	var tasks *secgroup.Endpoint
	if n := h.service.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		tasks = &secgroup.Endpoint{Name: "the tasks", Groups: n.AwsvpcConfiguration.SecurityGroups, Within: subnetBlocks(ctx, c, n.AwsvpcConfiguration.Subnets)}
		groupIDs = append(groupIDs, tasks.Groups...)
	}
	instances := map[string]secgroup.Endpoint{}
	var instanceIDs []string
	for _, t := range timedOut {
		if id := aws.ToString(t.Target.Id); strings.HasPrefix(id, "i-") {
			instanceIDs = append(instanceIDs, id)
		}
	}
	if len(instanceIDs) > 0 {
		out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: instanceIDs})
		if err != nil {
			return ""
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				endpoint := secgroup.Endpoint{Name: "instance " + aws.ToString(i.InstanceId)}
				for _, g := range i.SecurityGroups {
					endpoint.Groups = append(endpoint.Groups, aws.ToString(g.GroupId))
				}
				if addr, err := netip.ParseAddr(aws.ToString(i.PrivateIpAddress)); err == nil {
					endpoint.Within = []netip.Prefix{secgroup.Host(addr)}
				}
				instances[aws.ToString(i.InstanceId)] = endpoint
				groupIDs = append(groupIDs, endpoint.Groups...)
			}
		}
	}
	rules, err := readRules(ctx, c, groupIDs)
	if err != nil {
		return ""
	}
	for _, t := range timedOut {
		to, ok := instances[aws.ToString(t.Target.Id)]
		if !ok {
			if tasks == nil {
				continue
			}
			to = *tasks
		}
		if verdict := rules.TCP(from, to, int(aws.ToInt32(t.Target.Port))); !verdict.Allowed {
			return fmt.Sprintf("security groups keep the load balancer from %s on port %d (%s)", to.Name, aws.ToInt32(t.Target.Port), verdict)
		}
	}
	return ""
}

// subnetBlocks are the IPv4 CIDR blocks of subnets; unreadable ones are
// left out.
func subnetBlocks(ctx context.Context, c *engine.Clients, ids []string) []netip.Prefix {
	if len(ids) == 0 {
		return nil
	}
	out, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return nil
	}
	var blocks []netip.Prefix
	for _, s := range out.Subnets {
		if prefix, err := netip.ParsePrefix(aws.ToString(s.CidrBlock)); err == nil {
			blocks = append(blocks, prefix)
		}
	}
	return blocks
}

// readRules reads security groups into the evaluator's terms.
func readRules(ctx context.Context, c *engine.Clients, ids []string) (*secgroup.Rules, error) {
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		return nil, err
	}
	var groups []secgroup.Group
	for _, g := range out.SecurityGroups {
		groups = append(groups, secgroup.Group{ID: aws.ToString(g.GroupId), Ingress: permissionRules(g.IpPermissions), Egress: permissionRules(g.IpPermissionsEgress)})
	}
	return secgroup.New(groups), nil
}

func permissionRules(permissions []ec2types.IpPermission) []secgroup.Rule {
	var rules []secgroup.Rule
	for _, p := range permissions {
		base := secgroup.Rule{Protocol: aws.ToString(p.IpProtocol), FromPort: int(aws.ToInt32(p.FromPort)), ToPort: int(aws.ToInt32(p.ToPort))}
		if p.FromPort == nil {
			base.FromPort, base.ToPort = -1, -1
		}
		for _, r := range p.IpRanges {
			if prefix, err := netip.ParsePrefix(aws.ToString(r.CidrIp)); err == nil {
				rule := base
				rule.CIDR = prefix
				rules = append(rules, rule)
			}
		}
		for _, r := range p.Ipv6Ranges {
			if prefix, err := netip.ParsePrefix(aws.ToString(r.CidrIpv6)); err == nil {
				rule := base
				rule.CIDR = prefix
				rules = append(rules, rule)
			}
		}
		for _, pair := range p.UserIdGroupPairs {
			rule := base
			rule.Group = aws.ToString(pair.GroupId)
			rules = append(rules, rule)
		}
	}
	return rules
}
