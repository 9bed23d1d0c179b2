package model

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Violation is one broken constraint of a request, in the terms AWS's
// front ends report it.
type Violation struct {
	// Path is the member's path as AWS writes it: lowerCamel names joined
	// by dots, list items as "name.1.member" (1-based).
	Path string
	// WireName is the name the member travels under in an EC2 form
	// (MissingParameter names it so).
	WireName string
	// Value is the offending value, rendered; "" with Null for an absent
	// required member. Sensitive values are never rendered.
	Value string
	Null  bool
	// Constraint is AWS's wording: "Member must not be null", "Member must
	// have length less than or equal to 255", …
	Constraint string
}

// Required reports whether the violation is a missing required member.
func (v Violation) Required() bool { return v.Null }

func (v Violation) String() string {
	if v.Null {
		return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: %s", v.Path, v.Constraint)
	}
	return fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", v.Value, v.Path, v.Constraint)
}

// Message is the message AWS sends for a request's violations: "1
// validation error detected: Value … ; Value …".
func Message(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	noun := "errors"
	if len(vs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(vs), noun, strings.Join(parts, "; "))
}

// maxViolations bounds how many violations one answer lists; a request
// with thousands of bad members gets the first ones.
const maxViolations = 10

// Validate checks a request tree against an operation's input shape:
// required members, enums, lengths, ranges and patterns. It returns nil
// for a valid request, and for an operation the model does not have.
//
// EC2 (ec2 true) is checked for required members only: unlike the other
// services' front ends, EC2 does not enforce its model's enums and lengths
// generically but answers each with its own code (InvalidInstanceType,
// InvalidLaunchTemplateName.MalformedException, …), which its handlers
// give.
func (s *Service) Validate(opName string, input map[string]any, ec2 bool) []Violation {
	op := s.Operation(opName)
	if op == nil || op.Input == "" {
		return nil
	}
	v := validator{svc: s, ec2: ec2}
	v.structure(s.Shapes[op.Input], input, "", "", 0)
	return v.out
}

type validator struct {
	svc *Service
	ec2 bool
	out []Violation
}

