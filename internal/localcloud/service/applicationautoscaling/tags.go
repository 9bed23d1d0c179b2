package applicationautoscaling

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Only scalable targets are taggable; they are named by ScalableTargetARN.

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceRequest) (*wire.TagResourceResponse, error) {
	return nil, b.changeTags(ctx, in.ResourceARN, func(t *ScalableTarget) error {
		existing, added := tagging.FromMap(t.Tags), tagging.FromMap(in.Tags)
		if err := tagRules.Check(existing, added); err != nil {
			return tagError(err)
		}
		t.Tags = tagging.ToMap(tagging.Merge(existing, added))
		return nil
	})
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceRequest) (*wire.UntagResourceResponse, error) {
	return nil, b.changeTags(ctx, in.ResourceARN, func(t *ScalableTarget) error {
		t.Tags = tagging.ToMap(tagging.Remove(tagging.FromMap(t.Tags), in.TagKeys))
		return nil
	})
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResponse, error) {
	out := &wire.ListTagsForResourceResponse{Tags: map[string]string{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		_, t, err := targetByARN(tx, in.ResourceARN)
		if err != nil {
			return err
		}
		for k, v := range t.Tags {
			out.Tags[k] = v
		}
		return nil
	})
	return out, err
}

func (b *Backend) changeTags(ctx context.Context, arn string, change func(t *ScalableTarget) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		key, t, err := targetByARN(tx, arn)
		if err != nil {
			return err
		}
		if err := change(t); err != nil {
			return err
		}
		return tx.Put(tableTargets, key, t)
	})
}

// targetByARN finds the target an ARN names, with its key.
func targetByARN(tx *store.Tx, arn string) (string, *ScalableTarget, error) {
	targets, err := store.List[ScalableTarget](tx, tableTargets)
	if err != nil {
		return "", nil, err
	}
	for _, t := range targets {
		if t.ScalableTargetARN == arn {
			return refOf(t).key(), t, nil
		}
	}
	return "", nil, errResourceNotFound(arn)
}
