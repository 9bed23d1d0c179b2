package model

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The router validates a request by walking only the members that can
// break a constraint, reads a form only as far as that walk needs, and
// skips operations where nothing can fail (NeedsValidation). These tests
// hold that pruning to the exhaustive walk over every member: for every
// operation of every model, requests with every member set (to values that
// break their constraints, and to values that keep them) and empty ones
// get exactly the same violations, in the same order.

// exhaustive validates tree walking every member present.
func exhaustive(s *Service, opName string, tree map[string]any, ec2 bool) []Violation {
	op := s.Operation(opName)
	if op == nil || op.Input == "" {
		return nil
	}
	v := validator{svc: s, ec2: ec2, exhaustive: true}
	v.structure(s.Shapes[op.Input], tree, "", "", 0)
	return v.out
}

func TestPrunedValidationReportsWhatTheExhaustiveWalkReports(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var compared, failing, skipped int
	for _, name := range sortedKeys(all) {
		s := all[name]
		proto := s.Metadata.Protocol
		ec2 := proto == "ec2"
		form := proto == "query" || ec2
		for _, opName := range sortedKeys(s.Operations) {
			op := s.Operations[opName]
			if op.Input == "" {
				continue
			}
			input := s.Shapes[op.Input]
			for _, bad := range []bool{true, false} {
				trees := []map[string]any{{}, requestTree(s, input, bad, form, 0).(map[string]any)}
				for _, tree := range trees {
					want := exhaustive(s, opName, tree, ec2)
					if len(want) > 0 {
						failing++
						if !s.NeedsValidation(opName, ec2) {
							t.Errorf("%s %s: NeedsValidation is false, yet the request breaks %v", name, opName, want)
						}
					} else if !s.NeedsValidation(opName, ec2) {
						skipped++
					}
					if got := s.Validate(opName, tree, ec2); !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s tree %v:\n pruned     %v\n exhaustive %v", name, opName, tree, got, want)
					}
					if !form {
						body, err := json.Marshal(tree)
						if err != nil {
							t.Fatal(err)
						}
						compareJSON(t, s, opName, body)
					}
					if form {
						values := url.Values{}
						formOf(s, input, tree, "", ec2, values)
						want := exhaustive(s, opName, s.FromForm(values, op.Input, ec2), ec2)
						if got := s.ValidateForm(opName, values, ec2); !reflect.DeepEqual(got, want) {
							t.Errorf("%s %s form %v:\n pruned     %v\n exhaustive %v", name, opName, values, got, want)
						}
					}
					compared++
				}
			}
		}
	}
	for _, body := range []string{"", "  ", "null", "[]", `"x"`, `{"a":1} trailing`, `{`, `{"clusters":null}`} {
		compareJSON(t, all["ecs"], "DescribeClusters", []byte(body))
		compareJSON(t, all["ecs"], "CreateService", []byte(body))
	}
	// The generated requests must exercise both sides: broken constraints,
	// and operations that are skipped outright.
	if failing == 0 || skipped == 0 {
		t.Fatalf("of %d requests compared, %d broke a constraint and %d were skipped: the generator misses a side", compared, failing, skipped)
	}
	t.Logf("%d requests compared, %d with violations, %d skipped without a walk", compared, failing, skipped)
}

// compareJSON checks ValidateJSON against the exhaustive walk of
// FromJSON's tree, unreadable bodies included.
func compareJSON(t *testing.T, s *Service, opName string, body []byte) {
	t.Helper()
	tree, treeErr := FromJSON(body)
	got, err := s.ValidateJSON(opName, body)
	if (err != nil) != (treeErr != nil) && s.NeedsValidation(opName, false) {
		t.Errorf("%s %s body %q: ValidateJSON error %v, FromJSON error %v", s.Name, opName, body, err, treeErr)
		return
	}
	if treeErr != nil {
		return
	}
	if want := exhaustive(s, opName, tree, false); !reflect.DeepEqual(got, want) {
		t.Errorf("%s %s body %s:\n pruned     %v\n exhaustive %v", s.Name, opName, body, got, want)
	}
}

