package ssm

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ssm/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const maxTags = 50

func validateTags(tags []Tag) error {
	if len(tags) > maxTags {
		return protocol.Errorf("TooManyTagsError", "The Parameter has too many tags. You can have a maximum of %d tags per resource.", maxTags)
	}
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > 128:
			return errConstraint(t.Key, "tags.member.key", "Member must have length between 1 and 128")
		case len(t.Value) > 256:
			return errConstraint(t.Value, "tags.member.value", "Member must have length less than or equal to 256")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errValidation("Tag keys beginning with aws: are reserved.")
		}
	}
	return nil
}

// resourceRef is the resource a tagging call names.
type resourceRef struct{ ResourceType, ResourceID string }

// changeTags edits a parameter's tags; only parameters are taggable here.
func (b *Backend) changeTags(ctx context.Context, in resourceRef, change func(p *Parameter) error) error {
	if err := checkResource(in); err != nil {
		return err
	}
	return b.store.Update(ctx, func(tx *store.Tx) error {
		p, err := taggedParameter(tx, in)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		return tx.Put(tableParameters, p.Name, p)
	})
}

// taggedParameter loads the stored parameter in.ResourceID names, or fails
// with InvalidResourceId.
func taggedParameter(tx *store.Tx, in resourceRef) (*Parameter, error) {
	p, err := store.Get[Parameter](tx, tableParameters, nameFromARN(in.ResourceID))
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, protocol.Errorf("InvalidResourceId", "The resource ID \"%s\" is not valid. Verify the ID and try again.", in.ResourceID)
	}
	return p, nil
}

func checkResource(in resourceRef) error {
	switch {
	case in.ResourceType == "":
		return errMissing("resourceType")
	case in.ResourceID == "":
		return errMissing("resourceId")
	case in.ResourceType != "Parameter":
		return protocol.Errorf("InvalidResourceType", "The resource type %s is not valid for the local cloud: only Parameter resources are taggable.", in.ResourceType)
	}
	return nil
}

func (b *Backend) addTagsToResource(ctx context.Context, in *wire.AddTagsToResourceRequest) (*wire.AddTagsToResourceResult, error) {
	if len(in.Tags) == 0 {
		return nil, errConstraint("[]", "tags", "Member must have length greater than or equal to 1")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	return nil, b.changeTags(ctx, resourceRef{in.ResourceType, in.ResourceId}, func(p *Parameter) error {
		for _, t := range in.Tags {
			replaced := false
			for i := range p.Tags {
				if p.Tags[i].Key == t.Key {
					p.Tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				p.Tags = append(p.Tags, t)
			}
		}
		return validateTags(p.Tags)
	})
}

func (b *Backend) removeTagsFromResource(ctx context.Context, in *wire.RemoveTagsFromResourceRequest) (*wire.RemoveTagsFromResourceResult, error) {
	return nil, b.changeTags(ctx, resourceRef{in.ResourceType, in.ResourceId}, func(p *Parameter) error {
		kept := p.Tags[:0]
		for _, t := range p.Tags {
			remove := false
			for _, k := range in.TagKeys {
				remove = remove || k == t.Key
			}
			if !remove {
				kept = append(kept, t)
			}
		}
		p.Tags = kept
		return nil
	})
}

func (b *Backend) listTagsForResource(ctx context.Context, in *wire.ListTagsForResourceRequest) (*wire.ListTagsForResourceResult, error) {
	ref := resourceRef{in.ResourceType, in.ResourceId}
	if err := checkResource(ref); err != nil {
		return nil, err
	}
	out := &wire.ListTagsForResourceResult{TagList: []Tag{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := taggedParameter(tx, ref)
		if err != nil {
			return err
		}
		out.TagList = append(out.TagList, p.Tags...)
		return nil
	})
	return out, err
}
