package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// FromSpec is the stack berth.yaml asks for, as far as it is known before
// it exists: its task, target group, placement and instances, without ids.
func FromSpec(s *spec.Spec) *Stack {
	svc, hc := s.Service, s.Service.HealthCheck
	names := stack.NamesFor(s.Name)
	st := &Stack{
		Source: s.File, Cluster: names.Cluster, Service: names.Service,
		Desired: svc.Count, MaxDesired: svc.Count, MaximumPercent: svc.Deployment.MaximumPercent,
		Fargate:          s.Capacity.Provider != spec.ProviderEC2,
		NetworkMode:      "awsvpc",
		DistinctInstance: svc.Placement == spec.PlacementDistinctInstance,
		Task: Task{Family: names.TaskFamily, CPU: svc.CPU, Memory: svc.Memory, Containers: []Container{{
			Name: awsres.ContainerName, Image: svc.Image, Ports: []PortMapping{{Container: svc.Port, Host: svc.Port}},
			Secrets: slices.Sorted(mapValues(svc.Secrets)), LogsToCloudWatch: true,
		}}},
		Targets: []Target{{ContainerName: awsres.ContainerName, ContainerPort: svc.Port, Group: TargetGroup{
			Name: names.TargetGroup, Port: svc.Port, Protocol: svc.Protocol, TargetType: "ip",
			HealthPath: hc.Path, HealthPort: "traffic-port", Interval: hc.Interval, Healthy: hc.HealthyThreshold,
			DeregistrationDelay: svc.DeregistrationDelay, Matcher: hc.Matcher,
		}}},
		AllowedCIDRs: s.LoadBalancer.AllowedCIDRs,
	}
	if st.AllowedCIDRs == nil && s.LoadBalancer.Public {
		st.AllowedCIDRs = []string{"0.0.0.0/0"}
	}
	if a := svc.Autoscaling; a != nil {
		st.MaxDesired = max(st.MaxDesired, a.Max)
	}
	if !st.Fargate {
		types := s.Capacity.InstanceTypes
		if len(types) == 0 {
			types = []string{s.Capacity.InstanceType}
		}
		st.Instances = &Instances{Source: "capacity.max in " + s.File, Types: types, Max: s.Capacity.Max}
	}
	return st
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// specChecks are what berth.yaml alone decides; the network's are read
// from the stack once it exists.
var specChecks = []check{checkPorts, checkHealthSettings, checkFit, checkENIs}

// liveChecks are what only the account can tell of a stack berth made.
var liveChecks = []check{checkSecurityGroupChain, checkExposure, checkReach}

// Spec diagnoses the deploy of s: berth.yaml's task, ports, health check,
// fit and placement on its instance types and its image, then the network
// of the stack when it exists (security groups, routes and endpoints).
// Deploys call it before they change anything, and stop on a failure.
func Spec(ctx context.Context, c *engine.Clients, s *spec.Spec) ([]Finding, error) {
	st := FromSpec(s)
	if st.Instances != nil {
		if err := st.readInstanceTypes(ctx, c); err != nil {
			return nil, err
		}
	}
	var findings []Finding
	for _, run := range specChecks {
		findings = append(findings, run(ctx, c, st)...)
	}
	findings = append(findings, checkLocalPort(s)...)
	if s.Service.Build == nil {
		findings = append(findings, checkImage(ctx, c, st)...)
	}
	live, err := Read(ctx, c, st.Cluster, st.Service)
	if errors.Is(err, ErrNoService) {
		return append(findings, checkGivenNetwork(ctx, c, s, st)...), nil
	}
	if err != nil {
		// berth.yaml's findings stand without the deployed stack's.
		return append(findings, warn("deployed stack", fmt.Sprintf("cannot read it: %v", err),
			"allow the credentials to describe ECS, EC2, ELB and Auto Scaling, then run berth doctor again")), nil
	}
	live.AllowedCIDRs = st.AllowedCIDRs
	for _, run := range liveChecks {
		findings = append(findings, run(ctx, c, live)...)
	}
	return findings, nil
}

// checkLocalPort: the process berth.yaml's local: section starts must
// listen on service.port, which the target group forwards to and health
// checks; on another port every check fails and berth up waits for targets
// that never turn healthy. Only the usual spellings are read (--port N,
// --port=N, -p N, PORT in local.env); a command that names no port passes.
func checkLocalPort(s *spec.Spec) []Finding {
	if s.Local == nil {
		return nil
	}
	listens, where := "", ""
	args := s.Local.Command
	for i, a := range args {
		switch {
		case (a == "--port" || a == "-p") && i+1 < len(args):
			listens, where = args[i+1], "local.command"
		case strings.HasPrefix(a, "--port="):
			listens, where = strings.TrimPrefix(a, "--port="), "local.command"
		}
	}
	if p, ok := s.Local.Env["PORT"]; ok && listens == "" {
		listens, where = p, "local.env.PORT"
	}
	n, err := strconv.Atoi(listens)
	if err != nil {
		// Unset, or a $VAR the runtime expands: nothing to compare.
		return nil
	}
	if n != s.Service.Port {
		return []Finding{fail(portsCheck,
			fmt.Sprintf("%s: %s listens on %d, but service.port is %d, where the load balancer forwards and health-checks %s", s.File, where, n, s.Service.Port, s.Service.HealthCheck.Path),
			fmt.Sprintf("make them agree: service.port: %d, or %s %d", n, where, s.Service.Port))}
	}
	return []Finding{pass(portsCheck, fmt.Sprintf("%s listens on service.port %d", where, n))}
}

const networkCheck = "network"

// checkGivenNetwork diagnoses, before the first deploy, a VPC berth.yaml
// names rather than creates (network.mode existing or default): it finds
// the subnets as the deploy will, then checks that the tasks' subnets span
// two zones, are private, and reach ECR, CloudWatch Logs and the secrets
// through a NAT gateway, an internet gateway with public addresses, or
// VPC endpoints. A VPC berth creates is right by construction.
func checkGivenNetwork(ctx context.Context, c *engine.Clients, s *spec.Spec, st *Stack) []Finding {
	resources, err := stack.Build(s)
	if err != nil {
		return []Finding{fail(networkCheck, err.Error(), "fix berth.yaml's network section")}
	}
	var lookup *awsres.NetworkLookup
	for _, r := range resources {
		if l, ok := r.(*awsres.NetworkLookup); ok {
			lookup = l
		}
	}
	if lookup == nil {
		return nil
	}
	found, err := lookup.Observe(ctx, c, nil)
	if err != nil {
		return []Finding{fail(networkCheck, err.Error(), "point network.vpc_id (or vpc_tags) and the subnet lists at the VPC to deploy into")}
	}
	split := func(key string) []string {
		if v := found.Outputs[key]; v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	tasks, private := split("task_subnets"), split("private_subnets")
	st.TaskSubnets, st.TaskPublicIP = tasks, found.Outputs["public_tasks"] == "true"
	if st.Instances != nil {
		// berth launches the instances in the tasks' subnets.
		st.Instances.Subnets, st.Instances.PublicIP = tasks, st.TaskPublicIP
	}
	var findings []Finding
	vpc := found.Outputs["vpc_id"]
	if len(private) == 0 {
		findings = append(findings, warn(networkCheck,
			fmt.Sprintf("%s has no private subnets berth.yaml selects, so the tasks run in the public subnets with public addresses", vpc),
			"add private subnets with a route to a NAT gateway and list them in network.private_subnets (or tag them and set private_subnet_tags)"))
	}
	if st.Subnets, st.Endpoints, err = readSubnets(ctx, c, tasks); err != nil {
		return append(findings, warn(networkCheck, "cannot read the subnets' routes: "+err.Error(), "allow ec2:DescribeSubnets, DescribeRouteTables and DescribeVpcEndpoints"))
	}
	zones := map[string]bool{}
	for _, id := range tasks {
		if sub := st.Subnets[id]; sub != nil {
			zones[sub.Zone] = true
		}
	}
	if len(zones) < 2 {
		findings = append(findings, warn(networkCheck,
			fmt.Sprintf("the tasks' subnets of %s (%s) are in %d availability zone(s): one zone's outage stops the service", vpc, strings.Join(slices.Sorted(slices.Values(tasks)), ", "), len(zones)),
			"select subnets in two zones or more"))
	} else {
		findings = append(findings, pass(networkCheck, fmt.Sprintf("the tasks' subnets of %s span %d zones", vpc, len(zones))))
	}
	return append(findings, checkReach(ctx, c, st)...)
}