// requestTree builds a value of shape as the protocol's reader would: every
// member set, to a value that breaks the shape's constraints (bad) or one
// that keeps them. Form values are strings, JSON numbers json.Number.
// Recursive shapes stop at a small depth.
func requestTree(s *Service, shape *Shape, bad, form bool, depth int) any {
	if shape == nil {
		return nil
	}
	switch shape.Type {
	case "structure":
		out := map[string]any{}
		if depth > 4 {
			return out
		}
		for _, name := range shape.memberNames() {
			m := shape.Members[name]
			if m.Location != "" {
				continue
			}
			if v := requestTree(s, s.Shapes[m.Shape], bad, form, depth+1); v != nil {
				out[name] = v
			}
		}
		return out
	case "list":
		if depth > 4 {
			return []any{}
		}
		item := requestTree(s, s.Shapes[shape.Member.Shape], bad, form, depth+1)
		if item == nil {
			return []any{}
		}
		return []any{item}
	case "map":
		if depth > 4 || shape.Value == nil {
			return nil
		}
		key := "k"
		if bad {
			key = ""
		}
		// One entry: violations of several would come in map order.
		return map[string]any{key: requestTree(s, s.Shapes[shape.Value.Shape], bad, form, depth+1)}
	case "string":
		return stringValue(shape, bad)
	case "integer", "long", "float", "double", "short", "byte":
		n := 1.0
		switch {
		case bad && shape.Min != nil:
			n = *shape.Min - 1
		case bad && shape.Max != nil:
			n = *shape.Max + 1
		case shape.Min != nil:
			n = *shape.Min
		}
		if form {
			return formatBound(n)
		}
		return json.Number(formatBound(n))
	case "boolean":
		if form {
			return "true"
		}
		return true
	default: // timestamps, blobs
		return "2026-01-02T03:04:05Z"
	}
}

func stringValue(shape *Shape, bad bool) string {
	if len(shape.Enum) > 0 {
		if bad {
			return "NOT-AN-ENUM-VALUE"
		}
		return shape.Enum[0]
	}
	n := 3
	if shape.Min != nil {
		n = max(n, int(*shape.Min))
	}
	if shape.Max != nil {
		n = min(n, int(*shape.Max))
	}
	if bad {
		if shape.Min != nil && *shape.Min > 0 {
			return ""
		}
		if shape.Max != nil && *shape.Max < 300 {
			return strings.Repeat("x", int(*shape.Max)+1)
		}
		return "bad value \x00!"
	}
	return strings.Repeat("a", min(n, 64))
}

// formOf writes tree into values the way FromForm reads it back.
func formOf(s *Service, shape *Shape, value any, prefix string, ec2 bool, values url.Values) {
	switch shape.Type {
	case "structure":
		m, _ := value.(map[string]any)
		for name, member := range shape.Members {
			if v, ok := m[name]; ok {
				key := prefix + MemberKey(name, member, ec2)
				if s.Shapes[member.Shape].Type == "structure" {
					key += "."
				}
				formOf(s, s.Shapes[member.Shape], v, key, ec2, values)
			}
		}
	case "list":
		items, _ := value.([]any)
		if len(items) == 0 {
			values.Set(prefix, "")
			return
		}
		itemPrefix := prefix + "."
		if !ec2 && !shape.Flattened {
			item := "member"
			if shape.Member.LocationName != "" {
				item = shape.Member.LocationName
			}
			itemPrefix += item + "."
		}
		for i, item := range items {
			key := itemPrefix + strconv.Itoa(i+1)
			if s.Shapes[shape.Member.Shape].Type == "structure" {
				key += "."
			}
			formOf(s, s.Shapes[shape.Member.Shape], item, key, ec2, values)
		}
	case "map":
		entries, _ := value.(map[string]any)
		entryPrefix := prefix + "."
		if !shape.Flattened {
			entryPrefix += "entry."
		}
		keyName, valueName := "key", "value"
		if shape.Key != nil && shape.Key.LocationName != "" {
			keyName = shape.Key.LocationName
		}
		if shape.Value.LocationName != "" {
			valueName = shape.Value.LocationName
		}
		i := 0
		for k, v := range entries {
			i++
			entry := entryPrefix + strconv.Itoa(i) + "."
			values.Set(entry+keyName, k)
			key := entry + valueName
			if s.Shapes[shape.Value.Shape].Type == "structure" {
				key += "."
			}
			formOf(s, s.Shapes[shape.Value.Shape], v, key, ec2, values)
		}
	default:
		values.Set(strings.TrimSuffix(prefix, "."), fmt.Sprint(value))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
