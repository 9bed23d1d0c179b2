package ec2

import "context"

type createTagsInput struct {
	ResourceIDs []string   `query:"ResourceId"`
	Tags        []tagParam `query:"Tag"`
	DryRun      bool       `query:"DryRun"`
}

func (b *Backend) handleCreateTags(ctx context.Context, in *createTagsInput) (*returnOutput, error) {
	if err := b.createTags(ctx, in.ResourceIDs, in.Tags, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

func (b *Backend) handleDeleteTags(ctx context.Context, in *createTagsInput) (*returnOutput, error) {
	if err := b.deleteTags(ctx, in.ResourceIDs, in.Tags, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}

type describeTagsInput struct {
	Filters    []filterParam `query:"Filter"`
	MaxResults *int32        `query:"MaxResults"`
	NextToken  *string       `query:"NextToken"`
	DryRun     bool          `query:"DryRun"`
}

type tagDescriptionItem struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type describeTagsOutput struct {
	Tags      []tagDescriptionItem `xml:"tagSet>item"`
	NextToken string               `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *describeTagsInput) (*describeTagsOutput, error) {
	rows, next, err := b.describeTags(ctx, in.Filters, in.MaxResults, in.NextToken, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := &describeTagsOutput{Tags: []tagDescriptionItem{}, NextToken: next}
	for _, r := range rows {
		out.Tags = append(out.Tags, tagDescriptionItem(*r))
	}
	return out, nil
}
