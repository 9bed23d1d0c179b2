package autoscaling

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Warm pools are kept as data only: the configuration is stored and
// described, but the controller keeps no pre-initialized instances, so a
// warm pool never holds any and scale-out launches as without one.

const tableWarmPools = "autoscaling/warm-pools" // by group name

// WarmPool is a group's warm pool configuration.
type WarmPool struct {
	MaxGroupPreparedCapacity *int                 `xml:"MaxGroupPreparedCapacity,omitempty"`
	MinSize                  int                  `xml:"MinSize"`
	PoolState                string               `xml:"PoolState"`
	InstanceReusePolicy      *InstanceReusePolicy `xml:"InstanceReusePolicy,omitempty"`
}

// InstanceReusePolicy says whether scaled-in instances return to the pool.
type InstanceReusePolicy struct {
	ReuseOnScaleIn *bool `query:"ReuseOnScaleIn" xml:"ReuseOnScaleIn,omitempty"`
}

type putWarmPoolInput struct {
	AutoScalingGroupName     string
	MaxGroupPreparedCapacity *int
	MinSize                  *int
	PoolState                string
	InstanceReusePolicy      *InstanceReusePolicy
}

func (b *Backend) handlePutWarmPool(ctx context.Context, in *putWarmPoolInput) (*emptyOutput, error) {
	pool := &WarmPool{MaxGroupPreparedCapacity: in.MaxGroupPreparedCapacity, PoolState: in.PoolState, InstanceReusePolicy: in.InstanceReusePolicy}
	if in.MinSize != nil {
		pool.MinSize = *in.MinSize
	}
	if pool.PoolState == "" {
		pool.PoolState = "Stopped"
	}
	switch {
	case pool.MinSize < 0:
		return nil, validationError("The warm pool's MinSize must be 0 or more")
	case pool.MaxGroupPreparedCapacity != nil && *pool.MaxGroupPreparedCapacity < -1:
		return nil, validationError("MaxGroupPreparedCapacity must be -1 or more")
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(g.Name)
		}
		if g.MixedInstancesPolicy != nil {
			return validationError("You can't add a warm pool to an Auto Scaling group that has a mixed instances policy.")
		}
		return tx.Put(tableWarmPools, g.Name, pool)
	}))
}

type warmPoolInput struct {
	AutoScalingGroupName string
	ForceDelete          bool
	MaxRecords           *int
	NextToken            string
}

type describeWarmPoolOutput struct {
	WarmPoolConfiguration *WarmPool            `xml:"WarmPoolConfiguration,omitempty"`
	Instances             members[instanceXML] `xml:"Instances"`
}

func (b *Backend) handleDescribeWarmPool(ctx context.Context, in *warmPoolInput) (*describeWarmPoolOutput, error) {
	if err := b.existingGroup(ctx, in.AutoScalingGroupName); err != nil {
		return nil, err
	}
	if _, _, err := paginate([]int{}, in.NextToken, in.MaxRecords); err != nil {
		return nil, err
	}
	out := &describeWarmPoolOutput{Instances: members[instanceXML]{}}
	err := b.store.View(ctx, func(tx *store.Tx) (err error) {
		out.WarmPoolConfiguration, err = store.Get[WarmPool](tx, tableWarmPools, in.AutoScalingGroupName)
		return err
	})
	return out, internalError(err)
}

func (b *Backend) handleDeleteWarmPool(ctx context.Context, in *warmPoolInput) (*emptyOutput, error) {
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, in.AutoScalingGroupName); err != nil {
			return err
		}
		pool, err := store.Get[WarmPool](tx, tableWarmPools, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if pool == nil {
			return validationError("No warm pool found for Auto Scaling group %s", in.AutoScalingGroupName)
		}
		return tx.Delete(tableWarmPools, in.AutoScalingGroupName)
	}))
}