func (v *validator) add(viol Violation) {
	if len(v.out) < maxViolations {
		v.out = append(v.out, viol)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func (v *validator) structure(shape *Shape, value map[string]any, path, wirePath string, depth int) {
	if shape == nil || depth > maxDepth {
		return
	}
	for _, name := range shape.Required {
		m := shape.Members[name]
		if m == nil || m.Location != "" { // members in headers or the URI are not in the body
			continue
		}
		if value[name] == nil {
			v.add(Violation{Path: join(path, lowerFirst(name)), WireName: join(wirePath, MemberKey(name, m, v.ec2)),
				Null: true, Constraint: "Member must not be null"})
		}
	}
	for _, name := range shape.memberNames() {
		if val, ok := value[name]; ok && val != nil {
			m := shape.Members[name]
			v.member(m, val, join(path, lowerFirst(name)), join(wirePath, MemberKey(name, m, v.ec2)), depth+1)
		}
	}
}

func (v *validator) member(ref *Member, value any, path, wirePath string, depth int) {
	shape := v.svc.Shapes[ref.Shape]
	if shape == nil || depth > maxDepth {
		return
	}
	if v.ec2 && shape.Type != "structure" && shape.Type != "list" {
		return // required members only, see Validate
	}
	switch shape.Type {
	case "structure":
		if m, ok := value.(map[string]any); ok {
			v.structure(shape, m, path, wirePath+".", depth)
		}
	case "list":
		items, ok := value.([]any)
		if !ok {
			return
		}
		if !v.ec2 {
			v.length(shape, len(items), path, wirePath, func() string { return renderList(items) })
		}
		for i, item := range items {
			if item != nil {
				n := strconv.Itoa(i + 1)
				v.member(shape.Member, item, path+"."+n+".member", wirePath+"."+n, depth+1)
			}
		}
	case "map":
		entries, ok := value.(map[string]any)
		if !ok {
			return
		}
		v.length(shape, len(entries), path, wirePath, func() string { return fmt.Sprintf("{%d entries}", len(entries)) })
		for k, item := range entries {
			if shape.Key != nil {
				v.member(shape.Key, k, path+".key", wirePath, depth+1)
			}
			if item != nil && shape.Value != nil {
				v.member(shape.Value, item, path+"."+k+".member", wirePath, depth+1)
			}
		}
	case "string":
		str, ok := value.(string)
		if !ok {
			return
		}
		render := func() string { return redact(shape, str) }
		if len(shape.Enum) > 0 && !contains(shape.Enum, str) {
			v.add(Violation{Path: path, WireName: wirePath, Value: render(),
				Constraint: "Member must satisfy enum value set: [" + strings.Join(shape.Enum, ", ") + "]"})
			return
		}
		v.length(shape, utf8.RuneCountInString(str), path, wirePath, render)
		if re := pattern(shape.Pattern); re != nil && !re.MatchString(str) {
			v.add(Violation{Path: path, WireName: wirePath, Value: render(),
				Constraint: "Member must satisfy regular expression pattern: " + shape.Pattern})
		}
	case "integer", "long", "float", "double", "short", "byte":
		n, ok := number(value)
		if !ok {
			return
		}
		render := func() string { return strings.TrimSuffix(fmt.Sprint(value), ".0") }
		if shape.Min != nil && n < *shape.Min {
			v.add(Violation{Path: path, WireName: wirePath, Value: render(),
				Constraint: "Member must have value greater than or equal to " + formatBound(*shape.Min)})
		} else if shape.Max != nil && n > *shape.Max {
			v.add(Violation{Path: path, WireName: wirePath, Value: render(),
				Constraint: "Member must have value less than or equal to " + formatBound(*shape.Max)})
		}
	}
}

// length checks a string's, list's or map's length against min and max.
func (v *validator) length(shape *Shape, n int, path, wirePath string, render func() string) {
	switch {
	case shape.Min != nil && float64(n) < *shape.Min:
		v.add(Violation{Path: path, WireName: wirePath, Value: render(),
			Constraint: "Member must have length greater than or equal to " + formatBound(*shape.Min)})
	case shape.Max != nil && float64(n) > *shape.Max:
		v.add(Violation{Path: path, WireName: wirePath, Value: render(),
			Constraint: "Member must have length less than or equal to " + formatBound(*shape.Max)})
	}
}

func redact(shape *Shape, s string) string {
	if shape.Sensitive {
		return "***"
	}
	if len(s) > 256 {
		return s[:256] + "…"
	}
	return s
}

func renderList(items []any) string {
	parts := make([]string, 0, len(items))
	for i, it := range items {
		if i == 10 {
			parts = append(parts, "…")
			break
		}
		if s, ok := it.(string); ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, fmt.Sprint(it))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	patternsMu sync.Mutex
	patterns   = map[string]*regexp.Regexp{}
)

// javaEscape matches the \uXXXX escapes of the models' (Java-flavoured)
// patterns, which Go's RE2 writes \x{XXXX}.
var (
	javaEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)
	surrogate  = regexp.MustCompile(`\\u[dD][89a-fA-F]`)
)

// pattern compiles a model's pattern once. A pattern RE2 cannot express
// (look-arounds, surrogate ranges) is not enforced: a request is never
// refused on a constraint the local cloud cannot evaluate exactly.
func pattern(p string) *regexp.Regexp {
	if p == "" {
		return nil
	}
	patternsMu.Lock()
	defer patternsMu.Unlock()
	if re, ok := patterns[p]; ok {
		return re
	}
	var re *regexp.Regexp
	if !surrogate.MatchString(p) {
		// AWS's front ends match the whole value (Java's matches()), so
		// "[a-z]+" refuses "a b": anchor the pattern.
		re, _ = regexp.Compile(`^(?:` + javaEscape.ReplaceAllString(p, `\x{$1}`) + `)$`)
	}
	patterns[p] = re
	return re
}
