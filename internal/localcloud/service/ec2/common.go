package ec2

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
)

// tagParam is one Tag.N of a request, as tagsFrom reads it from the
// generated shapes: a nil Key or Value was not sent.
type tagParam struct {
	Key   *string
	Value *string
}

// tagSpecParam is one TagSpecification.N of a request.
type tagSpecParam struct {
	ResourceType string
	Tags         []tagParam
}

// filterParam is one Filter.N of a Describe request, as filtersFrom reads
// it.
type filterParam struct {
	Name   string
	Values []string
}

// maxTags is EC2's per-resource tag limit.
const maxTags = 50

// ec2TagRules are EC2's tag limits: keys of 127 and values of 255
// characters, 50 tags, aws: reserved for AWS (callers of the local cloud's
// own controllers, Auto Scaling's, may use it).
var ec2TagRules = tagging.Rules{MaxTags: maxTags, MaxKeyLength: 127, MaxValueLength: 255, ReservedPrefix: "aws:"}

// checkTags applies EC2's tag rules to tags added to existing ones, in
// EC2's error codes.
func checkTags(existing map[string]string, added []tagging.Tag, internal bool) error {
	rules := ec2TagRules
	if internal {
		rules.ReservedPrefix = ""
	}
	err := rules.Check(tagging.FromMap(existing), added)
	var violation *tagging.Violation
	if errors.As(err, &violation) {
		if violation.TooMany {
			return tagLimitExceeded()
		}
		return invalidParameterValue("%s", violation.Message)
	}
	return err
}

// validateTags reads the tags of a request and checks them the way
// CreateTags does.
func validateTags(tags []tagParam, internal bool) (map[string]string, error) {
	added := make([]tagging.Tag, 0, len(tags))
	for _, t := range tags {
		if t.Key == nil {
			return nil, missingParameter("Tag.Key")
		}
		added = append(added, tagging.Tag{Key: *t.Key, Value: stringValue(t.Value)})
	}
	if err := checkTags(nil, added, internal); err != nil {
		return nil, err
	}
	out := map[string]string{}
	maps.Copy(out, tagging.ToMap(tagging.Merge(nil, added)))
	return out, nil
}

func tagLimitExceeded() error {
	return errorf(codeTagLimitExceeded, "The maximum number of tags per resource (%d) has been exceeded", maxTags)
}

// tagsFor collects the tags of the TagSpecifications aimed at resourceType,
// refusing specifications for types the operation cannot tag.
func tagsFor(specs []tagSpecParam, resourceType string, allowed ...string) (map[string]string, error) {
	tags := map[string]string{}
	for _, spec := range specs {
		if spec.ResourceType == "" {
			return nil, missingParameter("TagSpecification.ResourceType")
		}
		if spec.ResourceType != resourceType && !slices.Contains(allowed, spec.ResourceType) {
			return nil, invalidParameterValue("'%s' is not a valid taggable resource type for this operation.", spec.ResourceType)
		}
		if spec.ResourceType != resourceType {
			continue
		}
		parsed, err := validateTags(spec.Tags, false)
		if err != nil {
			return nil, err
		}
		maps.Copy(tags, parsed)
	}
	if len(tags) > maxTags {
		return nil, tagLimitExceeded()
	}
	return tags, nil
}

// fieldValues gives a resource's values for a filter name; ok is false for a
// name the resource's Describe does not know.
type fieldValues func(name string) (values []string, ok bool)

// matchFilters reports whether a resource passes every filter: a filter
// matches when any of its values (with * and ? wildcards) matches any of the
// resource's values for that name. tag:<key>, tag-key and tag-value are
// understood for every resource.
func matchFilters(filters []filterParam, tags map[string]string, fields fieldValues) (bool, error) {
	for _, f := range filters {
		var have []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(f.Name, "tag:")]; ok {
				have = []string{v}
			}
		case f.Name == "tag-key":
			have = slices.Collect(maps.Keys(tags))
		case f.Name == "tag-value":
			have = slices.Collect(maps.Values(tags))
		default:
			values, ok := fields(f.Name)
			if !ok {
				return false, invalidParameterValue("The filter '%s' is invalid", f.Name)
			}
			have = values
		}
		if !anyMatch(f.Values, have) {
			return false, nil
		}
	}
	return true, nil
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if p == v {
				return true
			}
			if strings.ContainsAny(p, "*?") && wildcardMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches EC2's filter wildcards: * is any run of characters
// (slashes included), ? any one character; nothing else is special.
func wildcardMatch(pattern, value string) bool {
	p, v := []rune(pattern), []rune(value)
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(v) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == v[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// filterItems keeps the items that pass the filters.
func filterItems[T any](items []*T, filters []filterParam, tagsOf func(*T) map[string]string, fields func(*T) fieldValues) ([]*T, error) {
	var out []*T
	for _, item := range items {
		ok, err := matchFilters(filters, tagsOf(item), fields(item))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, item)
		}
	}
	return out, nil
}

// paginate returns one page of items sorted by key, through the local
// cloud's one pagination: at most maxResults (when set; EC2 allows
// minResults to 1000) after the item the token names, and the token of the
// next page ("" on the last page).
func paginate[T any](items []*T, keyOf func(*T) string, maxResults *int32, token *string, minResults int) ([]*T, string, error) {
	limit, err := paging.Size(maxResults, 0, minResults, 1000)
	if err != nil {
		return nil, "", invalidParameterValue("Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and 1000.", *maxResults, minResults)
	}
	page, next, err := paging.Page(items, keyOf, stringValue(token), limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, "", errorf(codeInvalidPaginationToken, "Invalid pagination token %q", stringValue(token))
	}
	return page, next, err
}

func stringValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func boolValue(b *bool) bool { return b != nil && *b }

func itoa(n int) string { return strconv.Itoa(n) }
