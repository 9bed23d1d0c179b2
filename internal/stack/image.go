package stack

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// AddrRepository is the ECR repository of a stack whose image berth
// builds.
const AddrRepository engine.Addr = "ecr.repository/app"

// repository is the stack's ECR repository, wanted while berth.yaml has
// image.build; it is named after the stack.
func repository(s *spec.Spec, meta metaFunc) engine.Resource {
	return wantedIf(s.Service.Build != nil, &awsres.Repository{Meta: meta(AddrRepository), Name: s.Name})
}

// EnsureRepository creates the stack's ECR repository unless it exists and
// returns its URI, so that a deploy can push the image it built before the
// plan that deploys it; the plan then finds the repository as it is.
func EnsureRepository(ctx context.Context, cfg aws.Config, s *spec.Spec) (string, error) {
	repo := &awsres.Repository{Meta: awsres.Meta{Stack: s.Name, Address: AddrRepository, Tags: s.Tags}, Name: s.Name}
	clients := engine.NewClients(cfg)
	actual, err := repo.Observe(ctx, clients, engine.NewInputs())
	if err != nil {
		return "", err
	}
	out := engine.Outputs(nil)
	if actual != nil {
		out = actual.Outputs
	} else if out, err = repo.Apply(ctx, clients, engine.NewInputs(), nil); err != nil {
		return "", err
	}
	if out["uri"] == "" {
		return "", fmt.Errorf("repository %s has no URI", s.Name)
	}
	return out["uri"], nil
}
