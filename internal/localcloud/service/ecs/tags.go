package ecs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/tagging"
)

// tagRules are ECS's tag limits (AWS's common ones: 50 tags, keys of 128
// and values of 256 characters, "aws:" reserved).
var tagRules = tagging.Common

// validateTags checks tags about to be set on a resource that has none.
func validateTags(tags []Tag) error { return checkTags(nil, tags) }

// checkTags checks tags added to a resource's existing ones.
func checkTags(existing, added []Tag) error {
	if err := tagRules.Check(toTagging(existing), toTagging(added)); err != nil {
		return errInvalidParameter("%s", err.Error())
	}
	return nil
}

// mergeTags sets each new tag over the old ones, keeping the order of first
// appearance.
func mergeTags(old, added []Tag) []Tag {
	return fromTagging(tagging.Merge(toTagging(old), toTagging(added)))
}

func toTagging(tags []Tag) []tagging.Tag {
	out := make([]tagging.Tag, len(tags))
	for i, t := range tags {
		out[i] = tagging.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func fromTagging(tags []tagging.Tag) []Tag {
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// taggable checks that an ARN names an existing resource that takes tags.
func (s *State) taggable(arn string) error {
	if !isARN(arn) {
		return errInvalidParameter("The ARN provided is invalid.")
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "ecs" {
		return errInvalidParameter("The ARN provided is invalid.")
	}
	kind, rest, _ := strings.Cut(parts[5], "/")
	var exists bool
	switch kind {
	case "cluster":
		c, err := s.Cluster(rest)
		if err != nil {
			return err
		}
		exists = c != nil && c.Status == statusActive
	case "capacity-provider":
		cp, err := s.CapacityProvider(rest)
		if err != nil {
			return err
		}
		exists = cp != nil && cp.Status == statusActive && !isFargateProvider(cp.Name)
	case "task-definition":
		def, err := s.TaskDefinition(arn)
		if err != nil {
			return err
		}
		exists = def != nil
	case "service":
		cluster, name, _ := strings.Cut(rest, "/")
		svc, err := s.Service(cluster, name)
		if err != nil {
			return err
		}
		exists = svc != nil && svc.Status != statusInactive
	case "task":
		cluster, id, _ := strings.Cut(rest, "/")
		t, err := s.Task(cluster, id)
		if err != nil {
			return err
		}
		exists = t != nil
	case "container-instance":
		cluster, id, _ := strings.Cut(rest, "/")
		ci, err := s.ContainerInstance(cluster, id)
		if err != nil {
			return err
		}
		exists = ci != nil
	default:
		return errInvalidParameter("The ARN provided is invalid.")
	}
	if !exists {
		return errResourceNotFound("The specified resource is not found.")
	}
	return nil
}

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceRequest) (*wire.TagResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, errMissing("resourceArn")
	}
	if in.Tags == nil {
		return nil, errMissing("tags")
	}
	err := b.Update(ctx, func(s *State) error {
		if err := s.taggable(in.ResourceArn); err != nil {
			return err
		}
		old, err := s.tags(in.ResourceArn)
		if err != nil {
			return err
		}
		if err := checkTags(old, in.Tags); err != nil {
			return err
		}
		return s.putTags(in.ResourceArn, mergeTags(old, in.Tags))
	})
	return &wire.TagResourceResponse{}, err
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceRequest) (*wire.UntagResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, errMissing("resourceArn")
	}
	if in.TagKeys == nil {
		return nil, errMissing("tagKeys")
	}
	err := b.Update(ctx, func(s *State) error {
		if err := s.taggable(in.ResourceArn); err != nil {
			return err
		}
		old, err := s.tags(in.ResourceArn)
		if err != nil {
			return err
		}
		return s.putTags(in.ResourceArn, fromTagging(tagging.Remove(toTagging(old), in.TagKeys)))
	})
	return &wire.UntagResourceResponse{}, err
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResponse, error) {
	if in.ResourceArn == "" {
		return nil, errMissing("resourceArn")
	}
	out := &wire.ListTagsForResourceResponse{}
	err := b.View(ctx, func(s *State) error {
		if err := s.taggable(in.ResourceArn); err != nil {
			return err
		}
		var err error
		out.Tags, err = s.tags(in.ResourceArn)
		return err
	})
	return out, err
}
