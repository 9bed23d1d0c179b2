package stack

import (
	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/berthdev/berth/internal/spec"
	"testing"
)

// Two stacks share one account: destroying one must leave the other whole,
// since observe and delete go by this stack's tags and names only.
func TestDestroyLeavesOtherStacks(t *testing.T) {
	// Tasks that can run keep the survivor's deployment from failing (and
	// showing in its plan) while the other stack goes.
	eachServingEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		alpha, beta := exampleSpec(), exampleSpec()
		alpha.Name, beta.Name = "alpha", "alphabet" // a prefix of the other on purpose
		alpha.Service.DeregistrationDelay, beta.Service.DeregistrationDelay = 0, 0
		for _, s := range []*spec.Spec{alpha, beta} {
			p, err := Plan(ctx, cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			apply(t, cfg, p)
		}

		destroy, err := PlanDestroy(ctx, cfg, alpha)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, destroy)
		assertNothingLeft(t, cfg, alpha.Name)

		untouched, err := Plan(ctx, cfg, beta)
		if err != nil {
			t.Fatal(err)
		}
		if !untouched.Empty() {
			t.Fatalf("destroying %s changed %s:\n%s", alpha.Name, beta.Name, renderPlan(t, untouched))
		}
	})
}
