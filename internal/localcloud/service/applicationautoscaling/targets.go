package applicationautoscaling

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Page sizes of every Describe* operation: 50 by default and at most.
const (
	defaultPageSize = 50
	maxPageSize     = 50
)

// tagRules are the service's tag limits: AWS's common ones.
var tagRules = tagging.Common

// registerScalableTarget registers a target or updates the one registered:
// members left out keep their values, as AWS keeps them.
func (b *Backend) registerScalableTarget(ctx context.Context, in *wire.RegisterScalableTargetRequest) (*wire.RegisterScalableTargetResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	for _, c := range []*int{in.MinCapacity, in.MaxCapacity} {
		if c != nil && *c < 0 {
			return nil, errValidation("Capacity values must be greater than or equal to 0")
		}
	}
	// ECS's state is read before this service's transaction opens: one
	// goroutine must not hold a read and a write transaction at once.
	if err := b.checkECSService(ctx, ref); err != nil {
		return nil, err
	}
	tags := tagging.FromMap(in.Tags)
	if err := tagRules.Check(nil, tags); err != nil {
		return nil, tagError(err)
	}
	out := &wire.RegisterScalableTargetResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		t, err := store.Get[ScalableTarget](tx, tableTargets, ref.key())
		if err != nil {
			return err
		}
		if t == nil {
			if in.MinCapacity == nil || in.MaxCapacity == nil {
				return errValidation("MinCapacity and MaxCapacity are required for registering a new scalable target")
			}
			if err := checkTargetQuota(tx, ref.Namespace); err != nil {
				return err
			}
			t = &ScalableTarget{
				ServiceNamespace:  ref.Namespace,
				ResourceID:        ref.ResourceID,
				ScalableDimension: ref.Dimension,
				CreationTime:      awsjson.NewTime(b.clock()),
				// AWS's ids are 36 hex digits; tags and IAM name the
				// target by this ARN.
				ScalableTargetARN: tx.ARN("application-autoscaling", "scalable-target/"+store.RandomHex(36)),
				Tags:              tagging.ToMap(tags),
			}
		}
		if in.MinCapacity != nil {
			t.MinCapacity = int32(*in.MinCapacity)
		}
		if in.MaxCapacity != nil {
			t.MaxCapacity = int32(*in.MaxCapacity)
		}
		if t.MinCapacity > t.MaxCapacity {
			return errValidation("Minimum capacity cannot be greater than maximum capacity")
		}
		if role := ServiceLinkedRoleARN(tx.Scope().Account, ref.Namespace); role != "" {
			t.RoleARN = role
		} else if in.RoleARN != "" {
			t.RoleARN = in.RoleARN
		}
		if t.RoleARN == "" {
			return errValidation("RoleARN is required for namespace %s", ref.Namespace)
		}
		t.SuspendedState = mergeSuspended(t.SuspendedState, in.SuspendedState)
		out.ScalableTargetARN = t.ScalableTargetARN
		return tx.Put(tableTargets, ref.key(), t)
	})
	return out, err
}

// checkECSService fails as AWS does when the ECS service to scale is not
// there.
func (b *Backend) checkECSService(ctx context.Context, ref targetRef) error {
	if ref.Namespace != "ecs" || b.ECSServiceExists == nil {
		return nil
	}
	svc, _ := ecsResource(ref.ResourceID)
	ok, err := b.ECSServiceExists(ctx, svc)
	if err != nil {
		return errResourceAccess(err)
	}
	if !ok {
		return errValidation("ECS service doesn't exist: %s", ref.ResourceID)
	}
	return nil
}

func checkTargetQuota(tx *store.Tx, namespace string) error {
	keys, err := store.Keys(tx, tableTargets)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, namespace+"|") {
			n++
		}
	}
	if n >= maxTargetsPerNamespace {
		return errLimit("You have reached the maximum number of scalable targets (%d) for service namespace %s in this account and region", maxTargetsPerNamespace, namespace)
	}
	return nil
}

