package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
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

// NeedsValidation reports whether a request of the operation can break
// any constraint Validate checks. When it cannot (most EC2 reads: EC2 is
// checked for required members only), the router skips reading the
// request into a tree at all.
func (s *Service) NeedsValidation(opName string, ec2 bool) bool {
	op := s.Operation(opName)
	return op != nil && op.Input != "" && s.mayFail(s.Shapes[op.Input], ec2)
}

// ValidateForm is Validate for a query or EC2 form: it reads only the
// members that can break a constraint (FromForm reads them all) and
// reports exactly what Validate reports for FromForm's tree.
func (s *Service) ValidateForm(opName string, form url.Values, ec2 bool) []Violation {
	op := s.Operation(opName)
	if op == nil || op.Input == "" || !s.mayFail(s.Shapes[op.Input], ec2) {
		return nil
	}
	d := formDecoder{svc: s, form: form, ec2: ec2, checkedOnly: true}
	tree, _ := d.structure(s.Shapes[op.Input], "", 0).(map[string]any)
	return s.Validate(opName, tree, ec2)
}

// ValidateJSON is Validate for an awsJson body: of the top-level members
// it decodes only those that are required or can break a constraint (the
// rest are skipped over, unparsed), and reports exactly what Validate
// reports for FromJSON's tree. A body FromJSON cannot read is an error.
func (s *Service) ValidateJSON(opName string, body []byte) ([]Violation, error) {
	op := s.Operation(opName)
	if op == nil || op.Input == "" {
		return nil, nil
	}
	input := s.Shapes[op.Input]
	if !s.mayFail(input, false) {
		return nil, nil
	}
	var raw map[string]json.RawMessage
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
	}
	var tree map[string]any
	if raw != nil || len(bytes.TrimSpace(body)) == 0 {
		tree = make(map[string]any, len(raw))
	}
	for name, value := range raw {
		m := input.Members[name]
		if m == nil || (!s.mayFail(s.Shapes[m.Shape], false) && !slices.Contains(input.Required, name)) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(value))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		tree[name] = v
	}
	return s.Validate(opName, tree, false), nil
}

type validator struct {
	svc *Service
	ec2 bool
	out []Violation
	// exhaustive walks every member, also those that cannot break a
	// constraint: the reference the pruned walk is tested against.
	exhaustive bool
}

// follows reports whether the walk descends into a member of the shape
// named ref.
func (v *validator) follows(ref *Member) bool {
	return v.exhaustive || (ref != nil && v.svc.mayFail(v.svc.Shapes[ref.Shape], v.ec2))
}

// mayFail reports whether a value of shape, or of anything the validator
// follows from it, can break a constraint: a required member, an enum, a
// length, a range or a pattern. It is decided once per shape and
// protocol flavour, so a request walks only the members that can fail —
// for a typical read, none.
func (s *Service) mayFail(shape *Shape, ec2 bool) bool {
	if shape == nil {
		return false
	}
	i := 0
	if ec2 {
		i = 1
	}
	shape.mayFailOnce[i].Do(func() { shape.mayFail[i] = s.reachesConstraint(shape, ec2) })
	return shape.mayFail[i]
}

// reachesConstraint searches the shapes the validator follows from start
// (models are recursive, so it keeps a visited set rather than recursing
// into mayFail) for one with a constraint of its own.
func (s *Service) reachesConstraint(start *Shape, ec2 bool) bool {
	seen := map[*Shape]bool{start: true}
	queue := []*Shape{start}
	for len(queue) > 0 {
		shape := queue[0]
		queue = queue[1:]
		if constrained(shape, ec2) {
			return true
		}
		for _, ref := range followed(shape, ec2) {
			if next := s.Shapes[ref.Shape]; next != nil && !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return false
}

// constrained reports whether shape itself has a constraint that the
// validator checks (see member and structure: EC2 is checked for required
// members only).
func constrained(shape *Shape, ec2 bool) bool {
	if shape.Type == "structure" {
		for _, name := range shape.Required {
			if m := shape.Members[name]; m != nil && m.Location == "" {
				return true
			}
		}
		return false
	}
	if ec2 {
		return false
	}
	switch shape.Type {
	case "list", "map":
		return shape.Min != nil || shape.Max != nil
	case "string":
		return len(shape.Enum) > 0 || shape.Min != nil || shape.Max != nil || shape.Pattern != ""
	case "integer", "long", "float", "double", "short", "byte":
		return shape.Min != nil || shape.Max != nil
	}
	return false
}

// followed are the references the validator descends into from shape.
func followed(shape *Shape, ec2 bool) []*Member {
	var refs []*Member
	switch shape.Type {
	case "structure":
		for _, name := range shape.memberNames() {
			refs = append(refs, shape.Members[name])
		}
	case "list":
		refs = append(refs, shape.Member)
	case "map":
		if !ec2 {
			refs = append(refs, shape.Key, shape.Value)
		}
	}
	return slices.DeleteFunc(refs, func(m *Member) bool { return m == nil })
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
			if m := shape.Members[name]; v.follows(m) {
				v.member(m, val, join(path, lowerFirst(name)), join(wirePath, MemberKey(name, m, v.ec2)), depth+1)
			}
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
		if !v.follows(shape.Member) {
			return
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
		keys, values := shape.Key != nil && v.follows(shape.Key), shape.Value != nil && v.follows(shape.Value)
		if !keys && !values {
			return
		}
		for k, item := range entries {
			if keys {
				v.member(shape.Key, k, path+".key", wirePath, depth+1)
			}
			if item != nil && values {
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
