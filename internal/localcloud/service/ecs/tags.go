package ecs

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

func validateTags(tags []Tag) error {
	if len(tags) > 50 {
		return errInvalidParameter("Too many tags: a resource can have at most 50.")
	}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return errInvalidParameter("Tag keys must be between 1 and 128 characters.")
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return errInvalidParameter("Tag values can be at most 256 characters.")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidParameter("Tag keys cannot start with the reserved prefix 'aws:'.")
		}
	}
	return nil
}

// mergeTags sets each new tag over the old ones, keeping the order of first
// appearance.
func mergeTags(old, added []Tag) []Tag {
	out := slices.Clone(old)
	for _, t := range added {
		i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
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

type tagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []Tag  `json:"tags"`
}

type empty struct{}

func (b *Backend) tagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
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
		merged := mergeTags(old, in.Tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		return s.putTags(in.ResourceArn, merged)
	})
	return &empty{}, err
}

type untagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

func (b *Backend) untagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
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
		kept := slices.DeleteFunc(old, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return s.putTags(in.ResourceArn, kept)
	})
	return &empty{}, err
}

type listTagsForResourceInput struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

func (b *Backend) listTagsForResource(ctx context.Context, in *listTagsForResourceInput) (*listTagsForResourceOutput, error) {
	if in.ResourceArn == "" {
		return nil, errMissing("resourceArn")
	}
	out := &listTagsForResourceOutput{}
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
