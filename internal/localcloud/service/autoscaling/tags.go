package autoscaling

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// GroupTag is a tag with the group it is on.
type GroupTag struct {
	GroupName string
	Tag
}

// Filter is a Describe filter: any of Values matches, all filters must.
type Filter struct {
	Name   string
	Values []string
}

// PutTags creates or overwrites tags on groups, all or none.
func (b *Backend) PutTags(ctx context.Context, tags []GroupTag) error {
	return b.editTags(ctx, tags, func(g *Group, t GroupTag) error {
		i := slices.IndexFunc(g.Tags, func(existing Tag) bool { return existing.Key == t.Key })
		if i >= 0 {
			g.Tags[i] = t.Tag
		} else {
			g.Tags = append(g.Tags, t.Tag)
		}
		return checkTags(g.Tags)
	})
}

// DeleteTags removes tags (by key) from groups.
func (b *Backend) DeleteTags(ctx context.Context, tags []GroupTag) error {
	return b.editTags(ctx, tags, func(g *Group, t GroupTag) error {
		g.Tags = slices.DeleteFunc(g.Tags, func(existing Tag) bool { return existing.Key == t.Key })
		return nil
	})
}

// editTags applies edit to the group of each tag, in one transaction, and
// stores the groups it changed; edit's error aborts them all.
func (b *Backend) editTags(ctx context.Context, tags []GroupTag, edit func(g *Group, t GroupTag) error) error {
	if len(tags) == 0 {
		return required("tags", false)
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		changed := map[string]*Group{}
		for _, t := range tags {
			g, err := taggedGroup(tx, changed, t.GroupName)
			if err != nil {
				return err
			}
			if err := edit(g, t); err != nil {
				return err
			}
		}
		for name, g := range changed {
			if err := tx.Put(tableGroups, name, g); err != nil {
				return err
			}
		}
		return nil
	}))
}

func taggedGroup(tx *store.Tx, changed map[string]*Group, name string) (*Group, error) {
	if g, ok := changed[name]; ok {
		return g, nil
	}
	if name == "" {
		return nil, validationError("A tag's ResourceId (the group name) must be specified")
	}
	g, err := store.Get[Group](tx, tableGroups, name)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, validationError("AutoScalingGroup name not found - %s", name)
	}
	changed[name] = g
	return g, nil
}

// Tags returns the tags of every group matching the filters
// (auto-scaling-group, key, value, propagate-at-launch).
func (b *Backend) Tags(ctx context.Context, filters []Filter) ([]GroupTag, error) {
	for _, f := range filters {
		if !slices.Contains([]string{"auto-scaling-group", "key", "value", "propagate-at-launch"}, f.Name) {
			return nil, validationError("Filter type %s is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch", f.Name)
		}
	}
	groups, err := b.Groups(ctx)
	if err != nil {
		return nil, err
	}
	var out []GroupTag
	for _, g := range groups {
		for _, t := range g.Tags {
			if tagMatches(g.Name, t, filters) {
				out = append(out, GroupTag{GroupName: g.Name, Tag: t})
			}
		}
	}
	return out, nil
}

func tagMatches(group string, t Tag, filters []Filter) bool {
	for _, f := range filters {
		var field string
		switch f.Name {
		case "auto-scaling-group":
			field = group
		case "key":
			field = t.Key
		case "value":
			field = t.Value
		case "propagate-at-launch":
			field = strings.ToLower(boolString(t.PropagateAtLaunch))
		}
		if !slices.Contains(f.Values, field) {
			return false
		}
	}
	return true
}

func boolString(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

// groupMatches applies DescribeAutoScalingGroups filters: tag-key,
// tag-value and tag:<key>.
func groupMatches(g *Group, filters []Filter) (bool, error) {
	for _, f := range filters {
		var ok bool
		switch {
		case f.Name == "tag-key":
			ok = slices.ContainsFunc(g.Tags, func(t Tag) bool { return slices.Contains(f.Values, t.Key) })
		case f.Name == "tag-value":
			ok = slices.ContainsFunc(g.Tags, func(t Tag) bool { return slices.Contains(f.Values, t.Value) })
		case strings.HasPrefix(f.Name, "tag:"):
			key := strings.TrimPrefix(f.Name, "tag:")
			ok = slices.ContainsFunc(g.Tags, func(t Tag) bool { return t.Key == key && slices.Contains(f.Values, t.Value) })
		default:
			return false, validationError("Filter type %s is not correct. Allowed Filter types are: tag-key tag-value tag:<key>", f.Name)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