// mergeSuspended sets the members a call gives over the ones a target has.
func mergeSuspended(current, given *SuspendedState) *SuspendedState {
	if given == nil {
		return current
	}
	merged := SuspendedState{}
	if current != nil {
		merged = *current
	}
	if given.DynamicScalingInSuspended != nil {
		merged.DynamicScalingInSuspended = given.DynamicScalingInSuspended
	}
	if given.DynamicScalingOutSuspended != nil {
		merged.DynamicScalingOutSuspended = given.DynamicScalingOutSuspended
	}
	if given.ScheduledScalingSuspended != nil {
		merged.ScheduledScalingSuspended = given.ScheduledScalingSuspended
	}
	return &merged
}

// wire returns the target as DescribeScalableTargets shows it: with every
// suspension flag (false when never set), without its tags.
func (t ScalableTarget) wire() wire.ScalableTarget {
	no := false
	s := SuspendedState{DynamicScalingInSuspended: &no, DynamicScalingOutSuspended: &no, ScheduledScalingSuspended: &no}
	if t.SuspendedState != nil {
		s = *mergeSuspended(&s, t.SuspendedState)
	}
	return wire.ScalableTarget{
		ServiceNamespace: t.ServiceNamespace, ResourceId: t.ResourceID, ScalableDimension: t.ScalableDimension,
		MinCapacity: capacity(t.MinCapacity), MaxCapacity: capacity(t.MaxCapacity), RoleARN: t.RoleARN,
		CreationTime: &t.CreationTime, SuspendedState: &s, ScalableTargetARN: t.ScalableTargetARN,
	}
}

// capacity is a capacity as the wire carries it.
func capacity(n int32) *int { c := int(n); return &c }

func (b *Backend) describeScalableTargets(ctx context.Context, in *wire.DescribeScalableTargetsRequest) (*wire.DescribeScalableTargetsResponse, error) {
	limit, err := paging.Size(in.MaxResults, defaultPageSize, 1, maxPageSize)
	if err != nil {
		return nil, pageError(err)
	}
	var matched []*ScalableTarget
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[ScalableTarget](tx, tableTargets)
		matched = slices.DeleteFunc(all, func(t *ScalableTarget) bool {
			return t.ServiceNamespace != in.ServiceNamespace ||
				(in.ScalableDimension != "" && t.ScalableDimension != in.ScalableDimension) ||
				(len(in.ResourceIds) > 0 && !slices.Contains(in.ResourceIds, t.ResourceID))
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(matched, func(t *ScalableTarget) string { return refOf(t).key() }, in.NextToken, limit)
	if err != nil {
		return nil, pageError(err)
	}
	out := &wire.DescribeScalableTargetsResponse{ScalableTargets: []wire.ScalableTarget{}, NextToken: next}
	for _, t := range page {
		out.ScalableTargets = append(out.ScalableTargets, t.wire())
	}
	return out, nil
}

// deregisterScalableTarget removes a target with its scaling policies and
// scheduled actions, as AWS does; its activities stay in the history.
func (b *Backend) deregisterScalableTarget(ctx context.Context, in *wire.DeregisterScalableTargetRequest) (*wire.DeregisterScalableTargetResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := loadTarget(tx, ref); err != nil {
			return err
		}
		for _, table := range []string{tablePolicies, tableScheduled} {
			keys, err := store.Keys(tx, table)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if !strings.HasPrefix(k, ref.key()+"|") {
					continue
				}
				if table == tablePolicies {
					p, err := store.Get[ScalingPolicy](tx, table, k)
					if err != nil {
						return err
					}
					if p != nil {
						if err := b.deletePolicyAlarms(tx, p); err != nil {
							return err
						}
					}
				}
				if err := tx.Delete(table, k); err != nil {
					return err
				}
			}
		}
		return tx.Delete(tableTargets, ref.key())
	})
}

// loadTarget returns a registered target, or ObjectNotFoundException.
func loadTarget(tx *store.Tx, ref targetRef) (*ScalableTarget, error) {
	t, err := store.Get[ScalableTarget](tx, tableTargets, ref.key())
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errNoTarget(ref)
	}
	return t, nil
}
