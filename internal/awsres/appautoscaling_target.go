package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/berthdev/berth/internal/engine"
)

// ScalableTarget registers the ECS service's desired count with Application
// Auto Scaling, between Min and Max. No role is named: AWS then uses (and
// creates) the service-linked role AWSServiceRoleForApplicationAutoScaling_ECSService.
type ScalableTarget struct {
	Meta
	Cluster  engine.Ref // the cluster's "name"
	Service  engine.Ref // the service's "name"
	Min, Max int
}

type scalableTargetState struct {
	resourceID string
	min, max   int
}

// ecsResourceID is Application Auto Scaling's name of an ECS service.
func ecsResourceID(cluster, service string) string { return "service/" + cluster + "/" + service }

func (r *ScalableTarget) resourceID(in *engine.Inputs) (string, bool) {
	cluster, ok := in.Lookup(r.Cluster)
	if !ok {
		return "", false
	}
	service, ok := in.Lookup(r.Service)
	if !ok {
		return "", false
	}
	return ecsResourceID(cluster, service), true
}

func (r *ScalableTarget) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	id, ok := r.resourceID(in)
	if !ok {
		return nil, nil
	}
	out, err := c.AppAutoScaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{id},
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	for _, t := range out.ScalableTargets {
		if aws.ToString(t.ResourceId) == id && t.ScalableDimension == aastypes.ScalableDimensionECSServiceDesiredCount {
			state := &scalableTargetState{resourceID: id, min: int(aws.ToInt32(t.MinCapacity)), max: int(aws.ToInt32(t.MaxCapacity))}
			return &engine.Observed{Outputs: engine.Outputs{"resource_id": id}, State: state}, nil
		}
	}
	return nil, nil
}

func (r *ScalableTarget) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &scalableTargetState{}
	if actual != nil {
		state = actual.State.(*scalableTargetState)
	}
	id, ok := r.resourceID(in)
	if !ok {
		id = engine.Unknown
	}
	changes.ForceNew("resource_id", state.resourceID, id)
	changes.Field("scalable_dimension", string(aastypes.ScalableDimensionECSServiceDesiredCount), string(aastypes.ScalableDimensionECSServiceDesiredCount))
	changes.Field("min_capacity", fmt.Sprint(state.min), fmt.Sprint(r.Min))
	changes.Field("max_capacity", fmt.Sprint(state.max), fmt.Sprint(r.Max))
	return changes.Result()
}

// Apply registers the target; registering again updates its bounds.
func (r *ScalableTarget) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(r.Cluster, r.Service)
	if err != nil {
		return nil, err
	}
	id := ecsResourceID(refs[0], refs[1])
	input := &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(int32(r.Min)), MaxCapacity: aws.Int32(int32(r.Max)),
	}
	if actual == nil {
		input.Tags = map[string]string{}
		for _, kv := range r.tags() {
			input.Tags[kv.Key] = kv.Value
		}
	}
	if _, err := c.AppAutoScaling.RegisterScalableTarget(ctx, input); err != nil {
		return nil, fmt.Errorf("register scalable target %s: %w", id, err)
	}
	return engine.Outputs{"resource_id": id}, nil
}

// Delete deregisters the target, which also removes its policies.
func (r *ScalableTarget) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeregisterScalableTarget(ctx, c, actual.State.(*scalableTargetState).resourceID, aastypes.ScalableDimensionECSServiceDesiredCount)
}
