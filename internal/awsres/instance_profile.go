package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/engine"
)

// InstanceProfile hands the instance role to EC2 instances.
type InstanceProfile struct {
	Meta
	Name string
	Role engine.Ref // the role's "name"
}

type instanceProfileState struct {
	name, arn string
	roles     []string
}

func (r *InstanceProfile) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(r.Name)})
	if hasCode(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get instance profile %s: %w", r.Name, err)
	}
	state := &instanceProfileState{name: r.Name, arn: aws.ToString(out.InstanceProfile.Arn)}
	for _, role := range out.InstanceProfile.Roles {
		state.roles = append(state.roles, aws.ToString(role.RoleName))
	}
	return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": state.arn}, State: state}, nil
}

func (r *InstanceProfile) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &instanceProfileState{}
	if actual != nil {
		state = actual.State.(*instanceProfileState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.Field("role", sortedJoin(state.roles), in.Show(r.Role))
	return changes.Result()
}

func (r *InstanceProfile) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	roleName, err := in.Get(r.Role)
	if err != nil {
		return nil, err
	}
	state := &instanceProfileState{name: r.Name}
	if actual == nil {
		out, err := c.IAM.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(r.Name), Tags: r.iamTags()})
		if err != nil {
			return nil, fmt.Errorf("create instance profile %s: %w", r.Name, err)
		}
		state.arn = aws.ToString(out.InstanceProfile.Arn)
	} else {
		state = actual.State.(*instanceProfileState)
	}
	hasRole := false
	for _, role := range state.roles {
		if role == roleName {
			hasRole = true
			continue
		}
		if _, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
			InstanceProfileName: aws.String(r.Name), RoleName: aws.String(role),
		}); err != nil {
			return nil, fmt.Errorf("remove role %s from %s: %w", role, r.Name, err)
		}
	}
	if !hasRole {
		if _, err := c.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
			InstanceProfileName: aws.String(r.Name), RoleName: aws.String(roleName),
		}); err != nil {
			return nil, fmt.Errorf("add role %s to %s: %w", roleName, r.Name, err)
		}
	}
	return engine.Outputs{"name": r.Name, "arn": state.arn}, nil
}

func (r *InstanceProfile) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteInstanceProfile(ctx, c, r.Name)
}
