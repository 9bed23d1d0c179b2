package stack

import (
	"context"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"testing"

	"github.com/berthdev/berth/internal/spec"
)

// An internal load balancer on another port with spread placement takes
// the other branches of every resource; applying it must also converge.
func TestInternalSpreadVariantConverges(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := exampleSpec()
		s.Name = "private-api-with-a-rather-long-name"
		s.LoadBalancer = spec.LoadBalancer{Public: false, Port: 8080}
		s.Service.Placement = spec.PlacementSpread
		s.Service.Environment = nil

		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		plan := renderPlan(t, p)
		spaced := regexp.MustCompile(`: +`).ReplaceAllString(plan, ": ")
		for _, want := range []string{"scheme: internal", "peer: 10.0.0.0/16", "placement: spread", "environment: {}"} {
			if !strings.Contains(spaced, want) {
				t.Errorf("plan lacks %q:\n%s", want, plan)
			}
		}
		out := apply(t, cfg, p)
		if !strings.HasSuffix(out.URL, ":8080") {
			t.Errorf("URL %q lacks the listener port", out.URL)
		}
		names := NamesFor(s.Name)
		if len(names.LoadBalancer) > 32 || len(names.TargetGroup) > 32 {
			t.Errorf("names exceed the ELB limit: %q %q", names.LoadBalancer, names.TargetGroup)
		}
		again, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Empty() {
			t.Fatalf("second plan not empty:\n%s", renderPlan(t, again))
		}
	})
}
