// Package tagging is the one tagging of the local cloud: the rules AWS
// applies to resource tags (how many, how long, which prefix is reserved)
// and the edits every service's Tag*/Untag*/Add*/Remove* and tag-on-create
// make. Services keep their own wire shapes (key/value, Key/Value) and
// error codes; what a tag may be and how a set changes is decided here.
package tagging

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tag is one resource tag.
type Tag struct {
	Key, Value string
}

// Rules are a service's limits. The zero value of a field means AWS's
// common limit: 50 tags, keys of 128 and values of 256 characters.
type Rules struct {
	MaxTags, MaxKeyLength, MaxValueLength int
	// ReservedPrefix is refused at the start of a key (case-insensitive);
	// "aws:" for most services, "" where AWS allows any key.
	ReservedPrefix string
	// EmptyKeyAllowed admits "" as a key (no service does; kept explicit).
	EmptyKeyAllowed bool
}

// Common is the rule set most services apply.
var Common = Rules{ReservedPrefix: "aws:"}

func (r Rules) maxTags() int  { return orDefault(r.MaxTags, 50) }
func (r Rules) maxKey() int   { return orDefault(r.MaxKeyLength, 128) }
func (r Rules) maxValue() int { return orDefault(r.MaxValueLength, 256) }

func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// Violation says which rule a tag set breaks; services wrap it in their
// own error code (InvalidParameterException, ValidationError, TooManyTags…).
type Violation struct {
	// TooMany is set when the set has more tags than allowed.
	TooMany bool
	Message string
}

func (v *Violation) Error() string { return v.Message }

// Check validates tags that are about to be set on a resource that has
// existing ones: each tag's key and value, and the size of the result.
func (r Rules) Check(existing, added []Tag) error {
	for _, t := range added {
		if n := utf8.RuneCountInString(t.Key); (n < 1 && !r.EmptyKeyAllowed) || n > r.maxKey() {
			return &Violation{Message: fmt.Sprintf("Tag keys must be between 1 and %d characters long: %q", r.maxKey(), t.Key)}
		}
		if utf8.RuneCountInString(t.Value) > r.maxValue() {
			return &Violation{Message: fmt.Sprintf("Tag values can be at most %d characters long (key %q)", r.maxValue(), t.Key)}
		}
		if r.ReservedPrefix != "" && strings.HasPrefix(strings.ToLower(t.Key), r.ReservedPrefix) {
			return &Violation{Message: fmt.Sprintf("Tag keys cannot start with the reserved prefix '%s': %q", r.ReservedPrefix, t.Key)}
		}
	}
	if n := len(Merge(existing, added)); n > r.maxTags() {
		return &Violation{TooMany: true, Message: fmt.Sprintf("A resource can have at most %d tags; this request would give it %d", r.maxTags(), n)}
	}
	return nil
}

// Merge sets each added tag over the existing ones, keeping the order of
// first appearance; a key given twice in added keeps its last value.
func Merge(existing, added []Tag) []Tag {
	out := slices.Clone(existing)
	for _, t := range added {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}

// Remove drops the tags with the given keys; keys that are absent are
// ignored, as AWS does.
func Remove(existing []Tag, keys []string) []Tag {
	return slices.DeleteFunc(slices.Clone(existing), func(t Tag) bool { return slices.Contains(keys, t.Key) })
}

// FromMap and ToMap convert to and from the map form some services store;
// ToMap's result is nil for no tags, FromMap's is sorted by key.
func FromMap(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ToMap returns tags as a map.
func ToMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
