package controller

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/secgroup"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// guard gives the balancer's configuration the security groups of every
// region and where each load balancer and target is as they see it: a
// load balancer in its subnets, an awsvpc task in its ENI's subnet with
// its service's groups, an instance at its private address with its own.
// Every pass reads them anew, so a rule authorized or revoked through EC2
// applies within a pass, without restarting anything.
func (c *Controller) guard(ctx context.Context, snap *elbv2.Snapshot, cfg *lb.Config) error {
	scopes, err := c.regionalScopes()
	if err != nil {
		return err
	}
	var groups []secgroup.Group
	subnets := map[string]netip.Prefix{}
	hosts := map[string]lb.TargetHost{}
	for _, scope := range scopes {
		scoped := store.WithScope(ctx, scope)
		state, err := c.deps.EC2.FirewallState(scoped)
		if err != nil {
			return fmt.Errorf("%s: reading security groups: %w", scope, err)
		}
		for _, g := range state.Groups {
			groups = append(groups, firewallGroup(g))
		}
		for id, cidr := range state.Subnets {
			if prefix, err := netip.ParsePrefix(cidr); err == nil {
				subnets[id] = prefix
			}
		}
		for id, instance := range state.Instances {
			hosts[id] = lb.TargetHost{Address: instanceHost(id).String(), Endpoint: instanceEndpoint(instance, subnets)}
		}
		if err := c.taskEndpoints(scoped, subnets, hosts); err != nil {
			return fmt.Errorf("%s: %w", scope, err)
		}
	}
	cfg.Firewall = secgroup.New(groups)
	cfg.Hosts = hosts
	endpoints := map[string]secgroup.Endpoint{}
	for _, b := range snap.LoadBalancers {
		// A load balancer recorded without groups (ELBv2 gives one its
		// VPC's default group, as AWS does; one without a VPC has none) is
		// not filtered.
		endpoint := secgroup.Endpoint{Name: "load balancer " + b.Name, Groups: b.SecurityGroups}
		for _, id := range b.SubnetIDs {
			if prefix, ok := subnets[id]; ok {
				endpoint.Within = append(endpoint.Within, prefix)
			}
		}
		endpoints[b.ARN] = endpoint
	}
	for i := range cfg.LoadBalancers {
		cfg.LoadBalancers[i].Endpoint = endpoints[cfg.LoadBalancers[i].ARN]
	}
	return nil
}

// firewallGroup is an EC2 security group in the evaluator's terms.
func firewallGroup(g *ec2.SecurityGroup) secgroup.Group {
	out := secgroup.Group{ID: g.ID}
	for _, r := range g.Rules {
		rule := secgroup.Rule{ID: r.ID, Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, Group: r.ReferencedGroupID}
		cidr := r.CidrIPv4
		if cidr == "" {
			cidr = r.CidrIPv6
		}
		if cidr != "" {
			prefix, err := netip.ParsePrefix(cidr)
			if err != nil {
				continue // a prefix list: nothing the data plane can match
			}
			rule.CIDR = prefix
		} else if r.ReferencedGroupID == "" {
			continue
		}
		if r.Egress {
			out.Egress = append(out.Egress, rule)
		} else {
			out.Ingress = append(out.Ingress, rule)
		}
	}
	return out
}

// instanceEndpoint is an EC2 instance as security groups see it.
func instanceEndpoint(instance *ec2.Instance, subnets map[string]netip.Prefix) secgroup.Endpoint {
	endpoint := secgroup.Endpoint{Name: "instance " + instance.ID, Groups: instance.SecurityGroupIDs}
	if addr, err := netip.ParseAddr(instance.PrivateIP); err == nil {
		endpoint.Within = []netip.Prefix{secgroup.Host(addr)}
	} else if prefix, ok := subnets[instance.SubnetID]; ok {
		endpoint.Within = []netip.Prefix{prefix}
	}
	return endpoint
}

// taskEndpoints adds the awsvpc tasks of the scope ctx carries, by their
// address (their target id): each has its service's security groups and is
// somewhere in its ENI's subnet. The local address a task really has is
// not in its VPC, so CIDR rules judge it by its subnet.
func (c *Controller) taskEndpoints(ctx context.Context, subnets map[string]netip.Prefix, hosts map[string]lb.TargetHost) error {
	return c.deps.ECS.View(ctx, func(s *ecs.State) error {
		tasks, err := s.AllTasks()
		if err != nil {
			return err
		}
		for _, t := range tasks {
			ip := taskAddress(t)
			name, isService := strings.CutPrefix(t.Group, "service:")
			if ip == "" || !isService {
				continue
			}
			svc, err := s.Service(t.ClusterArn, name)
			if err != nil {
				return err
			}
			if svc == nil || svc.NetworkConfiguration == nil || svc.NetworkConfiguration.AwsvpcConfiguration == nil {
				continue
			}
			endpoint := secgroup.Endpoint{Name: "task " + taskID(t.TaskArn), Groups: svc.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups}
			if prefix, ok := subnets[attachmentDetail(t, "subnetId")]; ok {
				endpoint.Within = []netip.Prefix{prefix}
			}
			hosts[ip] = lb.TargetHost{Endpoint: endpoint}
		}
		return nil
	})
}

// attachmentDetail is a detail of the task's ENI attachment, "" if none.
func attachmentDetail(t *ecs.Task, name string) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if d.Name == name {
				return d.Value
			}
		}
	}
	return ""
}
