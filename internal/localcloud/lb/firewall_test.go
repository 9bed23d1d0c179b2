package lb

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// The load balancer's egress rules count on the hop to a target: a target
// outside every CIDR its groups may send to times out (Target.Timeout, 504
// to clients) without a connection made, and is reached once the rules
// change, on the next Apply. A target id that Hosts resolves (an
// instance's) is reached at the host's address.
func TestEgressRulesGuardTheHopToTargets(t *testing.T) {
	target := startTarget(t, "127.0.0.21", "guarded")
	instance := Target{ID: "i-0123456789abcdef0", Port: target.target.Port}
	balancer := newBalancer(t, Options{})
	albGroup := func(egress netip.Prefix) secgroup.Group {
		return secgroup.Group{ID: "sg-alb",
			Ingress: []secgroup.Rule{{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDR: netip.MustParsePrefix("127.0.0.0/8")}},
			Egress:  []secgroup.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: egress}}}
	}
	instanceGroup := secgroup.Group{ID: "sg-instance", Ingress: []secgroup.Rule{{Protocol: "tcp", FromPort: 1, ToPort: 65535, Group: "sg-alb"}}}
	config := func(egress string) Config {
		cfg := simpleConfig(fastChecks, 0)
		cfg.TargetGroups[0].Targets = []Target{instance}
		cfg.LoadBalancers[0].Endpoint = secgroup.Endpoint{Groups: []string{"sg-alb"}, Within: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}
		cfg.Hosts = map[string]TargetHost{instance.ID: {Address: "127.0.0.21", Endpoint: secgroup.Endpoint{
			Groups: []string{"sg-instance"}, Within: []netip.Prefix{netip.MustParsePrefix("10.0.1.7/32")}}}}
		cfg.Firewall = secgroup.New([]secgroup.Group{albGroup(netip.MustParsePrefix(egress)), instanceGroup})
		return cfg
	}

	url := apply(t, balancer, config("10.0.0.0/24"))
	health := waitForState(t, balancer, groupARN, instance, StateUnhealthy)
	if health.Reason != ReasonTimeout || health.Description != "Request timed out" {
		t.Errorf("health %+v, want Target.Timeout", health)
	}
	if status, _, _ := get(t, noRedirects, url+"/"); status != http.StatusGatewayTimeout {
		t.Errorf("status %d through a blocked hop, want 504", status)
	}
	if n := target.connections.Load(); n != 0 {
		t.Errorf("the blocked target got %d connections", n)
	}

	apply(t, balancer, config("10.0.0.0/16"))
	waitForState(t, balancer, groupARN, instance, StateHealthy)

	// An ip target the rules know nothing of is where it is dialled: an
	// egress rule to anywhere reaches it.
	open := config("0.0.0.0/0")
	delete(open.Hosts, instance.ID)
	open.TargetGroups[0].Targets = []Target{target.target}
	apply(t, balancer, open)
	waitForState(t, balancer, groupARN, target.target, StateHealthy)
	if status, body, _ := get(t, noRedirects, url+"/"); status != http.StatusOK || body != "guarded" {
		t.Errorf("got %d %q once the egress rule holds the instance, want 200 from it", status, body)
	}
}
