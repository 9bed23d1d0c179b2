package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimal = `name: web
service:
  image: web:1
  port: 8080
`

func TestParseAppliesDefaults(t *testing.T) {
	s, err := Parse("dir/berth.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := defaults("dir/berth.yaml")
	want.Name = "web"
	want.Service.Image = "web:1"
	want.Service.Port = 8080
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	// Spelled out so that a changed default is a deliberate, visible edit.
	checks := []struct {
		field     string
		got, want any
	}{
		{"service.count", s.Service.Count, 1},
		{"service.cpu", s.Service.CPU, 256},
		{"service.memory", s.Service.Memory, 512},
		{"service.placement", s.Service.Placement, "distinct-instance"},
		{"service.health_check.path", s.Service.HealthCheck.Path, "/"},
		{"service.health_check.interval", s.Service.HealthCheck.Interval, 10},
		{"service.health_check.timeout", s.Service.HealthCheck.Timeout, 5},
		{"service.health_check.healthy_threshold", s.Service.HealthCheck.HealthyThreshold, 2},
		{"service.health_check.unhealthy_threshold", s.Service.HealthCheck.UnhealthyThreshold, 2},
		{"service.health_check.matcher", s.Service.HealthCheck.Matcher, "200"},
		{"service.deregistration_delay", s.Service.DeregistrationDelay, 30},
		{"capacity.provider", s.Capacity.Provider, "ec2"},
		{"capacity.instance_type", s.Capacity.InstanceType, "t2.medium"},
		{"capacity.min", s.Capacity.Min, 1},
		{"capacity.max", s.Capacity.Max, 2},
		{"load_balancer.public", s.LoadBalancer.Public, true},
		{"load_balancer.port", s.LoadBalancer.Port, 80},
		{"logs.retention_days", s.Logs.RetentionDays, 7},
		{"service.protocol", s.Service.Protocol, "http"},
		{"service.autoscaling", s.Service.Autoscaling == nil, true},
		{"capacity.target_capacity", s.Capacity.TargetCapacity, 100},
		{"capacity.managed_termination_protection", s.Capacity.ManagedTerminationProtection, false},
		{"load_balancer.https", s.LoadBalancer.HTTPS == nil, true},
		{"region", s.Region, ""},
		{"profile", s.Profile, ""},
		{"local", s.Local == nil, true},
		{"service.environment", s.Service.Environment == nil, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestParseReadsEveryField(t *testing.T) {
	src := `name: shop-api
region: us-gov-west-1
profile: gov
tags: {team: shop, "cost center": "42"}
service:
  image:
    uri: registry.example.com/shop:2.1
    build: {context: ../src, dockerfile: docker/Dockerfile, args: {VERSION: 2.1, DEBUG: true}, target: runtime}
  port: 9000
  count: 0
  cpu: 512
  memory: 1024
  command: [serve, --port, 9000]
  environment: {LOG_LEVEL: debug, WORKERS: 4, DEBUG: true, EMPTY: }
  secrets:
    DB: arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/shop/db
    KEY: "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:shop/key-AbCdEf:password::"
  placement: spread
  health_check:
    path: /healthz
    interval: 30
    timeout: 29
    healthy_threshold: 10
    unhealthy_threshold: 3
    matcher: 200-299
    grace_period: 15
  deregistration_delay: 0
  protocol: https
  deployment: {circuit_breaker: true, rollback: false, minimum_healthy_percent: 100, maximum_percent: 150, stop_timeout: 5}
  autoscaling: {min: 0, max: 10, cpu: 60, memory: 75, requests_per_target: 500, scale_in_cooldown: 120, scale_out_cooldown: 0}
capacity:
  provider: ec2
  instance_types: [m5.large, m5a.large]
  min: 0
  max: 5
  spot_share: 70
  on_demand_base: 1
  target_capacity: 90
  managed_termination_protection: true
network:
  mode: existing
  vpc_tags: {Name: prod}
  public_subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
  private_subnet_tags: {tier: private}
load_balancer:
  public: false
  port: 8080
  allowed_cidrs: [10.0.0.0/8, 192.168.0.0/16]
  https: {certificate_arn: "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-4e5f", port: 8443, redirect_http: false, ssl_policy: ELBSecurityPolicy-FS-1-2-Res-2020-10}
logs: {retention_days: 3653}
local:
  command: [uvicorn, --port, 9000, --reload, true]
  dir: /srv/app/../shop
  env: {A: "1"}
`
	s, err := Parse("/etc/berth/berth.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Spec{
		File:    "/etc/berth/berth.yaml",
		Name:    "shop-api",
		Region:  "us-gov-west-1",
		Profile: "gov",
		Tags:    map[string]string{"team": "shop", "cost center": "42"},
		Service: Service{
			Image: "registry.example.com/shop:2.1", Port: 9000, Count: 0, CPU: 512, Memory: 1024,
			Build:       &Build{Context: "/etc/src", Dockerfile: "docker/Dockerfile", Args: map[string]string{"VERSION": "2.1", "DEBUG": "true"}, Target: "runtime"},
			Command:     []string{"serve", "--port", "9000"},
			Environment: map[string]string{"LOG_LEVEL": "debug", "WORKERS": "4", "DEBUG": "true", "EMPTY": ""},
			Secrets: map[string]string{
				"DB":  "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/shop/db",
				"KEY": "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:shop/key-AbCdEf:password::",
			},
			Placement:   PlacementSpread,
			HealthCheck: HealthCheck{Path: "/healthz", Interval: 30, Timeout: 29, HealthyThreshold: 10, UnhealthyThreshold: 3, Matcher: "200-299", GracePeriod: 15},
			Deployment:  Deployment{CircuitBreaker: true, MinimumHealthyPercent: 100, MaximumPercent: 150, StopTimeout: 5},
			Protocol:    ProtocolHTTPS,
			Autoscaling: &Autoscaling{Min: 0, Max: 10, CPU: 60, Memory: 75, RequestsPerTarget: 500, ScaleInCooldown: 120, ScaleOutCooldown: 0},
		},
		Capacity: Capacity{Provider: "ec2", InstanceType: "m5.large", InstanceTypes: []string{"m5.large", "m5a.large"}, Min: 0, Max: 5,
			SpotShare: 70, OnDemandBase: 1, TargetCapacity: 90, ManagedTerminationProtection: true},
		Network: Network{Mode: NetworkExisting, CIDR: "10.0.0.0/16", NAT: NATSingle, VPCTags: map[string]string{"Name": "prod"},
			PublicSubnets: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, PrivateSubnetTags: map[string]string{"tier": "private"}},
		LoadBalancer: LoadBalancer{Public: false, Port: 8080, AllowedCIDRs: []string{"10.0.0.0/8", "192.168.0.0/16"}, HTTPS: &HTTPS{
			CertificateARN: "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-4e5f",
			Port:           8443, RedirectHTTP: false, SSLPolicy: "ELBSecurityPolicy-FS-1-2-Res-2020-10",
		}},
		Logs: Logs{RetentionDays: 3653},
		Local: &Local{
			Command: []string{"uvicorn", "--port", "9000", "--reload", "true"},
			Dir:     "/srv/shop",
			Env:     map[string]string{"A": "1"},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v\nlocal got %+v want %+v", s, want, s.Local, want.Local)
	}
}

func TestParseLocal(t *testing.T) {
	tests := []struct {
		name, file, local string
		wantDir           string
		wantCommand       []string
	}{
		{
			name:        "dir defaults to the spec's directory",
			file:        "/proj/app/berth.yaml",
			local:       "local:\n  command: [run]\n",
			wantDir:     "/proj/app",
			wantCommand: []string{"run"},
		},
		{
			name:        "relative dir is anchored at the spec, not the working directory",
			file:        "/proj/app/berth.yaml",
			local:       "local:\n  command: [run]\n  dir: ../web\n",
			wantDir:     "/proj/web",
			wantCommand: []string{"run"},
		},
		{
			name:        "variables stay verbatim for the runtime to expand",
			file:        "/p/berth.yaml",
			local:       "local:\n  command: [serve, --host, $HOST, --port, \"${PORT}\"]\n",
			wantDir:     "/p",
			wantCommand: []string{"serve", "--host", "$HOST", "--port", "${PORT}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.file, []byte(minimal+tt.local))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.Local == nil {
				t.Fatal("Local is nil")
			}
			if s.Local.Dir != tt.wantDir {
				t.Errorf("Dir = %q, want %q", s.Local.Dir, tt.wantDir)
			}
			if !reflect.DeepEqual(s.Local.Command, tt.wantCommand) {
				t.Errorf("Command = %q, want %q", s.Local.Command, tt.wantCommand)
			}
		})
	}
}

func TestParseRelativeSpecPathGivesAbsoluteLocalDir(t *testing.T) {
	s, err := Parse("sub/berth.yaml", []byte(minimal+"local:\n  command: [run]\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cwd, "sub"); s.Local.Dir != want {
		t.Errorf("Dir = %q, want %q", s.Local.Dir, want)
	}
}

func TestParseAcceptsAnchors(t *testing.T) {
	src := `name: web
service:
  image: web:1
  port: &port 8080
load_balancer:
  port: *port
`
	s, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if s.LoadBalancer.Port != 8080 {
		t.Errorf("load_balancer.port = %d, want 8080", s.LoadBalancer.Port)
	}
}

// TestParseErrors pins the exact message, position and field of each error,
// because users and editors act on them.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "empty file",
			src:  "",
			want: []string{"b.yaml:1:1: file is empty: a spec needs at least name and service (see examples/fastapi/berth.yaml)"},
		},
		{
			name: "only comments",
			src:  "# nothing yet\n",
			want: []string{"b.yaml:1:1: file is empty: a spec needs at least name and service (see examples/fastapi/berth.yaml)"},
		},
		{
			name: "top level is a list",
			src:  "- name: web\n",
			want: []string{"b.yaml:1:1: must be a mapping of keys such as name and service (got a list)"},
		},
		{
			name: "invalid YAML",
			src:  "name: web\nservice:\n  image: [unclosed\n",
			want: []string{"b.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		},
		{
			name: "name AWS refuses for a load balancer",
			src:  "name: internal-api\nservice:\n  image: app:1\n  port: 80\n",
			want: []string{`b.yaml:1:7: name: must not start with "internal-" or end with a hyphen: AWS refuses such load balancer names, and the load balancer is named after the stack (got "internal-api")`},
		},
		{
			name: "two documents",
			src:  minimal + "---\nname: other\n",
			want: []string{"b.yaml:5:1: only one YAML document is allowed per spec file"},
		},
		{
			name: "missing required keys",
			src:  "region: eu-west-1\nservice:\n  count: 2\n",
			want: []string{
				"b.yaml:1:1: name: is required",
				"b.yaml:2:1: service.image: is required",
				"b.yaml:2:1: service.port: is required",
			},
		},
		{
			name: "missing service",
			src:  "name: web\n",
			want: []string{"b.yaml:1:1: service: is required"},
		},
		{
			name: "empty service is still checked for its required keys",
			src:  "name: web\nservice:\n",
			want: []string{
				"b.yaml:2:1: service.image: is required",
				"b.yaml:2:1: service.port: is required",
			},
		},
		{
			name: "null value of a required key",
			src:  "name:\nservice:\n  image: web:1\n  port: 80\n",
			want: []string{"b.yaml:1:1: name: is required"},
		},
		{
			name: "port out of range",
			src:  "name: web\nservice:\n  image: web:1\n  port: 70000\n",
			want: []string{"b.yaml:4:9: service.port: must be between 1 and 65535 (got 70000)"},
		},
		{
			name: "bad name",
			src:  "name: Web_App\nservice:\n  image: web:1\n  port: 80\n",
			want: []string{`b.yaml:1:7: name: must start with a lowercase letter and hold at most 23 lowercase letters, digits and hyphens, because it prefixes every AWS resource name (got "Web_App")`},
		},
		{
			name: "name too long",
			src:  "name: abcdefghijklmnopqrstuvwx\nservice:\n  image: web:1\n  port: 80\n",
			want: []string{`b.yaml:1:7: name: must start with a lowercase letter and hold at most 23 lowercase letters, digits and hyphens, because it prefixes every AWS resource name (got "abcdefghijklmnopqrstuvwx")`},
		},
		{
			name: "bad region",
			src:  minimal + "region: eu-west1\n",
			want: []string{`b.yaml:5:9: region: must be an AWS region such as eu-west-1, or be left out to let the AWS config decide (got "eu-west1")`},
		},
		{
			name: "unknown key with hint",
			src:  "name: web\nservice:\n  imgae: web:1\n  port: 80\n",
			want: []string{
				`b.yaml:2:1: service.image: is required`,
				`b.yaml:3:3: service.imgae: unknown key, did you mean "image"?`,
			},
		},
		{
			name: "unknown key differing in case and separator",
			src:  minimal + "  healthCheck: {path: /}\n",
			want: []string{`b.yaml:5:3: service.healthCheck: unknown key, did you mean "health_check"?`},
		},
		{
			name: "unknown key without hint lists the known keys",
			src:  minimal + "tls: true\n",
			want: []string{`b.yaml:5:1: tls: unknown key (expected one of: capacity, load_balancer, local, logs, name, network, profile, region, service, tags)`},
		},
		{
			name: "duplicate key",
			src:  minimal + "name: again\n",
			want: []string{`b.yaml:5:1: name: duplicate key (first set on line 1)`},
		},
		{
			name: "wrong scalar types",
			src: `name: web
service:
  image: web:1
  port: "8080"
  count: two
  cpu: 1.5
  placement: [spread]
load_balancer:
  public: "yes"
`,
			want: []string{
				`b.yaml:4:9: service.port: must be an integer (got string "8080"; drop the quotes)`,
				`b.yaml:5:10: service.count: must be an integer (got string "two")`,
				`b.yaml:6:8: service.cpu: must be an integer (got number 1.5)`,
				`b.yaml:7:14: service.placement: must be a string (got a list)`,
				`b.yaml:9:11: load_balancer.public: must be true or false (got string "yes")`,
			},
		},
		{
			name: "errors of every kind across sections are reported together in file order",
			src: `name: 9lives
servce:
  image: web:1
capacity:
  min: lots
logs:
  retention_days: 8
`,
			want: []string{
				`b.yaml:1:1: service: is required`,
				`b.yaml:1:7: name: must start with a lowercase letter and hold at most 23 lowercase letters, digits and hyphens, because it prefixes every AWS resource name (got "9lives")`,
				`b.yaml:2:1: servce: unknown key, did you mean "service"?`,
				`b.yaml:5:8: capacity.min: must be an integer (got string "lots")`,
				`b.yaml:7:19: logs.retention_days: must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 8)`,
			},
		},
		{
			name: "integer overflow",
			src:  minimal + "  count: 99999999999999999999999\n",
			want: []string{`b.yaml:5:10: service.count: integer 99999999999999999999999 is out of range`},
		},
		{
			name: "section of the wrong type",
			src:  minimal + "capacity: big\n",
			want: []string{`b.yaml:5:11: capacity: must be a mapping (got string "big")`},
		},
		{
			name: "numbers out of range",
			src: minimal + `  count: 101
  cpu: 64
  memory: 512
  deregistration_delay: -1
load_balancer:
  port: 0
`,
			want: []string{
				"b.yaml:5:10: service.count: must be between 0 and 100 (got 101)",
				"b.yaml:6:8: service.cpu: must be between 128 and 16384 (got 64)",
				"b.yaml:8:25: service.deregistration_delay: must be between 0 and 3600 (got -1)",
				"b.yaml:10:9: load_balancer.port: must be between 1 and 65535 (got 0)",
			},
		},
		{
			name: "bad placement and image",
			src:  "name: web\nservice:\n  image: web 1\n  port: 80\n  placement: binpack\n",
			want: []string{
				`b.yaml:3:10: service.image: must be an image reference without spaces (got "web 1")`,
				`b.yaml:5:14: service.placement: must be "distinct-instance" or "spread" (got "binpack")`,
			},
		},
		{
			name: "bad environment",
			src:  minimal + "  environment:\n    1BAD: x\n    GOOD: [a]\n    OK: y\n    OK: z\n",
			want: []string{
				"b.yaml:6:5: service.environment.1BAD: not a valid environment variable name (use letters, digits and _, not starting with a digit)",
				"b.yaml:7:11: service.environment.GOOD: must be a string (got a list)",
				"b.yaml:9:5: service.environment.OK: duplicate variable",
			},
		},
		{
			name: "environment not a mapping",
			src:  minimal + "  environment: [A=1]\n",
			want: []string{"b.yaml:5:16: service.environment: must be a mapping of NAME: value (got a list)"},
		},
		{
			name: "health check ranges",
			src: minimal + `  health_check:
    path: health
    interval: 4
    timeout: 121
    healthy_threshold: 1
    unhealthy_threshold: 11
`,
			want: []string{
				`b.yaml:6:11: service.health_check.path: must start with / (got "health")`,
				"b.yaml:7:15: service.health_check.interval: must be between 5 and 300 (got 4)",
				"b.yaml:8:14: service.health_check.timeout: must be between 2 and 120 (got 121)",
				"b.yaml:9:24: service.health_check.healthy_threshold: must be between 2 and 10 (got 1)",
				"b.yaml:10:26: service.health_check.unhealthy_threshold: must be between 2 and 10 (got 11)",
			},
		},
		{
			name: "timeout not below interval",
			src:  minimal + "  health_check: {interval: 10, timeout: 10}\n",
			want: []string{"b.yaml:5:41: service.health_check.timeout: must be less than service.health_check.interval (10), since a check cannot outlast the gap between checks (got 10)"},
		},
		{
			name: "timeout below the default interval is checked against it",
			src:  minimal + "  health_check:\n    timeout: 10\n",
			want: []string{"b.yaml:6:14: service.health_check.timeout: must be less than service.health_check.interval (10), since a check cannot outlast the gap between checks (got 10)"},
		},
		{
			name: "bad matchers",
			src:  minimal + "  health_check: {matcher: 500}\n",
			want: []string{`b.yaml:5:27: service.health_check.matcher: must be an HTTP code, a comma list or a range within 200-499, such as "200", "200,202" or "200-299" (got "500")`},
		},
		{
			name: "capacity",
			src:  minimal + "  count: 0\ncapacity:\n  provider: ec2\n  instance_type: large\n  min: 3\n  max: 2\n",
			want: []string{
				`b.yaml:8:18: capacity.instance_type: must be an EC2 instance type such as t2.medium (got "large")`,
				`b.yaml:9:8: capacity.min: must not exceed capacity.max, which is 2 (got 3)`,
			},
		},
		{
			name: "capacity bounds",
			src:  minimal + "  count: 0\ncapacity: {provider: ecs, min: -1, max: 0}\n",
			want: []string{
				`b.yaml:6:22: capacity.provider: must be "ec2", "fargate" or "fargate_spot" (got "ecs")`,
				`b.yaml:6:32: capacity.min: must not be negative (got -1)`,
				`b.yaml:6:41: capacity.max: must be at least 1 (got 0)`,
			},
		},
		{
			name: "distinct-instance needs an instance per task",
			src:  minimal + "  count: 3\n",
			want: []string{`b.yaml:5:10: service.count: placement distinct-instance runs at most one task per instance and capacity.max is 2, so 3 tasks can never all start; lower count, raise capacity.max or use placement: spread`},
		},
		{
			name: "retention not allowed by CloudWatch Logs",
			src:  minimal + "logs:\n  retention_days: 10\n",
			want: []string{`b.yaml:6:19: logs.retention_days: must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 10)`},
		},
		{
			name: "local without command",
			src:  minimal + "local:\n  dir: app\n",
			want: []string{"b.yaml:5:1: local.command: is required"},
		},
		{
			name: "empty local section",
			src:  minimal + "local:\n",
			want: []string{"b.yaml:5:1: local.command: is required"},
		},
		{
			name: "local command of the wrong shapes",
			src:  minimal + "local:\n  command: uvicorn main:app\n  env: {BAD-NAME: 1}\n",
			want: []string{
				`b.yaml:6:12: local.command: must be a list of strings (got string "uvicorn main:app")`,
				"b.yaml:7:9: local.env.BAD-NAME: not a valid environment variable name (use letters, digits and _, not starting with a digit)",
			},
		},
		{
			name: "local command empty, item not a scalar, empty dir",
			src:  minimal + "local:\n  command: []\n  dir: \"\"\n",
			want: []string{
				"b.yaml:6:12: local.command: must name the program to run, e.g. [python3, -m, uvicorn, main:app]",
				"b.yaml:7:8: local.dir: must not be empty; leave it out to use the spec file's directory",
			},
		},
		{
			name: "local command item not a scalar",
			src:  minimal + "local:\n  command: [run, {a: b}, \"\"]\n",
			want: []string{"b.yaml:6:18: local.command[1]: must be a string (got a mapping)"},
		},
		{
			name: "local command empty program",
			src:  minimal + "local:\n  command: [\"\", x]\n",
			want: []string{`b.yaml:6:13: local.command[0]: the program to run must not be empty`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("b.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want errors:\n%s", s, strings.Join(tt.want, "\n"))
			}
			if s != nil {
				t.Errorf("Parse returned a spec alongside errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Parse("examples/fastapi/berth.yaml", []byte("name: web\nservice:\n  image: web:1\n  port: 70000\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed for %v", err)
	}
	want := &Error{File: "examples/fastapi/berth.yaml", Line: 4, Column: 9, Field: "service.port", Message: "must be between 1 and 65535 (got 70000)"}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got %+v, want %+v", e, want)
	}
	if got, wantText := err.Error(), "examples/fastapi/berth.yaml:4:9: service.port: must be between 1 and 65535 (got 70000)"; got != wantText {
		t.Errorf("Error() = %q, want %q", got, wantText)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "f", Line: 2, Column: 3, Field: "a.b", Message: "m"}, "f:2:3: a.b: m"},
		{&Error{File: "f", Line: 2, Message: "m"}, "f:2: m"},
		{&Error{File: "f", Message: "m"}, "f: m"},
		{&Error{Message: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	joined := Errors{tests[0].err, tests[1].err}.Error()
	if joined != "f:2:3: a.b: m\nf:2: m" {
		t.Errorf("Errors.Error() = %q", joined)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "berth.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{path, dir} {
		s, err := Load(arg)
		if err != nil {
			t.Fatalf("Load(%s): %v", arg, err)
		}
		if s.Name != "web" || s.File != path {
			t.Errorf("Load(%s) = name %q file %q, want web %s", arg, s.Name, s.File, path)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "berth.yaml")
	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) error = %v, want one wrapping fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "no spec file at "+missing) {
		t.Errorf("error %q does not name the missing file", err)
	}
}

func TestLoadReportsErrorsAgainstThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte("name: web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+":1:1: service: is required" {
		t.Errorf("Load error = %v", err)
	}
}

func TestClosestKey(t *testing.T) {
	known := []string{"image", "port", "count", "health_check", "deregistration_delay"}
	tests := []struct{ in, want string }{
		{"imgae", "image"},
		{"prot", "port"},
		{"HealthCheck", "health_check"},
		{"health-check", "health_check"},
		{"deregistration_dely", "deregistration_delay"},
		{"cpus", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := closestKey(tt.in, known); got != tt.want {
			t.Errorf("closestKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
