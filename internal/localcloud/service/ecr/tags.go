package ecr

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Repositories are ECR's taggable resources, named by their ARNs.

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceRequest) (*wire.TagResourceResponse, error) {
	return nil, b.changeTags(ctx, in.ResourceArn, func(r *Repository) error {
		existing, added := toTagging(r.Tags), toTagging(in.Tags)
		if err := tagRules.Check(existing, added); err != nil {
			return tagError(err)
		}
		r.Tags = fromTagging(tagging.Merge(existing, added))
		return nil
	})
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceRequest) (*wire.UntagResourceResponse, error) {
	return nil, b.changeTags(ctx, in.ResourceArn, func(r *Repository) error {
		r.Tags = fromTagging(tagging.Remove(toTagging(r.Tags), in.TagKeys))
		return nil
	})
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResponse, error) {
	out := &wire.ListTagsForResourceResponse{Tags: []Tag{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		r, err := repositoryByARN(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		out.Tags = append(out.Tags, r.Tags...)
		return nil
	})
	return out, err
}

func (b *Backend) changeTags(ctx context.Context, arn string, change func(r *Repository) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		r, err := repositoryByARN(tx, arn)
		if err != nil {
			return err
		}
		if err := change(r); err != nil {
			return err
		}
		return tx.Put(tableRepositories, r.RepositoryName, r)
	})
}

// repositoryByARN returns the repository an ARN of this scope names.
func repositoryByARN(tx *store.Tx, arn string) (*Repository, error) {
	prefix := tx.ARN("ecr", "repository/")
	if !strings.HasPrefix(arn, "arn:aws:ecr:") || !strings.Contains(arn, ":repository/") {
		return nil, errInvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	name := arn[strings.Index(arn, ":repository/")+len(":repository/"):]
	if !strings.HasPrefix(arn, prefix) {
		return nil, errRepositoryNotFound(name, accountOfARN(arn))
	}
	return loadRepository(tx, repoInput{RepositoryName: name})
}

func accountOfARN(arn string) string {
	if scope, ok := store.ScopeOfARN(arn); ok {
		return scope.Account
	}
	return ""
}
