package doctor

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/engine"
)

const chainCheck = "security groups"

// trafficPorts are the ports the load balancer connects to on a task: the
// container port, and the health check's when it has its own.
func (t Target) trafficPorts() []int {
	ports := []int{t.ContainerPort}
	if p, err := strconv.Atoi(t.Group.HealthPort); err == nil && p != t.ContainerPort {
		ports = append(ports, p)
	}
	return ports
}

// receivers are the groups the load balancer's connections arrive at: the
// tasks' own under awsvpc, the instances' otherwise.
func (st *Stack) receivers() []string {
	if st.NetworkMode == "awsvpc" || st.Instances == nil {
		return st.TaskGroups
	}
	return st.Instances.Groups
}

// checkSecurityGroupChain follows a request through the groups: from the
// allowed clients into the load balancer on its listener ports, out of the
// load balancer to the tasks, and into the tasks on the container port
// and the health check's port.
func checkSecurityGroupChain(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if st.Groups == nil {
		return nil
	}
	var findings []Finding
	receivers := st.receivers()
	for _, t := range st.Targets {
		for _, lb := range t.LoadBalancers {
			findings = append(findings, st.listenerIngress(lb)...)
			for _, port := range t.trafficPorts() {
				what := "traffic"
				from, to := port, port
				if port != t.ContainerPort {
					what = "health checks"
				} else {
					if t.Group.HealthPort == "" || t.Group.HealthPort == "traffic-port" || t.Group.HealthPort == strconv.Itoa(port) {
						what = "traffic and health checks"
					}
					from, to = st.instancePorts(t)
				}
				findings = append(findings, st.hop(lb, receivers, from, to, what)...)
			}
		}
	}
	return findings
}

// The ephemeral range Docker maps a bridge-mode container port with
// hostPort 0 to, on the ECS-optimized AMI: the load balancer reaches such a
// task anywhere in it, so the instances must let it in on all of it.
const ephemeralFrom, ephemeralTo = 32768, 65535

// instancePorts is where the load balancer connects for t's container
// port: the task's own address under awsvpc and host mode; under bridge the
// instance's host port, or the whole ephemeral range when it is dynamic.
func (st *Stack) instancePorts(t Target) (from, to int) {
	if st.NetworkMode != "bridge" {
		return t.ContainerPort, t.ContainerPort
	}
	for _, c := range st.Task.Containers {
		if c.Name != t.ContainerName {
			continue
		}
		for _, pm := range c.Ports {
			if pm.Container == t.ContainerPort && pm.Host != 0 {
				return pm.Host, pm.Host
			}
		}
	}
	return ephemeralFrom, ephemeralTo
}

// portsText is "port P" or "ports F-T", as the findings name them; arg is
// the same range as aws ec2's --port takes it.
func portsText(from, to int) (text, arg string) {
	if from == to {
		return fmt.Sprintf("port %d", from), strconv.Itoa(from)
	}
	return fmt.Sprintf("ports %d-%d", from, to), fmt.Sprintf("%d-%d", from, to)
}

// coversAll reports whether the rule lets TCP through on every port from
// from to to.
func (p Permission) coversAll(from, to int) bool {
	return p.Protocol == "-1" || p.covers(from) && p.covers(to)
}

