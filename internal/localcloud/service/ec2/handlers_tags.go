package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

func (b *Backend) handleCreateTags(ctx context.Context, in *wire.CreateTagsRequest) (*wire.Return, error) {
	if err := b.createTags(ctx, in.Resources, tagsFrom(in.Tags), boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDeleteTags(ctx context.Context, in *wire.DeleteTagsRequest) (*wire.Return, error) {
	if err := b.deleteTags(ctx, in.Resources, tagsFrom(in.Tags), boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return done, nil
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *wire.DescribeTagsRequest) (*wire.DescribeTagsResult, error) {
	rows, next, err := b.describeTags(ctx, filtersFrom(in.Filters), maxResultsOf(in.MaxResults), tokenOf(in.NextToken), boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeTagsResult{Tags: ec2query.List[wire.TagDescription]{}, NextToken: next}
	for _, r := range rows {
		out.Tags = append(out.Tags, wire.TagDescription{ResourceId: r.ResourceID, ResourceType: r.ResourceType, Key: r.Key, Value: r.Value})
	}
	return out, nil
}
