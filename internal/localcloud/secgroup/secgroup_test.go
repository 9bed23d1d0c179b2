package secgroup

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestTCP(t *testing.T) {
	anywhere := netip.MustParsePrefix("0.0.0.0/0")
	vpc := netip.MustParsePrefix("10.0.0.0/16")
	allOut := Rule{Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: anywhere}
	rules := New([]Group{
		{ID: "sg-alb", Ingress: []Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: anywhere}}, Egress: []Rule{allOut}},
		{ID: "sg-alb-vpc-only", Egress: []Rule{{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDR: vpc}}},
		{ID: "sg-app", Ingress: []Rule{{Protocol: "tcp", FromPort: 9000, ToPort: 9000, Group: "sg-alb"}}, Egress: []Rule{allOut}},
		{ID: "sg-app-cidr", Ingress: []Rule{{Protocol: "tcp", FromPort: 8000, ToPort: 9000, CIDR: vpc}}},
		{ID: "sg-app-udp", Ingress: []Rule{{Protocol: "udp", FromPort: 9000, ToPort: 9000, Group: "sg-alb"}}},
		{ID: "sg-closed"},
	})
	client := Endpoint{Name: "client", Within: []netip.Prefix{Host(netip.MustParseAddr("127.0.0.1"))}}
	alb := Endpoint{Name: "alb", Groups: []string{"sg-alb"}, Within: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.0.1.0/24")}}
	albOutsideVPC := Endpoint{Name: "alb", Groups: []string{"sg-alb"}, Within: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("192.168.0.0/24")}}
	task := func(groups ...string) Endpoint {
		return Endpoint{Name: "task", Groups: groups, Within: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}}
	}
	tests := []struct {
		name     string
		from, to Endpoint
		port     int
		allowed  bool
		fix      string
	}{
		{"client to an open listener", client, alb, 80, true, ""},
		{"client to a closed port", client, alb, 81, false, "add an ingress rule to sg-alb allowing tcp 81 from 127.0.0.1/32"},
		{"group reference", alb, task("sg-app"), 9000, true, ""},
		{"group reference on another port", alb, task("sg-app"), 9001, false, "add an ingress rule to sg-app allowing tcp 9001 from sg-alb"},
		{"cidr holding every subnet of the sender", alb, task("sg-app-cidr"), 8080, true, ""},
		{"cidr missing one subnet of the sender", albOutsideVPC, task("sg-app-cidr"), 8080, false, "add an ingress rule to sg-app-cidr allowing tcp 8080 from sg-alb"},
		{"udp rule does not carry tcp", alb, task("sg-app-udp"), 9000, false, "add an ingress rule to sg-app-udp allowing tcp 9000 from sg-alb"},
		{"any of the receiver's groups", alb, task("sg-closed", "sg-app"), 9000, true, ""},
		{"no rules at all", alb, task("sg-closed"), 9000, false, "add an ingress rule to sg-closed allowing tcp 9000 from sg-alb"},
		{"egress of the sender", Endpoint{Groups: []string{"sg-alb-vpc-only"}, Within: alb.Within}, Endpoint{Groups: []string{"sg-app"}, Within: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/24")}}, 9000, false, "add an egress rule to sg-alb-vpc-only allowing tcp 9000 to sg-app"},
		{"unknown groups do not guard", alb, task("sg-gone"), 9000, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := rules.TCP(tc.from, tc.to, tc.port)
			if v.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%s)", v.Allowed, tc.allowed, v)
			}
			if !tc.allowed && !strings.Contains(v.String(), tc.fix) {
				t.Errorf("verdict %q does not say %q", v, tc.fix)
			}
		})
	}
	var none *Rules
	if !none.TCP(client, task("sg-closed"), 1).Allowed {
		t.Error("nil rules blocked a connection")
	}
}

// Egress permits read the same rules TCP verdicts do: toward a peer by
// its groups and where it is, toward anything else by CIDR alone.
func TestEgressPermits(t *testing.T) {
	vpc := netip.MustParsePrefix("10.0.0.0/8")
	rules := New([]Group{
		{ID: "sg-narrow", Egress: []Rule{
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: vpc},
			{Protocol: "udp", FromPort: 53, ToPort: 53, CIDR: netip.MustParsePrefix("0.0.0.0/0")},
			{Protocol: "6", FromPort: 9000, ToPort: 9100, Group: "sg-db"},
			{Protocol: "47", FromPort: -1, ToPort: -1, CIDR: vpc},
			{Protocol: "bogus", CIDR: vpc},
		}},
		{ID: "sg-db"},
	})
	db := Endpoint{Groups: []string{"sg-db"}, Within: []netip.Prefix{netip.MustParsePrefix("10.0.3.0/24")}}
	outside := Endpoint{Groups: []string{"sg-db"}, Within: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/24")}}
	if got, want := rules.EgressTo([]string{"sg-narrow"}, db), []Permit{
		{Protocol: ProtocolTCP, FromPort: 443, ToPort: 443},
		{Protocol: ProtocolUDP, FromPort: 53, ToPort: 53},
		{Protocol: ProtocolTCP, FromPort: 9000, ToPort: 9100},
		{Protocol: 47, FromPort: 0, ToPort: 65535},
	}; !slices.Equal(got, want) {
		t.Errorf("EgressTo db = %+v, want %+v", got, want)
	}
	if got, want := rules.EgressTo([]string{"sg-narrow"}, outside), []Permit{
		{Protocol: ProtocolUDP, FromPort: 53, ToPort: 53},
		{Protocol: ProtocolTCP, FromPort: 9000, ToPort: 9100},
	}; !slices.Equal(got, want) {
		t.Errorf("EgressTo a db outside the VPC = %+v, want %+v", got, want)
	}
	cidrs := rules.EgressCIDRs([]string{"sg-narrow"})
	if len(cidrs) != 3 || cidrs[0].To != vpc || cidrs[0].Protocol != ProtocolTCP {
		t.Errorf("EgressCIDRs = %+v, want the three CIDR rules that name a protocol", cidrs)
	}
	if rules.Guards([]string{"sg-gone"}) || !rules.Guards([]string{"sg-gone", "sg-db"}) {
		t.Error("Guards: want only known groups to guard")
	}
}
