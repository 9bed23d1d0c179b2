package awsres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/berthdev/berth/internal/engine"
)

// AutoScalingGroup runs the container instances. Its desired capacity is
// set to Min at creation and left alone afterwards: the capacity provider's
// managed scaling owns it.
type AutoScalingGroup struct {
	Meta
	Name           string
	LaunchTemplate engine.Ref // the template's "id"
	Subnets        []engine.Ref
	Min, Max       int
	// ProtectNewInstances protects new instances from scale-in, which a
	// capacity provider with managed termination protection requires: ECS
	// then lifts the protection of instances it has emptied.
	ProtectNewInstances bool
	// InstanceTypes, SpotShare and OnDemandBase make it a mixed instances
	// group when there is more than one type or any Spot: the launch
	// template's instance type is then overridden by the types, in order.
	InstanceTypes []string
	SpotShare     int // percent of the instances above OnDemandBase
	OnDemandBase  int
}

type autoScalingGroupState struct {
	name, arn, launchTemplate, subnets string
	min, max                           int
	protectNewInstances                bool
	// mixed renders the mixed instances policy, "" without one.
	mixed string
}

func (r *AutoScalingGroup) mixed() bool {
	return len(r.InstanceTypes) > 1 || r.SpotShare > 0 || r.OnDemandBase > 0
}

func renderMixed(types []string, onDemandBase, onDemandAbove int) string {
	return fmt.Sprintf("types %s, on-demand base %d, spot %d%% above base", strings.Join(types, ","), onDemandBase, 100-onDemandAbove)
}

// spotAllocation is AWS's recommended Spot allocation strategy: the
// cheapest pools among those least likely to be interrupted.
const spotAllocation = "price-capacity-optimized"

func (r *AutoScalingGroup) mixedPolicy(template *astypes.LaunchTemplateSpecification) *astypes.MixedInstancesPolicy {
	overrides := make([]astypes.LaunchTemplateOverrides, len(r.InstanceTypes))
	for i, t := range r.InstanceTypes {
		overrides[i] = astypes.LaunchTemplateOverrides{InstanceType: aws.String(t)}
	}
	return &astypes.MixedInstancesPolicy{
		LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: template, Overrides: overrides},
		InstancesDistribution: &astypes.InstancesDistribution{
			OnDemandBaseCapacity:                aws.Int32(int32(r.OnDemandBase)),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(int32(100 - r.SpotShare)),
			SpotAllocationStrategy:              aws.String(spotAllocation),
		},
	}
}

// instanceTimeout bounds how long deleting the group may wait for its
// instances to terminate.
const instanceTimeout = 20 * time.Minute

func (r *AutoScalingGroup) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	group, err := r.describe(ctx, c)
	if err != nil || group == nil {
		return nil, err
	}
	state := &autoScalingGroupState{
		name: r.Name, arn: aws.ToString(group.AutoScalingGroupARN),
		min: int(aws.ToInt32(group.MinSize)), max: int(aws.ToInt32(group.MaxSize)),
		subnets:             sortedJoin(strings.Split(aws.ToString(group.VPCZoneIdentifier), ",")),
		protectNewInstances: aws.ToBool(group.NewInstancesProtectedFromScaleIn),
	}
	if group.LaunchTemplate != nil {
		state.launchTemplate = aws.ToString(group.LaunchTemplate.LaunchTemplateId)
	}
	if m := group.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
		if spec := m.LaunchTemplate.LaunchTemplateSpecification; spec != nil {
			state.launchTemplate = aws.ToString(spec.LaunchTemplateId)
		}
		var types []string
		for _, o := range m.LaunchTemplate.Overrides {
			types = append(types, aws.ToString(o.InstanceType))
		}
		base, above := 0, 100
		if d := m.InstancesDistribution; d != nil {
			base, above = int(aws.ToInt32(d.OnDemandBaseCapacity)), int(aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity))
		}
		state.mixed = renderMixed(types, base, above)
	}
	return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": state.arn}, State: state}, nil
}

// describe returns nil for a group that does not exist or is being
// deleted: such a group cannot be updated, only waited for.
func (r *AutoScalingGroup) describe(ctx context.Context, c *engine.Clients) (*astypes.AutoScalingGroup, error) {
	out, err := c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{r.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("describe auto scaling group %s: %w", r.Name, err)
	}
	for _, g := range out.AutoScalingGroups {
		if aws.ToString(g.AutoScalingGroupName) == r.Name {
			return &g, nil
		}
	}
	return nil, nil
}

