package spec

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	// secretARNPattern is an SSM parameter's or a Secrets Manager secret's
	// ARN in any partition; a secret may carry ECS's
	// :json-key:version-stage:version-id suffix.
	secretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+|secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^:]+(:[^:]*){0,3})$`)
	vpcIDPattern     = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDPattern  = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	imageRefPattern  = regexp.MustCompile(`^[^\s]+$`)
)

// fargateMemory lists, per task CPU, the memory sizes (MiB) Fargate runs:
// "Task CPU and memory" in the Amazon ECS developer guide.
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

func (v validator) image(svc *Service) {
	d := v.d
	if svc.Build != nil {
		if v.ok("service.image.build.context") && svc.Build.Context == "" {
			d.errorf("service.image.build.context", "must not be empty; leave it out to build in the spec file's directory")
		}
		if v.ok("service.image.build.dockerfile") && (svc.Build.Dockerfile == "" || strings.HasPrefix(svc.Build.Dockerfile, "/") || strings.HasPrefix(svc.Build.Dockerfile, "..")) {
			d.errorf("service.image.build.dockerfile", "must be a path inside the build context, such as Dockerfile or docker/app.Dockerfile (got %q)", svc.Build.Dockerfile)
		}
	} else if n := d.values["service.image"]; n != nil && n.Kind == yaml.MappingNode && v.ok("service.image") && d.values["service.image.uri"] == nil {
		d.errorf("service.image", "needs uri (an image to pull) or build (a Dockerfile to build)")
	}
	path := "service.image"
	if d.values["service.image.uri"] != nil {
		path = "service.image.uri"
	}
	if v.ok(path) && svc.Image != "" && !imageRefPattern.MatchString(svc.Image) {
		d.errorf(path, "must be an image reference without spaces (got %q)", svc.Image)
	}
}

func (v validator) secrets(secrets, env map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		path := "service.secrets." + name
		if !v.ok(path) {
			continue
		}
		if !secretARNPattern.MatchString(secrets[name]) {
			v.d.errorf(path, "must be the ARN of an SSM parameter (arn:aws:ssm:<region>:<account>:parameter/<name>) or of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>) (got %q)", secrets[name])
			continue
		}
		if _, dup := env[name]; dup {
			v.d.errorf(path, "is also set in service.environment; a variable comes from one or the other")
		}
	}
}

func (v validator) deployment(dep *Deployment) {
	const p = "service.deployment"
	v.between(p+".minimum_healthy_percent", dep.MinimumHealthyPercent, 0, 100)
	v.between(p+".maximum_percent", dep.MaximumPercent, 100, 200)
	if v.ok(p+".maximum_percent") && v.ok(p+".minimum_healthy_percent") && dep.MaximumPercent == 100 && dep.MinimumHealthyPercent == 100 {
		v.d.errorf(p+".maximum_percent", "with minimum_healthy_percent 100 a deployment can neither start new tasks first nor stop old ones: raise maximum_percent or lower minimum_healthy_percent")
	}
	v.between(p+".stop_timeout", dep.StopTimeout, 2, 120)
	if v.ok(p+".rollback") && v.ok(p+".circuit_breaker") && dep.Rollback && !dep.CircuitBreaker {
		v.d.errorf(p+".rollback", "needs circuit_breaker: true, which decides that a deployment failed")
	}
}

func (v validator) capacity(s *Spec) {
	d := v.d
	c := &s.Capacity
	if v.ok("capacity.provider") && !slices.Contains(providers, c.Provider) {
		d.errorf("capacity.provider", "must be %s (got %q)", quotedList(providers), c.Provider)
	}
	if c.Provider == ProviderFargate || c.Provider == ProviderFargateSpot {
		v.fargate(s)
		return
	}
	for _, key := range []string{"fargate_weight", "fargate_spot_weight"} {
		if d.values["capacity."+key] != nil {
			d.errorf("capacity."+key, "applies to provider fargate or fargate_spot only; EC2 capacity mixes Spot instances with spot_share")
		}
	}
	if v.given("capacity.instance_types") {
		if v.given("capacity.instance_type") {
			d.errorf("capacity.instance_types", "set instance_type (one type) or instance_types (a mixed instances group), not both")
		} else if len(c.InstanceTypes) == 0 || len(c.InstanceTypes) > 20 {
			d.errorf("capacity.instance_types", "must list 1 to 20 instance types, the first preferred (got %d)", len(c.InstanceTypes))
		} else {
			c.InstanceType = c.InstanceTypes[0]
		}
		for i, t := range c.InstanceTypes {
			if !instanceTypePattern.MatchString(t) {
				d.errorf(fmt.Sprintf("capacity.instance_types[%d]", i), "must be an EC2 instance type such as t3.medium (got %q)", t)
			}
		}
	} else if v.ok("capacity.instance_type") {
		if !instanceTypePattern.MatchString(c.InstanceType) {
			d.errorf("capacity.instance_type", "must be an EC2 instance type such as t2.medium (got %q)", c.InstanceType)
		}
	}
	if v.ok("capacity.min") && c.Min < 0 {
		d.errorf("capacity.min", "must not be negative (got %d)", c.Min)
	}
	if v.ok("capacity.max") && c.Max < 1 {
		d.errorf("capacity.max", "must be at least 1 (got %d)", c.Max)
	}
	if v.ok("capacity.min") && v.ok("capacity.max") && c.Min >= 0 && c.Max >= 1 && c.Min > c.Max {
		d.errorf("capacity.min", "must not exceed capacity.max, which is %d (got %d)", c.Max, c.Min)
	}
	v.between("capacity.spot_share", c.SpotShare, 0, 100)
	v.between("capacity.on_demand_base", c.OnDemandBase, 0, 1000)
	if v.ok("capacity.target_capacity") && (c.TargetCapacity < 1 || c.TargetCapacity > 100) {
		d.errorf("capacity.target_capacity", "must be between 1 and 100, the percentage of the instances' capacity tasks should use (got %d)", c.TargetCapacity)
	}
}

// fargate checks what Fargate capacity allows: no instances, placement by
// zone only, and the task sizes Fargate has.
func (v validator) fargate(s *Spec) {
	d := v.d
	c := &s.Capacity
	for _, key := range []string{"instance_type", "instance_types", "min", "max", "spot_share", "target_capacity", "managed_termination_protection"} {
		if d.values["capacity."+key] != nil {
			d.errorf("capacity."+key, "applies to provider ec2 only: Fargate has no instances to choose or scale")
		}
	}
	v.between("capacity.fargate_weight", c.FargateWeight, 0, 1000)
	v.between("capacity.fargate_spot_weight", c.FargateSpotWeight, 0, 1000)
	v.between("capacity.on_demand_base", c.OnDemandBase, 0, 100000)
	if v.ok("capacity.fargate_weight") && v.ok("capacity.fargate_spot_weight") && c.FargateWeight+c.FargateSpotWeight == 0 {
		d.errorf("capacity", "needs fargate_weight or fargate_spot_weight above 0, or no task would ever be placed")
	}
	if d.values["service.placement"] != nil {
		d.errorf("service.placement", "does not apply to Fargate, which spreads tasks across the subnets' zones by itself; leave it out")
	}
	s.Service.Placement = ""
	svc := s.Service
	if v.ok("service.cpu") && v.ok("service.memory") {
		sizes, ok := fargateMemory[svc.CPU]
		switch {
		case !ok:
			d.errorf("service.cpu", "Fargate runs tasks of 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (got %d)", svc.CPU)
		case !slices.Contains(sizes, svc.Memory):
			d.errorf("service.memory", "Fargate runs a task of %d CPU units with %d to %d MiB of memory (%s); got %d", svc.CPU, sizes[0], sizes[len(sizes)-1], joinInts(sizes), svc.Memory)
		}
	}
}

func (v validator) network(n *Network) {
	d := v.d
	const p = "network"
	if v.ok(p+".mode") && !slices.Contains(networks, n.Mode) {
		d.errorf(p+".mode", "must be %s: a VPC of the stack's own, one that exists, or the region's default VPC (got %q)", quotedList(networks), n.Mode)
		return
	}
	onlyFor := func(mode string, keys ...string) {
		for _, key := range keys {
			if d.values[p+"."+key] != nil && n.Mode != mode {
				d.errorf(p+"."+key, "applies to mode %s only (mode is %s)", mode, n.Mode)
			}
		}
	}
	onlyFor(NetworkNew, "cidr", "nat")
	onlyFor(NetworkExisting, "vpc_id", "vpc_tags", "public_subnets", "private_subnets", "public_subnet_tags", "private_subnet_tags")
	switch n.Mode {
	case NetworkNew:
		if v.ok(p + ".cidr") {
			prefix, err := netip.ParsePrefix(n.CIDR)
			if err != nil || !prefix.Addr().Is4() || prefix.Bits() != 16 || prefix.Masked() != prefix {
				d.errorf(p+".cidr", "must be an IPv4 /16 such as 10.0.0.0/16: public subnets take a /24 each, private ones a /20 (got %q)", n.CIDR)
			}
		}
		if v.ok(p+".nat") && !slices.Contains(nats, n.NAT) {
			d.errorf(p+".nat", "must be %s: one NAT gateway for both zones, or one per zone (got %q)", quotedList(nats), n.NAT)
		}
	case NetworkExisting:
		hasID, hasTags := d.values[p+".vpc_id"] != nil, d.values[p+".vpc_tags"] != nil
		switch {
		case hasID && hasTags:
			d.errorf(p+".vpc_tags", "set vpc_id or vpc_tags, not both")
		case !hasID && !hasTags && v.ok(p):
			d.errorf(p, "mode existing needs vpc_id (vpc-...) or vpc_tags (tags that select exactly one VPC)")
		case hasID && v.ok(p+".vpc_id") && !vpcIDPattern.MatchString(n.VPCID):
			d.errorf(p+".vpc_id", "must be a VPC id such as vpc-0123456789abcdef0 (got %q)", n.VPCID)
		}
		if hasTags {
			v.tags(p+".vpc_tags", n.VPCTags)
		}
		for _, side := range []struct {
			key  string
			ids  []string
			tags map[string]string
		}{{"public", n.PublicSubnets, n.PublicSubnetTags}, {"private", n.PrivateSubnets, n.PrivateSubnetTags}} {
			ids, tags := p+"."+side.key+"_subnets", p+"."+side.key+"_subnet_tags"
			if d.values[ids] != nil && d.values[tags] != nil {
				d.errorf(tags, "set %s_subnets or %s_subnet_tags, not both", side.key, side.key)
			}
			for i, id := range side.ids {
				if !subnetIDPattern.MatchString(id) {
					d.errorf(fmt.Sprintf("%s[%d]", ids, i), "must be a subnet id such as subnet-0123456789abcdef0 (got %q)", id)
				}
			}
			if v.given(ids) && len(side.ids) == 1 {
				d.errorf(ids, "needs at least two subnets in two zones: an Application Load Balancer needs two")
			}
		}
		if v.given(p+".private_subnets") && d.values[p+".public_subnets"] == nil && d.values[p+".public_subnet_tags"] == nil {
			d.errorf(p+".private_subnets", "the load balancer needs public subnets too: set public_subnets (or public_subnet_tags)")
		}
	}
}

func (v validator) tags(path string, tags map[string]string) {
	if len(tags) > 40 {
		v.d.errorf(path, "at most 40 tags: berth adds its own 2 and AWS allows 50 (got %d)", len(tags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if len(tags[k]) > 256 {
			v.d.errorf(path+"."+k, "a tag value has at most 256 characters (got %d)", len(tags[k]))
		}
		if strings.HasPrefix(k, "berth:") {
			v.d.errorf(path+"."+k, "berth: tags are berth's own (berth:stack, berth:resource); choose another key")
		}
	}
}

func (v validator) cidrs(path string, cidrs []string) {
	if v.given(path) && len(cidrs) == 0 {
		v.d.errorf(path, "must list at least one CIDR such as 203.0.113.0/24, or be left out")
	}
	if len(cidrs) > 10 {
		v.d.errorf(path, "at most 10 CIDRs (got %d)", len(cidrs))
	}
	for i, c := range cidrs {
		prefix, err := netip.ParsePrefix(c)
		if err != nil || !prefix.Addr().Is4() || prefix.Masked() != prefix {
			v.d.errorf(fmt.Sprintf("%s[%d]", path, i), "must be an IPv4 CIDR block such as 203.0.113.0/24 (got %q)", c)
		}
	}
}