// hop checks the ports from..to from the load balancer's groups to the
// receivers'.
func (st *Stack) hop(lb LoadBalancer, receivers []string, from, to int, what string) []Finding {
	var findings []Finding
	ports, arg := portsText(from, to)
	out := false
	for _, id := range lb.Groups {
		for _, p := range st.group(id).Egress {
			if p.coversAll(from, to) && (len(p.CIDRs) > 0 || slices.ContainsFunc(receivers, func(r string) bool { return slices.Contains(p.Groups, r) })) {
				out = true
			}
		}
	}
	if !out && len(lb.Groups) > 0 && len(receivers) > 0 {
		findings = append(findings, fail(chainCheck,
			fmt.Sprintf("load balancer %s cannot send %s to %s: no egress rule of %s allows it", lb.Name, what, ports, st.names(lb.Groups)),
			fmt.Sprintf("aws ec2 authorize-security-group-egress --group-id %s --protocol tcp --port %s --source-group %s", lb.Groups[0], arg, receivers[0])))
	}
	in := false
	for _, id := range receivers {
		for _, p := range st.group(id).Ingress {
			if p.coversAll(from, to) && (len(p.CIDRs) > 0 || slices.ContainsFunc(lb.Groups, func(g string) bool { return slices.Contains(p.Groups, g) })) {
				in = true
			}
		}
	}
	dynamic := ""
	if from != to {
		dynamic = ": the container's host port is dynamic (bridge mode, hostPort 0), so Docker maps it anywhere in the ephemeral range"
	}
	switch {
	case len(receivers) == 0:
		findings = append(findings, fail(chainCheck, fmt.Sprintf("the tasks have no security group to let %s in on %s", what, ports),
			"give the service's network configuration a security group that allows the load balancer's group on that port"))
	case !in:
		findings = append(findings, fail(chainCheck,
			fmt.Sprintf("load balancer %s cannot reach the tasks on %s (%s): no ingress rule of %s allows it from %s%s", lb.Name, ports, what, st.names(receivers), st.names(lb.Groups), dynamic),
			fmt.Sprintf("aws ec2 authorize-security-group-ingress --group-id %s --protocol tcp --port %s --source-group %s", receivers[0], arg, first(lb.Groups))))
	case out:
		findings = append(findings, pass(chainCheck, fmt.Sprintf("%s → %s on %s (%s)", st.names(lb.Groups), st.names(receivers), ports, what)))
	}
	return findings
}

// listenerIngress checks that the listener ports take connections from
// whom berth.yaml allows (or from anyone, for a stack berth did not make).
func (st *Stack) listenerIngress(lb LoadBalancer) []Finding {
	var findings []Finding
	for _, port := range lb.Listeners {
		var open []string
		for _, id := range lb.Groups {
			for _, p := range st.group(id).Ingress {
				if p.covers(port) {
					open = append(open, p.CIDRs...)
				}
			}
		}
		var missing []string
		for _, cidr := range st.AllowedCIDRs {
			if !slices.Contains(open, cidr) {
				missing = append(missing, cidr)
			}
		}
		switch {
		case len(open) == 0 && len(missing) == 0:
			findings = append(findings, fail(chainCheck,
				fmt.Sprintf("listener port %d of %s takes connections from no address: no ingress rule of %s allows it", port, lb.Name, st.names(lb.Groups)),
				fmt.Sprintf("aws ec2 authorize-security-group-ingress --group-id %s --protocol tcp --port %d --cidr CLIENTS (0.0.0.0/0 for anyone)", first(lb.Groups), port)))
		case len(missing) > 0:
			findings = append(findings, fail(chainCheck,
				fmt.Sprintf("listener port %d of %s does not take connections from %s, which berth.yaml allows", port, lb.Name, strings.Join(missing, ", ")),
				fmt.Sprintf("aws ec2 authorize-security-group-ingress --group-id %s --protocol tcp --port %d --cidr %s (berth deploy restores it)", first(lb.Groups), port, missing[0])))
		default:
			findings = append(findings, pass(chainCheck, fmt.Sprintf("listener port %d of %s open to %s", port, lb.Name, strings.Join(dedupe(open), ", "))))
		}
	}
	return findings
}

