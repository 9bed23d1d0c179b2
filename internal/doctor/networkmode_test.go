package doctor

import (
	"context"
	"strings"
	"testing"
)

// bridgeStack is a hand-built service on EC2 outside awsvpc: the load
// balancer reaches the instances' group, which allows it on ingress.
func bridgeStack(mode string, host int, ingress Permission) *Stack {
	return &Stack{
		Source: "test", Cluster: "tally", Service: "tally-web", Desired: 3, MaxDesired: 3, MaximumPercent: 200,
		NetworkMode: mode,
		Task: Task{Family: "tally-web", CPU: 256, Memory: 512, Containers: []Container{{
			Name: "web", Ports: []PortMapping{{Container: 8081, Host: host}},
		}}},
		Targets: []Target{{ContainerName: "web", ContainerPort: 8081,
			Group:         TargetGroup{Name: "tally-tg", Port: 8081, HealthPort: "traffic-port", HealthPath: "/healthz", Interval: 5, Healthy: 2},
			LoadBalancers: []LoadBalancer{{Name: "tally-alb", Groups: []string{"sg-alb"}, Listeners: []int{80}}},
		}},
		Instances:     &Instances{Source: "tally-asg", Types: []string{"m5.large"}, Max: 2, Groups: []string{"sg-inst"}},
		InstanceTypes: map[string]InstanceType{"m5.large": {VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3}},
		Groups: map[string]*Group{
			"sg-alb": {ID: "sg-alb", Name: "alb", Ingress: []Permission{{Protocol: "tcp", From: 80, To: 80, CIDRs: []string{"0.0.0.0/0"}}},
				Egress: []Permission{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
			"sg-inst": {ID: "sg-inst", Name: "instances", Ingress: []Permission{ingress}},
		},
	}
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	Print(&b, fs)
	return b.String()
}

// Host mode and bridge with a fixed host port bind the port on the
// instance: one task per instance, so 3 tasks on at most 2 instances
// cannot run, whatever the instance's CPU, memory or interfaces allow.
// Bridge with dynamic ports shares the instance.
func TestTasksPerInstanceUnderStaticHostPorts(t *testing.T) {
	fromALB := Permission{Protocol: "tcp", From: 8081, To: 8081, Groups: []string{"sg-alb"}}
	for _, c := range []struct {
		mode string
		host int
		want string
	}{
		{"host", 0, "FAIL  tasks per instance: m5.large takes 1 task(s) per instance (host network mode binds host port 8081"},
		{"bridge", 8081, "FAIL  tasks per instance: m5.large takes 1 task(s) per instance (bridge network mode binds host port 8081"},
		{"bridge", 0, "ok    tasks per instance: m5.large takes"},
	} {
		out := findingsText(checkENIs(context.Background(), nil, bridgeStack(c.mode, c.host, fromALB)))
		if !strings.Contains(out, c.want) {
			t.Errorf("%s hostPort %d:\n%s\nwant %q", c.mode, c.host, out, c.want)
		}
		if c.host != 0 && !strings.Contains(out, "hostPort 0") {
			t.Errorf("%s hostPort %d: the fix should offer dynamic ports:\n%s", c.mode, c.host, out)
		}
	}
}

// Under bridge with hostPort 0 the load balancer connects to an ephemeral
// port of the instance: the container port alone in the instances' group
// is not enough, the whole range from the load balancer's group is.
func TestDynamicPortsNeedTheEphemeralRange(t *testing.T) {
	onlyContainerPort := Permission{Protocol: "tcp", From: 8081, To: 8081, Groups: []string{"sg-alb"}}
	out := findingsText(checkSecurityGroupChain(context.Background(), nil, bridgeStack("bridge", 0, onlyContainerPort)))
	for _, want := range []string{
		"FAIL  security groups: load balancer tally-alb cannot reach the tasks on ports 32768-65535",
		"hostPort 0",
		"--port 32768-65535 --source-group sg-alb",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	ephemeral := Permission{Protocol: "tcp", From: 32768, To: 65535, Groups: []string{"sg-alb"}}
	if out := findingsText(checkSecurityGroupChain(context.Background(), nil, bridgeStack("bridge", 0, ephemeral))); strings.Contains(out, "FAIL") {
		t.Errorf("the ephemeral range from the load balancer should do:\n%s", out)
	}
	// A fixed host port is where the load balancer connects instead.
	fixed := Permission{Protocol: "tcp", From: 18081, To: 18081, Groups: []string{"sg-alb"}}
	out = findingsText(checkSecurityGroupChain(context.Background(), nil, bridgeStack("bridge", 18081, fixed)))
	if strings.Contains(out, "FAIL") || !strings.Contains(out, "on port 18081") {
		t.Errorf("bridge with hostPort 18081:\n%s", out)
	}
}
