package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/berthdev/berth/internal/engine"
)

// Repository is the ECR repository berth pushes the images it builds to.
// Destroy deletes it with its images: they are builds of the stack's
// sources, which the sources can make again.
type Repository struct {
	Meta
	Name string
}

type repositoryState struct {
	name, arn, uri string
}

func (s *repositoryState) outputs() engine.Outputs {
	return engine.Outputs{"name": s.name, "arn": s.arn, "uri": s.uri}
}

func (r *Repository) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{r.Name}})
	if hasCode(err, "RepositoryNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe repository %s: %w", r.Name, err)
	}
	for _, repo := range out.Repositories {
		if aws.ToString(repo.RepositoryName) == r.Name {
			state := &repositoryState{name: r.Name, arn: aws.ToString(repo.RepositoryArn), uri: aws.ToString(repo.RepositoryUri)}
			return &engine.Observed{Outputs: state.outputs(), State: state}, nil
		}
	}
	return nil, nil
}

func (r *Repository) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &repositoryState{}
	if actual != nil {
		state = actual.State.(*repositoryState)
	}
	changes.ForceNew("name", state.name, r.Name)
	return changes.Result()
}

func (r *Repository) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		return actual.Outputs, nil
	}
	var tags []ecrtypes.Tag
	for _, kv := range r.tags() {
		tags = append(tags, ecrtypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	out, err := c.ECR.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String(r.Name), Tags: tags,
		// Content-derived tags never move, so they can be immutable.
		ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
	})
	if hasCode(err, "RepositoryAlreadyExistsException") {
		observed, err := r.Observe(ctx, c, nil)
		if err != nil || observed == nil {
			return nil, fmt.Errorf("repository %s exists but cannot be described: %w", r.Name, err)
		}
		return observed.Outputs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create repository %s: %w", r.Name, err)
	}
	repo := out.Repository
	state := &repositoryState{name: r.Name, arn: aws.ToString(repo.RepositoryArn), uri: aws.ToString(repo.RepositoryUri)}
	return state.outputs(), nil
}

func (r *Repository) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteRepository(ctx, c, r.Name)
}
