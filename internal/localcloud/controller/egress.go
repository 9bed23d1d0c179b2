package controller

import (
	"context"
	"errors"
	"net/netip"

	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// Tasks' egress. The load balancer enforces ingress; what a task may open
// is enforced by the runtime in the task's own network namespace
// (runtime/egress.go), from the egress rules of the task's security
// groups as secgroup reads them: toward another task by that task's
// verdict (its groups, its subnet), toward anything else (the host at the
// gateway) by the CIDR rules, literally. Each pass hands every running
// task the policy the firewall read in that pass gives it, so authorizing
// or revoking a rule, or a task joining a group, applies within a pass;
// the runtime changes nothing when the policy is the same.

// egressOf is the policy of the task at address ip; nil (no filter) when
// its groups are unknown here or let everything out anywhere, as the
// default group's egress rule does.
func (fw *firewall) egressOf(ip string, taskAddresses netip.Prefix) *runtime.Egress {
	self, ok := fw.hosts[ip]
	if !ok || !fw.rules.Guards(self.Endpoint.Groups) {
		return nil
	}
	groups := self.Endpoint.Groups
	egress := &runtime.Egress{Peers: map[netip.Addr][]runtime.EgressRule{}}
	for _, permit := range fw.rules.EgressCIDRs(groups) {
		if permit.Everything() && permit.To.Bits() == 0 && permit.To.Addr().Is4() {
			return nil
		}
		egress.Rules = append(egress.Rules, egressRule(permit))
	}
	for key, host := range fw.hosts {
		addr, err := netip.ParseAddr(key)
		if err != nil || key == ip || host.Address != "" || !taskAddresses.Contains(addr) {
			continue // an instance (by its id), or the task itself
		}
		var rules []runtime.EgressRule
		for _, permit := range fw.rules.EgressTo(groups, host.Endpoint) {
			rules = append(rules, egressRule(permit))
		}
		egress.Peers[addr] = rules
	}
	return egress
}

func egressRule(p secgroup.Permit) runtime.EgressRule {
	return runtime.EgressRule{To: p.To, Protocol: p.Protocol, FromPort: p.FromPort, ToPort: p.ToPort}
}

// enforcer is the runtime's egress filter, nil when it has none.
func (c *Controller) enforcer() runtime.EgressEnforcer {
	enforcer, _ := c.deps.Runtime.(runtime.EgressEnforcer)
	return enforcer
}

// enforceEgress hands each running task with an address its policy.
// Where the runtime cannot filter (tasks share the host's network), it
// says so once: tasks run unfiltered rather than fail.
func (c *Controller) enforceEgress(fw *firewall) error {
	enforcer := c.enforcer()
	if enforcer == nil {
		return nil
	}
	done := map[string]bool{}
	var errs []error
	for _, p := range c.processes {
		if p.exited || p.address == "" || done[p.address] {
			continue
		}
		done[p.address] = true
		err := enforcer.SetEgress(p.address, fw.egressOf(p.address, c.deps.Runtime.TaskAddresses()))
		switch {
		case errors.Is(err, runtime.ErrEgressNotEnforced):
			c.warnEgressNotEnforced(err)
			return nil
		case errors.Is(err, runtime.ErrTaskNotFound):
			// It ended since the process list was read; its exit event
			// is on its way.
		case err != nil:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startEgress is the policy a task starts with. The pass's own read comes
// after its tasks are started, so the firewall is read at the first start
// of a reconcileTasks and kept for the others: every task it starts was
// placed, with its network interface and groups, before it began.
func (c *Controller) startEgress(ctx context.Context, ip string) (*runtime.Egress, error) {
	if ip == "" || c.enforcer() == nil {
		return nil, nil
	}
	if c.startFirewall == nil {
		fw, err := c.readFirewall(ctx)
		if err != nil {
			return nil, err
		}
		c.startFirewall = fw
	}
	return c.startFirewall.egressOf(ip, c.deps.Runtime.TaskAddresses()), nil
}

func (c *Controller) warnEgressNotEnforced(err error) {
	if !c.egressUnenforced {
		c.egressUnenforced = true
		c.log.Warn("tasks' security group egress rules are not enforced", "error", err)
	}
}
