package cloudwatch

import (
	"context"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

func toTags(in []wire.Tag) []tagging.Tag {
	out := make([]tagging.Tag, 0, len(in))
	for _, t := range in {
		out = append(out, tagging.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func fromTags(in []tagging.Tag) []wire.Tag {
	out := make([]wire.Tag, 0, len(in))
	for _, t := range in {
		out = append(out, wire.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// withAlarmOfARN runs fn on the alarm an ARN names, in the caller's scope
// (an ARN of another account or region names nothing here).
func (b *Backend) withAlarmOfARN(ctx context.Context, arn string, write bool, fn func(tx *store.Tx, a *Alarm) error) error {
	run := b.store.View
	if write {
		run = b.store.Update
	}
	return run(ctx, func(tx *store.Tx) error {
		prefix := tx.ARN("cloudwatch", "alarm:")
		name, ok := strings.CutPrefix(arn, prefix)
		if !ok || name == "" {
			return errResourceNotFound(arn)
		}
		a, err := loadAlarm(tx, name)
		if err != nil {
			return err
		}
		if a == nil {
			return errResourceNotFound(arn)
		}
		return fn(tx, a)
	})
}

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceInput) (*wire.TagResourceOutput, error) {
	tags := toTags(in.Tags)
	return nil, b.withAlarmOfARN(ctx, in.ResourceARN, true, func(tx *store.Tx, a *Alarm) error {
		if err := tagging.Common.Check(a.Tags, tags); err != nil {
			return errInvalidValue("%v", err)
		}
		a.Tags = tagging.Merge(a.Tags, tags)
		return tx.Put(tableAlarms, a.Config.AlarmName, a)
	})
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceInput) (*wire.UntagResourceOutput, error) {
	return nil, b.withAlarmOfARN(ctx, in.ResourceARN, true, func(tx *store.Tx, a *Alarm) error {
		a.Tags = tagging.Remove(a.Tags, in.TagKeys)
		return tx.Put(tableAlarms, a.Config.AlarmName, a)
	})
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceInput) (*wire.ListTagsForResourceOutput, error) {
	out := &wire.ListTagsForResourceOutput{}
	err := b.withAlarmOfARN(ctx, in.ResourceARN, false, func(_ *store.Tx, a *Alarm) error {
		out.Tags = fromTags(a.Tags)
		return nil
	})
	return out, err
}
