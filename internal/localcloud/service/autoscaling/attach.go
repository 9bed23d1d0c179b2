package autoscaling

import (
	"context"
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// InstanceFacts is what AttachInstances needs to know of an EC2 instance.
type InstanceFacts struct {
	State, AvailabilityZone, SubnetID, InstanceType string
}

// handleAttachInstances adds running instances to a group, raising its
// desired capacity by as many (beyond the maximum is refused).
func (b *Backend) handleAttachInstances(ctx context.Context, in *wire.AttachInstancesQuery) (*struct{}, error) {
	facts := map[string]*InstanceFacts{}
	for _, id := range in.InstanceIds {
		f := &InstanceFacts{State: "running"}
		if b.LookupInstance != nil {
			var err error
			if f, err = b.LookupInstance(ctx, id); err != nil {
				return nil, internalError(err)
			}
		}
		if f == nil || f.State != "running" {
			return nil, validationError("Instance %s is not in a valid state to be attached: it must be running", id)
		}
		facts[id] = f
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(g.Name)
		}
		groups, err := store.List[Group](tx, tableGroups)
		if err != nil {
			return err
		}
		for _, id := range in.InstanceIds {
			for _, other := range groups {
				if slices.ContainsFunc(other.Instances, func(i GroupInstance) bool { return i.InstanceID == id }) {
					return validationError("The instance %s is already part of the Auto Scaling group %s.", id, other.Name)
				}
			}
		}
		if g.DesiredCapacity+len(in.InstanceIds) > g.MaxSize {
			return validationError("AutoScalingGroup %s: Attaching %d instances would exceed the group's maximum size of %d.", g.Name, len(in.InstanceIds), g.MaxSize)
		}
		from := g.DesiredCapacity
		for _, id := range in.InstanceIds {
			f := facts[id]
			g.Instances = append(g.Instances, GroupInstance{InstanceID: id, AvailabilityZone: f.AvailabilityZone, SubnetID: f.SubnetID,
				InstanceType: f.InstanceType, LifecycleState: StateInService, HealthStatus: "Healthy", ProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn})
			g.DesiredCapacity++
			if _, err := b.putActivity(tx, g, "Attaching an existing EC2 instance: "+id, fmt.Sprintf("At %s a user request attached an instance, increasing the capacity from %d to %d.", b.now().UTC().Format("2006-01-02T15:04:05Z"), from, g.DesiredCapacity)); err != nil {
				return err
			}
		}
		return tx.Put(tableGroups, g.Name, g)
	}))
}

// handleDetachInstances takes instances out of a group without terminating
// them; the group launches replacements unless the desired capacity is
// decremented.
func (b *Backend) handleDetachInstances(ctx context.Context, in *wire.DetachInstancesQuery) (*wire.DetachInstancesAnswer, error) {
	if err := required("shouldDecrementDesiredCapacity", in.ShouldDecrementDesiredCapacity != nil); err != nil {
		return nil, err
	}
	out := &wire.DetachInstancesAnswer{Activities: query.List[wire.Activity]{}}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(g.Name)
		}
		for _, id := range in.InstanceIds {
			i := slices.IndexFunc(g.Instances, func(inst GroupInstance) bool { return inst.InstanceID == id })
			if i < 0 {
				return validationError("The instance %s is not part of Auto Scaling group %s.", id, g.Name)
			}
			from := g.DesiredCapacity
			if *in.ShouldDecrementDesiredCapacity {
				if g.DesiredCapacity-1 < g.MinSize {
					return validationError("AutoScalingGroup %s: Detaching instance %s with ShouldDecrementDesiredCapacity would bring the desired capacity below the minimum size %d.", g.Name, id, g.MinSize)
				}
				g.DesiredCapacity--
			}
			g.Instances = slices.Delete(g.Instances, i, i+1)
			a, err := b.putActivity(tx, g, "Detaching EC2 instance: "+id, fmt.Sprintf("At %s instance %s was detached in response to a user request, changing the desired capacity from %d to %d.", b.now().UTC().Format("2006-01-02T15:04:05Z"), id, from, g.DesiredCapacity))
			if err != nil {
				return err
			}
			out.Activities = append(out.Activities, activityOut(a))
		}
		return tx.Put(tableGroups, g.Name, g)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// handleAttachLoadBalancerTargetGroups adds target groups to a group; the
// local cloud registers no instances in them (ECS registers tasks).
func (b *Backend) handleAttachLoadBalancerTargetGroups(ctx context.Context, in *wire.AttachLoadBalancerTargetGroupsType) (*wire.AttachLoadBalancerTargetGroupsResultType, error) {
	if err := required("targetGroupARNs", len(in.TargetGroupARNs) > 0); err != nil {
		return nil, err
	}
	return nil, b.updateLiveGroup(ctx, in.AutoScalingGroupName, func(g *Group) error {
		for _, arn := range in.TargetGroupARNs {
			if !slices.Contains(g.TargetGroupARNs, arn) {
				g.TargetGroupARNs = append(g.TargetGroupARNs, arn)
			}
		}
		return nil
	})
}

func (b *Backend) handleDetachLoadBalancerTargetGroups(ctx context.Context, in *wire.DetachLoadBalancerTargetGroupsType) (*wire.DetachLoadBalancerTargetGroupsResultType, error) {
	if err := required("targetGroupARNs", len(in.TargetGroupARNs) > 0); err != nil {
		return nil, err
	}
	return nil, b.updateLiveGroup(ctx, in.AutoScalingGroupName, func(g *Group) error {
		g.TargetGroupARNs = slices.DeleteFunc(g.TargetGroupARNs, func(arn string) bool { return slices.Contains(in.TargetGroupARNs, arn) })
		return nil
	})
}
