package awsres

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// CapacityProvider lets ECS scale the Auto Scaling group to fit the tasks.
// With TerminationProtection, managed scaling never terminates an instance
// that runs tasks (the group must protect new instances from scale-in);
// teardown is not blocked by it because the group is force-deleted.
type CapacityProvider struct {
	Meta
	Name                  string
	AutoScalingGroup      engine.Ref // the group's "arn"
	TargetCapacity        int
	TerminationProtection bool
}

func (r *CapacityProvider) terminationProtection() ecstypes.ManagedTerminationProtection {
	if r.TerminationProtection {
		return ecstypes.ManagedTerminationProtectionEnabled
	}
	return ecstypes.ManagedTerminationProtectionDisabled
}

type capacityProviderState struct {
	name, autoScalingGroup, managedScaling, terminationProtection string
	targetCapacity                                                int
}

func (r *CapacityProvider) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.ECS.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{r.Name}})
	if err != nil {
		return nil, fmt.Errorf("describe capacity provider %s: %w", r.Name, err)
	}
	for _, cp := range out.CapacityProviders {
		if cp.Status != ecstypes.CapacityProviderStatusActive || aws.ToString(cp.Name) != r.Name ||
			cp.UpdateStatus == ecstypes.CapacityProviderUpdateStatusDeleteComplete {
			continue
		}
		state := &capacityProviderState{name: r.Name}
		if p := cp.AutoScalingGroupProvider; p != nil {
			state.autoScalingGroup = aws.ToString(p.AutoScalingGroupArn)
			state.terminationProtection = string(p.ManagedTerminationProtection)
			if p.ManagedScaling != nil {
				state.managedScaling = string(p.ManagedScaling.Status)
				state.targetCapacity = int(aws.ToInt32(p.ManagedScaling.TargetCapacity))
			}
		}
		return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": aws.ToString(cp.CapacityProviderArn)}, State: state}, nil
	}
	return nil, nil
}

func (r *CapacityProvider) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &capacityProviderState{}
	if actual != nil {
		state = actual.State.(*capacityProviderState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.ForceNew("auto_scaling_group", state.autoScalingGroup, in.Show(r.AutoScalingGroup))
	changes.Field("managed_scaling", state.managedScaling, string(ecstypes.ManagedScalingStatusEnabled))
	changes.Field("target_capacity", fmt.Sprint(state.targetCapacity), fmt.Sprint(r.TargetCapacity))
	changes.Field("managed_termination_protection", state.terminationProtection, string(r.terminationProtection()))
	return changes.Result()
}

func (r *CapacityProvider) scaling() *ecstypes.ManagedScaling {
	return &ecstypes.ManagedScaling{Status: ecstypes.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(int32(r.TargetCapacity))}
}

func (r *CapacityProvider) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		_, err := c.ECS.UpdateCapacityProvider(ctx, &ecs.UpdateCapacityProviderInput{
			Name: aws.String(r.Name),
			AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProviderUpdate{
				ManagedScaling: r.scaling(), ManagedTerminationProtection: r.terminationProtection(),
			},
		})
		if err != nil {
			return nil, fmt.Errorf("update capacity provider %s: %w", r.Name, err)
		}
		return actual.Outputs, nil
	}
	groupARN, err := in.Get(r.AutoScalingGroup)
	if err != nil {
		return nil, err
	}
	out, err := c.ECS.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{
		Name: aws.String(r.Name),
		AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String(groupARN), ManagedScaling: r.scaling(),
			ManagedTerminationProtection: r.terminationProtection(),
		},
		Tags: r.ecsTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("create capacity provider %s: %w", r.Name, err)
	}
	return engine.Outputs{"name": r.Name, "arn": aws.ToString(out.CapacityProvider.CapacityProviderArn)}, nil
}

// Delete waits until the provider is really gone: until then its Auto
// Scaling group is still managed by ECS.
func (r *CapacityProvider) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteCapacityProvider(ctx, c, r.Name)
}

// isECSNotFound matches ECS's answers for objects that do not exist, which
// for some operations is a generic ClientException.
func isECSNotFound(err error) bool {
	if err == nil {
		return false
	}
	if hasCode(err, "ResourceNotFoundException", "ClusterNotFoundException", "ServiceNotFoundException") {
		return true
	}
	msg := strings.ToLower(err.Error())
	return hasCode(err, "ClientException", "InvalidParameterException") &&
		(strings.Contains(msg, "not exist") || strings.Contains(msg, "not found"))
}
