package logs

import (
	"context"
	"errors"
	"github.com/berthdev/berth/internal/localcloud/service/logs/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const maxTags = 50

func validateTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errTooManyTags()
	}
	for k, v := range tags {
		switch {
		case k == "" || len(k) > 128:
			return errConstraint(k, "tags", "Map keys must have length between 1 and 128")
		case strings.HasPrefix(k, "aws:"):
			return errInvalidParameter("Tag keys prefixed with aws: are reserved")
		case len(v) > 256:
			return errConstraint(v, "tags", "Map values must have length less than or equal to 256")
		}
	}
	return nil
}

// groupFromARN resolves a tagging ARN; only log groups are taggable here.
func groupFromARN(arn string) (string, error) {
	if arn == "" {
		return "", errMissing("resourceArn")
	}
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !strings.HasPrefix(arn, "arn:") || !ok || strings.Contains(strings.TrimSuffix(rest, ":*"), ":") {
		return "", errInvalidParameter("Invalid resource arn %s", arn)
	}
	return strings.TrimSuffix(rest, ":*"), nil
}

func (b *Backend) changeTags(ctx context.Context, group string, add map[string]string, remove []string) error {
	return b.updateGroup(ctx, group, func(g *logGroup) error {
		tags := map[string]string{}
		for k, v := range g.Tags {
			tags[k] = v
		}
		for _, k := range remove {
			delete(tags, k)
		}
		for k, v := range add {
			tags[k] = v
		}
		if err := validateTags(add); err != nil {
			return err
		}
		if len(tags) > maxTags {
			return errTooManyTags()
		}
		g.Tags = tags
		return nil
	})
}

func (b *Backend) groupTags(ctx context.Context, group string) (map[string]string, error) {
	tags := map[string]string{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		for k, v := range g.Tags {
			tags[k] = v
		}
		return nil
	})
	return tags, err
}

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceRequest) (*struct{}, error) {
	group, err := groupFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errConstraint("{}", "tags", "Member must have length greater than or equal to 1")
	}
	return nil, notFoundAsARN(b.changeTags(ctx, group, in.Tags, nil), in.ResourceArn)
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceRequest) (*struct{}, error) {
	group, err := groupFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, notFoundAsARN(b.changeTags(ctx, group, nil, in.TagKeys), in.ResourceArn)
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResponse, error) {
	group, err := groupFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	tags, err := b.groupTags(ctx, group)
	if err != nil {
		return nil, notFoundAsARN(err, in.ResourceArn)
	}
	return &wire.ListTagsForResourceResponse{Tags: tags}, nil
}

// notFoundAsARN words a missing group the way the ARN-based tagging
// operations do.
func notFoundAsARN(err error, arn string) error {
	var apiErr *protocol.Error
	if errors.As(err, &apiErr) && apiErr.Code == "ResourceNotFoundException" {
		return errResourceNotFound(arn)
	}
	return err
}

func (b *Backend) tagLogGroup(ctx context.Context, in *wire.TagLogGroupRequest) (*struct{}, error) {
	return nil, b.changeTags(ctx, in.LogGroupName, in.Tags, nil)
}

func (b *Backend) untagLogGroup(ctx context.Context, in *wire.UntagLogGroupRequest) (*struct{}, error) {
	return nil, b.changeTags(ctx, in.LogGroupName, nil, in.Tags)
}

func (b *Backend) listTagsLogGroup(ctx context.Context, in *wire.ListTagsLogGroupRequest) (*wire.ListTagsLogGroupResponse, error) {
	tags, err := b.groupTags(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &wire.ListTagsLogGroupResponse{Tags: tags}, nil
}
