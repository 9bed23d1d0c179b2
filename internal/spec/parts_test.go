package spec

import (
	"errors"
	"strings"
	"testing"
)

const service = "name: web\nservice:\n  image: web:1\n  port: 8080\n"

// The composed stack's keys: each mistake is reported with file, line,
// field and what to do instead.
func TestPartsErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{
			name: "fargate size it does not run",
			src:  service + "  cpu: 256\n  memory: 4096\ncapacity: {provider: fargate}\n",
			want: []string{"b.yaml:6:11: service.memory: Fargate runs a task of 256 CPU units with 512 to 2048 MiB of memory (512, 1024, 2048); got 4096"},
		},
		{
			name: "fargate cpu",
			src:  service + "  cpu: 300\ncapacity: {provider: fargate_spot}\n",
			want: []string{"b.yaml:5:8: service.cpu: Fargate runs tasks of 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units (got 300)"},
		},
		{
			name: "fargate with instances and placement",
			src:  service + "  placement: spread\ncapacity: {provider: fargate, instance_type: t3.small, max: 3}\n",
			want: []string{
				"b.yaml:5:14: service.placement: does not apply to Fargate, which spreads tasks across the subnets' zones by itself; leave it out",
				"b.yaml:6:46: capacity.instance_type: applies to provider ec2 only: Fargate has no instances to choose or scale",
				"b.yaml:6:61: capacity.max: applies to provider ec2 only: Fargate has no instances to choose or scale",
			},
		},
		{
			name: "fargate without weight",
			src:  service + "capacity: {provider: fargate, fargate_weight: 0}\n",
			want: []string{"b.yaml:5:11: capacity: needs fargate_weight or fargate_spot_weight above 0, or no task would ever be placed"},
		},
		{
			name: "ec2 mixed instances",
			src:  service + "capacity: {instance_type: t3.small, instance_types: [t3.small], spot_share: 101, fargate_weight: 2}\n",
			want: []string{
				"b.yaml:5:53: capacity.instance_types: set instance_type (one type) or instance_types (a mixed instances group), not both",
				"b.yaml:5:77: capacity.spot_share: must be between 0 and 100 (got 101)",
				"b.yaml:5:98: capacity.fargate_weight: applies to provider fargate or fargate_spot only; EC2 capacity mixes Spot instances with spot_share",
			},
		},
		{
			name: "existing network without a vpc",
			src:  service + "network: {mode: existing, nat: per_zone, public_subnets: [subnet-0123456789abcdef0]}\n",
			want: []string{
				"b.yaml:5:10: network: mode existing needs vpc_id (vpc-...) or vpc_tags (tags that select exactly one VPC)",
				"b.yaml:5:32: network.nat: applies to mode new only (mode is existing)",
			},
		},
		{
			name: "one public subnet",
			src:  service + "network: {mode: existing, vpc_id: vpc-0123456789abcdef0, public_subnets: [subnet-0123456789abcdef0]}\n",
			want: []string{"b.yaml:5:74: network.public_subnets: needs at least two subnets in two zones: an Application Load Balancer needs two"},
		},
		{
			name: "bad ids and modes",
			src:  service + "network: {mode: existing, vpc_id: vpc-1, private_subnets: [sub-1, subnet-0123456789abcdef1]}\n",
			want: []string{
				"b.yaml:5:35: network.vpc_id: must be a VPC id such as vpc-0123456789abcdef0 (got \"vpc-1\")",
				"b.yaml:5:59: network.private_subnets: the load balancer needs public subnets too: set public_subnets (or public_subnet_tags)",
				"b.yaml:5:60: network.private_subnets[0]: must be a subnet id such as subnet-0123456789abcdef0 (got \"sub-1\")",
			},
		},
		{
			name: "new network cidr and nat",
			src:  service + "network: {cidr: 10.0.0.0/20, nat: gateway}\n",
			want: []string{
				"b.yaml:5:17: network.cidr: must be an IPv4 /16 such as 10.0.0.0/16: public subnets take a /24 each, private ones a /20 (got \"10.0.0.0/20\")",
				`b.yaml:5:35: network.nat: must be "single" or "per_zone": one NAT gateway for both zones, or one per zone (got "gateway")`,
			},
		},
		{
			name: "network mode",
			src:  service + "network: {mode: shared}\n",
			want: []string{`b.yaml:5:17: network.mode: must be "new", "existing" or "default": a VPC of the stack's own, one that exists, or the region's default VPC (got "shared")`},
		},
		{
			name: "secrets",
			src:  service + "  environment: {TOKEN: x}\n  secrets:\n    TOKEN: arn:aws:ssm:eu-west-1:123456789012:parameter/t\n    KEY: my-secret\n",
			want: []string{
				"b.yaml:7:12: service.secrets.TOKEN: is also set in service.environment; a variable comes from one or the other",
				"b.yaml:8:10: service.secrets.KEY: must be the ARN of an SSM parameter (arn:aws:ssm:<region>:<account>:parameter/<name>) or of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>) (got \"my-secret\")",
			},
		},
		{
			name: "deployment",
			src:  service + "  deployment: {circuit_breaker: false, rollback: true, maximum_percent: 300, stop_timeout: 1}\n",
			want: []string{
				"b.yaml:5:50: service.deployment.rollback: needs circuit_breaker: true, which decides that a deployment failed",
				"b.yaml:5:73: service.deployment.maximum_percent: must be between 100 and 200 (got 300)",
				"b.yaml:5:92: service.deployment.stop_timeout: must be between 2 and 120 (got 1)",
			},
		},
		{
			name: "tags and cidrs",
			src:  service + "tags: {\"berth:owner\": me}\n",
			want: []string{"b.yaml:5:23: tags.berth:owner: berth: tags are berth's own (berth:stack, berth:resource); choose another key"},
		},
		{
			name: "aws tags and cidrs",
			src:  service + "tags: {team: web, \"aws:x\": y}\nload_balancer: {allowed_cidrs: [10.0.0.1/8]}\n",
			want: []string{
				"b.yaml:5:19: tags.aws:x: not a valid AWS tag key (1-128 letters, digits, spaces and _ . : / = + - @, not starting with aws:)",
				"b.yaml:6:33: load_balancer.allowed_cidrs[0]: must be an IPv4 CIDR block such as 203.0.113.0/24 (got \"10.0.0.1/8\")",
			},
		},
		{
			name: "image mapping",
			src:  "name: web\nservice:\n  image: {tag: x}\n  port: 80\n",
			want: []string{
				`b.yaml:3:10: service.image: needs uri (an image to pull) or build (a Dockerfile to build)`,
				`b.yaml:3:11: service.image.tag: unknown key (expected one of: build, uri)`,
			},
		},
		{
			name: "image build outside its context",
			src:  "name: web\nservice:\n  image: {build: {dockerfile: ../Dockerfile}}\n  port: 80\n",
			want: []string{`b.yaml:3:31: service.image.build.dockerfile: must be a path inside the build context, such as Dockerfile or docker/app.Dockerfile (got "../Dockerfile")`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(tt.src))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v, want errors", err)
			}
			got := strings.Split(errs.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// A build without uri is tagged after the stack, its context is the spec
// file's directory by default.
func TestImageBuildDefaults(t *testing.T) {
	s, err := Parse("/srv/app/berth.yaml", []byte("name: web\nservice:\n  image: {build: {}}\n  port: 80\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Service.Image != "web:latest" || s.Service.Build == nil || s.Service.Build.Context != "/srv/app" || s.Service.Build.Dockerfile != "Dockerfile" {
		t.Errorf("image %q build %+v", s.Service.Image, s.Service.Build)
	}
	f, err := Parse("b.yaml", []byte(service+"capacity: {provider: fargate, fargate_spot_weight: 2, on_demand_base: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Capacity; c.FargateWeight != 1 || c.FargateSpotWeight != 2 || c.OnDemandBase != 1 || c.Max != 0 || f.Service.Placement != "" {
		t.Errorf("fargate capacity %+v placement %q", c, f.Service.Placement)
	}
}
