package stack

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Narrowing who may reach the load balancer, or moving its port, revokes
// what berth.yaml no longer allows: an old 0.0.0.0/0 rule left beside the
// new one would keep the load balancer open to everyone.
func TestChangedIngressRevokesWhatIsNoLongerAllowed(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := exampleSpec()
		s.Name = "narrowing"
		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, p)
		wantIngress(t, cfg, s, []string{"80 0.0.0.0/0"})

		s.LoadBalancer.AllowedCIDRs = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
		p, err = Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) != 1 || p.Changes[0].Addr != AddrALBIngress || p.Changes[0].Action != engine.Update {
			t.Fatalf("widening to three CIDRs planned:\n%s", renderPlan(t, p))
		}
		apply(t, cfg, p)
		wantIngress(t, cfg, s, []string{"80 10.0.0.0/8", "80 172.16.0.0/12", "80 192.168.0.0/16"})

		s.LoadBalancer.AllowedCIDRs = []string{"203.0.113.0/24"}
		s.LoadBalancer.Port = 8080
		p, err = Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, p)
		wantIngress(t, cfg, s, []string{"8080 203.0.113.0/24"})

		again, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Empty() {
			t.Fatalf("plan after narrowing:\n%s", renderPlan(t, again))
		}
	})
}

// wantIngress checks the load balancer group's inbound rules, through
// DescribeSecurityGroups rather than the deployer's own observer.
func wantIngress(t *testing.T, cfg aws.Config, s *spec.Spec, want []string) {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{NamesFor(s.Name).ALBSecurityGroup}}},
	})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("describe the load balancer's group: %v (%d groups)", err, len(out.SecurityGroups))
	}
	var got []string
	for _, p := range out.SecurityGroups[0].IpPermissions {
		for _, r := range p.IpRanges {
			got = append(got, fmt.Sprintf("%d %s", aws.ToInt32(p.FromPort), aws.ToString(r.CidrIp)))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("load balancer ingress = %v, want %v", got, want)
	}
}