// checkExposure finds what is reachable around the load balancer: under
// awsvpc each task has its own interface and group, so nothing needs to
// reach the instances at all, and the tasks need only the load balancer
// on their ports.
func checkExposure(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if st.Groups == nil {
		return nil
	}
	var findings []Finding
	if st.Instances != nil {
		for _, id := range st.Instances.Groups {
			g := st.group(id)
			ports := worldPorts(g.Ingress)
			if len(ports) == 0 {
				continue
			}
			why := "anyone who reaches them bypasses the load balancer"
			if st.NetworkMode == "awsvpc" {
				why = "with awsvpc every task has its own network interface and security group, so the instances need no inbound rule"
			}
			findings = append(findings, fail("exposure",
				fmt.Sprintf("%s open to 0.0.0.0/0 on the instances (%s): %s", portList(ports), st.names([]string{id}), why),
				revokeWorld(id, g.Ingress)))
		}
		if st.Instances.PublicIP {
			findings = append(findings, warn("exposure", "the instances have public addresses",
				"launch them in private subnets without public addresses (associate_public_ip_address false), with a NAT gateway for outbound traffic"))
		}
	}
	if st.NetworkMode != "awsvpc" {
		return findings
	}
	var lbGroups []string
	wanted := map[int]bool{}
	for _, t := range st.Targets {
		for _, p := range t.trafficPorts() {
			wanted[p] = true
		}
		for _, lb := range t.LoadBalancers {
			lbGroups = append(lbGroups, lb.Groups...)
		}
	}
	for _, id := range st.TaskGroups {
		g := st.group(id)
		if ports := worldPorts(g.Ingress); len(ports) > 0 {
			f := warn("exposure", fmt.Sprintf("%s open to 0.0.0.0/0 on the tasks (%s): clients can bypass the load balancer", portList(ports), st.names([]string{id})),
				revokeWorld(id, g.Ingress)+", and allow only the load balancer's security group")
			if st.TaskPublicIP {
				f.OK, f.Warn = false, false
			}
			findings = append(findings, f)
		}
		for _, p := range g.Ingress {
			if !slices.ContainsFunc(lbGroups, func(lbg string) bool { return slices.Contains(p.Groups, lbg) }) {
				continue
			}
			if wide := p.Protocol == "-1" || p.To-p.From+1 > len(wanted); wide {
				findings = append(findings, warn("exposure",
					fmt.Sprintf("%s lets the load balancer in on %s; the tasks serve only %s", st.names([]string{id}), rangeText(p), portList(keys(wanted))),
					fmt.Sprintf("allow %s only: aws ec2 revoke-security-group-ingress --group-id %s --protocol %s --port %s --source-group %s, then authorize --port %d",
						portList(keys(wanted)), id, p.Protocol, rangeArg(p), first(p.Groups), slices.Min(keys(wanted)))))
			}
		}
	}
	return findings
}

func (st *Stack) group(id string) *Group {
	if g := st.Groups[id]; g != nil {
		return g
	}
	return &Group{ID: id}
}

// names shows groups by name and id, as a reader finds them in the console.
func (st *Stack) names(ids []string) string {
	var parts []string
	for _, id := range ids {
		if g := st.Groups[id]; g != nil && g.Name != "" {
			parts = append(parts, g.Name+" "+id)
		} else {
			parts = append(parts, id)
		}
	}
	return strings.Join(parts, ", ")
}

func worldPorts(rules []Permission) []int {
	var ports []int
	for _, p := range rules {
		if p.world() {
			ports = append(ports, p.From)
		}
	}
	slices.Sort(ports)
	return ports
}

func revokeWorld(id string, rules []Permission) string {
	var cmds []string
	for _, p := range rules {
		if p.world() {
			cmds = append(cmds, fmt.Sprintf("aws ec2 revoke-security-group-ingress --group-id %s --protocol %s --port %s --cidr 0.0.0.0/0", id, p.Protocol, rangeArg(p)))
		}
	}
	return "revoke them: " + strings.Join(cmds, "; ")
}

func rangeText(p Permission) string {
	if p.Protocol == "-1" {
		return "every port"
	}
	if p.From == p.To {
		return "port " + strconv.Itoa(p.From)
	}
	return fmt.Sprintf("ports %d-%d", p.From, p.To)
}

func rangeArg(p Permission) string {
	if p.From == p.To {
		return strconv.Itoa(p.From)
	}
	return fmt.Sprintf("%d-%d", p.From, p.To)
}

func portList(ports []int) string {
	slices.Sort(ports)
	var parts []string
	for _, p := range ports {
		parts = append(parts, strconv.Itoa(p))
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return "port " + parts[0]
	}
	return "ports " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func keys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func first(list []string) string {
	if len(list) == 0 {
		return "GROUP"
	}
	return list[0]
}
