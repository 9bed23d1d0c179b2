package iam

import (
	"errors"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
)

// Tag is an IAM tag, as it travels and as it is stored (records written
// with lower-case "key" and "value" still read: encoding/json matches
// names regardless of case).
type Tag = wire.Tag

// tagsOut are an entity's tags for a response: none writes no Tags
// element at all, as IAM answers.
func tagsOut(tags []Tag) query.List[Tag] {
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// tagRules are IAM's: 50 tags per entity, keys of 128 and values of 256
// characters, and "aws:" reserved for AWS's own keys.
var tagRules = tagging.Rules{MaxTags: 50, MaxKeyLength: 128, MaxValueLength: 256, ReservedPrefix: "aws:"}

func toTagging(tags []Tag) []tagging.Tag {
	out := make([]tagging.Tag, len(tags))
	for i, t := range tags {
		out[i] = tagging.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func fromTagging(tags []tagging.Tag) []Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// tagError words a tagging.Violation as IAM does: too many tags is
// LimitExceeded, anything else InvalidInput.
func tagError(err error) error {
	var v *tagging.Violation
	if !errors.As(err, &v) {
		return err
	}
	if v.TooMany {
		return errLimitExceeded("Cannot exceed quota for TagsPerEntity: %d", tagRules.MaxTags)
	}
	return errInvalidInput("%s", v.Message)
}

// validateTags checks the tags a Create* call sets on a new entity.
func validateTags(tags []Tag) error {
	_, err := mergeTags(nil, tags)
	return err
}

// mergeTags adds or replaces tags. IAM's tag keys are case-insensitive on
// an entity: a request may not name one key twice in two spellings, and a
// tag whose key matches an existing one in another case replaces it.
func mergeTags(existing, add []Tag) ([]Tag, error) {
	seen := map[string]bool{}
	for _, t := range add {
		if seen[strings.ToLower(t.Key)] {
			return nil, errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
	}
	kept := slices.DeleteFunc(slices.Clone(existing), func(t Tag) bool {
		return seen[strings.ToLower(t.Key)] && !slices.ContainsFunc(add, func(a Tag) bool { return a.Key == t.Key })
	})
	if err := tagRules.Check(toTagging(kept), toTagging(add)); err != nil {
		return nil, tagError(err)
	}
	return fromTagging(tagging.Merge(toTagging(kept), toTagging(add))), nil
}

// removeTags drops the tags with the given keys, matched regardless of case.
func removeTags(existing []Tag, keys []string) []Tag {
	var spelled []string
	for _, t := range existing {
		if slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) }) {
			spelled = append(spelled, t.Key)
		}
	}
	return fromTagging(tagging.Remove(toTagging(existing), spelled))
}