func (r *AutoScalingGroup) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &autoScalingGroupState{}
	if actual != nil {
		state = actual.State.(*autoScalingGroupState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.Field("launch_template", state.launchTemplate, in.Show(r.LaunchTemplate))
	changes.Field("subnets", state.subnets, sortedJoin(expandIDs(showAll(in, r.Subnets))))
	changes.Field("min_size", fmt.Sprint(state.min), fmt.Sprint(r.Min))
	changes.Field("max_size", fmt.Sprint(state.max), fmt.Sprint(r.Max))
	changes.Field("new_instances_protected_from_scale_in", boolString(state.protectNewInstances), boolString(r.ProtectNewInstances))
	if r.mixed() {
		changes.Field("mixed_instances", state.mixed, renderMixed(r.InstanceTypes, r.OnDemandBase, 100-r.SpotShare))
	} else if state.mixed != "" {
		changes.Field("mixed_instances", state.mixed, "none")
	}
	return changes.Result()
}

func (r *AutoScalingGroup) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(append([]engine.Ref{r.LaunchTemplate}, r.Subnets...)...)
	if err != nil {
		return nil, err
	}
	template := &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(refs[0]), Version: aws.String("$Latest")}
	subnets := strings.Join(expandIDs(refs[1:]), ",")
	var mixed *astypes.MixedInstancesPolicy
	if r.mixed() {
		mixed, template = r.mixedPolicy(template), nil
	}
	if actual != nil {
		_, err := c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(r.Name), LaunchTemplate: template, MixedInstancesPolicy: mixed, VPCZoneIdentifier: aws.String(subnets),
			MinSize: aws.Int32(int32(r.Min)), MaxSize: aws.Int32(int32(r.Max)),
			NewInstancesProtectedFromScaleIn: aws.Bool(r.ProtectNewInstances),
		})
		if err != nil {
			return nil, fmt.Errorf("update auto scaling group %s: %w", r.Name, err)
		}
		return actual.Outputs, nil
	}
	tags := []astypes.Tag{{
		// ECS requires this tag on groups behind a managed-scaling
		// capacity provider.
		Key: aws.String("AmazonECSManaged"), Value: aws.String("true"), PropagateAtLaunch: aws.Bool(true),
	}}
	for _, kv := range r.tags() {
		tags = append(tags, astypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value), PropagateAtLaunch: aws.Bool(true)})
	}
	// A new instance profile takes a few seconds to be usable by EC2; the
	// group rejects it until then.
	err = retryWhile(ctx, 2*time.Minute, "create auto scaling group "+r.Name, isProfileNotReady, func() error {
		_, err := c.AutoScaling.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(r.Name), LaunchTemplate: template, MixedInstancesPolicy: mixed, VPCZoneIdentifier: aws.String(subnets),
			MinSize: aws.Int32(int32(r.Min)), MaxSize: aws.Int32(int32(r.Max)), DesiredCapacity: aws.Int32(int32(r.Min)),
			NewInstancesProtectedFromScaleIn: aws.Bool(r.ProtectNewInstances), Tags: tags,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create auto scaling group %s: %w", r.Name, err)
	}
	group, err := r.describe(ctx, c)
	if err != nil {
		return nil, err
	}
	if group == nil {
		return nil, fmt.Errorf("auto scaling group %s not found after creation", r.Name)
	}
	return engine.Outputs{"name": r.Name, "arn": aws.ToString(group.AutoScalingGroupARN)}, nil
}

// unprotectInstances lifts scale-in protection from the group's instances (ECS sets
// it on busy ones under managed termination protection): a protected
// instance can outlive its group's deletion and keep the subnets and
// security groups busy.
func unprotectInstances(ctx context.Context, c *engine.Clients, name string) error {
	group, err := (&AutoScalingGroup{Name: name}).describe(ctx, c)
	if err != nil || group == nil {
		return err
	}
	var protected []string
	for _, inst := range group.Instances {
		// Instances on their way out cannot change protection (and
		// need not).
		leaving := strings.HasPrefix(string(inst.LifecycleState), "Terminat") || strings.HasPrefix(string(inst.LifecycleState), "Detach")
		if aws.ToBool(inst.ProtectedFromScaleIn) && !leaving {
			protected = append(protected, aws.ToString(inst.InstanceId))
		}
	}
	if aws.ToBool(group.NewInstancesProtectedFromScaleIn) {
		_, err := c.AutoScaling.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(name), NewInstancesProtectedFromScaleIn: aws.Bool(false),
		})
		if err != nil {
			return fmt.Errorf("stop protecting new instances of %s: %w", name, err)
		}
	}
	// SetInstanceProtection takes at most 50 instances a call.
	for len(protected) > 0 {
		batch := protected[:min(50, len(protected))]
		protected = protected[len(batch):]
		_, err := c.AutoScaling.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{
			AutoScalingGroupName: aws.String(name), InstanceIds: batch, ProtectedFromScaleIn: aws.Bool(false),
		})
		if err != nil {
			return fmt.Errorf("lift scale-in protection of %s's instances: %w", name, err)
		}
	}
	return nil
}

func isProfileNotReady(err error) bool {
	return hasCode(err, "ValidationError") && strings.Contains(strings.ToLower(err.Error()), "instance profile")
}

// Delete force-deletes the group (terminating its instances without
// waiting for scale-in protection) and returns once the group and its
// instances are gone, because the launch template, security groups and
// subnets cannot go before.
func (r *AutoScalingGroup) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteAutoScalingGroup(ctx, c, r.Name)
}
