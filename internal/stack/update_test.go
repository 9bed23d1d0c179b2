package stack

import (
	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"testing"

	"github.com/berthdev/berth/internal/engine"
)

// A new image is a new task definition revision, and the service must move
// to it in the same apply.
func TestImageChangeRollsService(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := exampleSpec()
		s.Name = "rolling"
		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, p)

		s.Service.Image = "public.ecr.aws/docker/library/python:3.13-slim"
		s.Service.Environment["LOG_LEVEL"] = "debug"
		change, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-image.golden", renderPlan(t, change))
		if len(change.Changes) != 2 || change.Changes[0].Addr != AddrTaskDefinition || change.Changes[1].Addr != AddrService {
			t.Fatalf("image change planned:\n%s", renderPlan(t, change))
		}
		for _, c := range change.Changes {
			if c.Action != engine.Update {
				t.Fatalf("%s planned as %s, want update", c.Addr, c.Action)
			}
		}
		apply(t, cfg, change)

		after, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !after.Empty() {
			t.Fatalf("plan after the image change:\n%s", renderPlan(t, after))
		}
		if got := after.Outputs()[AddrTaskDefinition]["revision"]; got != "2" {
			t.Fatalf("task definition revision = %q, want 2", got)
		}
	})
}
