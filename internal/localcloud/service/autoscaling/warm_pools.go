package autoscaling

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Warm pools are kept as data only: the configuration is stored and
// described, but the controller keeps no pre-initialized instances, so a
// warm pool never holds any and scale-out launches as without one.

const tableWarmPools = "autoscaling/warm-pools" // by group name

// A group's warm pool is stored as its wire configuration, MinSize and
// PoolState always set.

func (b *Backend) handlePutWarmPool(ctx context.Context, in *wire.PutWarmPoolType) (*wire.PutWarmPoolAnswer, error) {
	pool := &wire.WarmPoolConfiguration{MaxGroupPreparedCapacity: in.MaxGroupPreparedCapacity, MinSize: ptr(valueOf(in.MinSize)),
		PoolState: in.PoolState, InstanceReusePolicy: in.InstanceReusePolicy}
	if pool.PoolState == "" {
		pool.PoolState = "Stopped"
	}
	switch {
	case *pool.MinSize < 0:
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

func (b *Backend) handleDescribeWarmPool(ctx context.Context, in *wire.DescribeWarmPoolType) (*wire.DescribeWarmPoolAnswer, error) {
	if err := b.existingGroup(ctx, in.AutoScalingGroupName); err != nil {
		return nil, err
	}
	if _, _, err := paginate([]int{}, in.NextToken, in.MaxRecords); err != nil {
		return nil, err
	}
	out := &wire.DescribeWarmPoolAnswer{Instances: query.List[wire.Instance]{}}
	err := b.store.View(ctx, func(tx *store.Tx) (err error) {
		out.WarmPoolConfiguration, err = store.Get[wire.WarmPoolConfiguration](tx, tableWarmPools, in.AutoScalingGroupName)
		return err
	})
	return out, internalError(err)
}

func (b *Backend) handleDeleteWarmPool(ctx context.Context, in *wire.DeleteWarmPoolType) (*wire.DeleteWarmPoolAnswer, error) {
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, in.AutoScalingGroupName); err != nil {
			return err
		}
		pool, err := store.Get[wire.WarmPoolConfiguration](tx, tableWarmPools, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if pool == nil {
			return validationError("No warm pool found for Auto Scaling group %s", in.AutoScalingGroupName)
		}
		return tx.Delete(tableWarmPools, in.AutoScalingGroupName)
	}))
}
