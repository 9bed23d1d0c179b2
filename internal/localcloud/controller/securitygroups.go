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

// firewall is every region's security groups and where each guarded
// thing is as they see it, keyed as the balancer's TargetHosts are: a
// load balancer in its subnets, an awsvpc task (by its address) in its
// ENI's subnet with its groups, an instance (by its id) at its private
// address with its own.
type firewall struct {
	rules   *secgroup.Rules
	subnets map[string]netip.Prefix
	hosts   map[string]lb.TargetHost
}

// readFirewall reads the firewall anew: a rule authorized or revoked
// through EC2 applies from the next read, without restarting anything.
func (c *Controller) readFirewall(ctx context.Context) (*firewall, error) {
	scopes, err := c.regionalScopes()
	if err != nil {
		return nil, err
	}
	var groups []secgroup.Group
	fw := &firewall{subnets: map[string]netip.Prefix{}, hosts: map[string]lb.TargetHost{}}
	for _, scope := range scopes {
		scoped := store.WithScope(ctx, scope)
		state, err := c.deps.EC2.FirewallState(scoped)
		if err != nil {
			return nil, fmt.Errorf("%s: reading security groups: %w", scope, err)
		}
		for _, g := range state.Groups {
			groups = append(groups, firewallGroup(g))
		}
		for id, cidr := range state.Subnets {
			if prefix, err := netip.ParsePrefix(cidr); err == nil {
				fw.subnets[id] = prefix
			}
		}
		for id, instance := range state.Instances {
			fw.hosts[id] = lb.TargetHost{Address: instanceHost(id).String(), Endpoint: instanceEndpoint(instance, fw.subnets)}
		}
		if err := c.taskEndpoints(scoped, fw.subnets, fw.hosts); err != nil {
			return nil, fmt.Errorf("%s: %w", scope, err)
		}
	}
	fw.rules = secgroup.New(groups)
	return fw, nil
}

// guard gives the balancer's configuration the firewall, read each pass,
// and returns it for the tasks' egress filters.
func (c *Controller) guard(ctx context.Context, snap *elbv2.Snapshot, cfg *lb.Config) (*firewall, error) {
	fw, err := c.readFirewall(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Firewall = fw.rules
	cfg.Hosts = fw.hosts
	endpoints := map[string]secgroup.Endpoint{}
	for _, b := range snap.LoadBalancers {
		// A load balancer recorded without groups (ELBv2 gives one its
		// VPC's default group, as AWS does; one without a VPC has none) is
		// not filtered.
		endpoint := secgroup.Endpoint{Name: "load balancer " + b.Name, Groups: b.SecurityGroups}
		for _, id := range b.SubnetIDs {
			if prefix, ok := fw.subnets[id]; ok {
				endpoint.Within = append(endpoint.Within, prefix)
			}
		}
		endpoints[b.ARN] = endpoint
	}
	for i := range cfg.LoadBalancers {
		cfg.LoadBalancers[i].Endpoint = endpoints[cfg.LoadBalancers[i].ARN]
	}
	return fw, nil
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
// address (their target id): each has its security groups (its service's,
// or those RunTask and StartTask gave it) and is somewhere in its ENI's
// subnet. The local address a task really has is not in its VPC, so CIDR
// rules judge it by its subnet.
func (c *Controller) taskEndpoints(ctx context.Context, subnets map[string]netip.Prefix, hosts map[string]lb.TargetHost) error {
	return c.deps.ECS.View(ctx, func(s *ecs.State) error {
		tasks, err := s.AllTasks()
		if err != nil {
			return err
		}
		for _, t := range tasks {
			ip := taskAddress(t)
			if ip == "" || t.LastStatus == statusStopped {
				continue
			}
			network := t.NetworkConfiguration
			if name, isService := strings.CutPrefix(t.Group, "service:"); isService {
				svc, err := s.Service(t.ClusterArn, name)
				if err != nil {
					return err
				}
				if svc != nil {
					network = svc.NetworkConfiguration
				}
			}
			if network == nil || network.AwsvpcConfiguration == nil {
				continue
			}
			endpoint := secgroup.Endpoint{Name: "task " + taskID(t.TaskArn), Groups: network.AwsvpcConfiguration.SecurityGroups}
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
