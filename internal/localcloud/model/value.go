package model

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A request's members as a generic tree, the same for every protocol, so
// that one validator serves them all: structures and maps are
// map[string]any, lists []any, and scalars string, json.Number, bool or
// nil (query and EC2 forms carry every scalar as a string).

// maxDepth bounds how deep a request tree is followed: models have
// recursive shapes, and a hostile body can nest without end.
const maxDepth = 32

// FromJSON reads an awsJson body. An empty body is {}.
func FromJSON(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// FromForm reads a query or EC2 form into the tree of the named input
// shape, following the protocol's naming of members, lists and maps. Keys
// the shape does not name are ignored, as AWS ignores them.
func (s *Service) FromForm(form url.Values, shape string, ec2 bool) map[string]any {
	d := formDecoder{svc: s, form: form, ec2: ec2}
	v, _ := d.structure(s.Shapes[shape], "", 0).(map[string]any)
	if v == nil {
		v = map[string]any{}
	}
	return v
}

type formDecoder struct {
	svc  *Service
	form url.Values
	ec2  bool
	// checkedOnly reads only the members validation looks at: those
	// required where they are, and those that can break a constraint.
	checkedOnly bool
}

// MemberKey is the name a structure member travels under in a form: EC2
// takes its queryName, else its locationName capitalised, else its name
// capitalised; query takes its locationName, else its name.
func MemberKey(name string, m *Member, ec2 bool) string {
	if ec2 {
		switch {
		case m.QueryName != "":
			return m.QueryName
		case m.LocationName != "":
			return upperFirst(m.LocationName)
		default:
			return upperFirst(name)
		}
	}
	if m.LocationName != "" {
		return m.LocationName
	}
	return name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// present reports whether the form has prefix itself or anything under it.
func (d *formDecoder) present(prefix string) bool {
	if _, ok := d.form[prefix]; ok {
		return true
	}
	for k := range d.form {
		if strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

func (d *formDecoder) value(ref *Member, key string, depth int) (any, bool) {
	if ref == nil || depth > maxDepth {
		return nil, false
	}
	shape := d.svc.Shapes[ref.Shape]
	if shape == nil {
		return nil, false
	}
	switch shape.Type {
	case "structure":
		if !d.present(key) {
			return nil, false
		}
		return d.structure(shape, key+".", depth+1), true
	case "list":
		return d.list(ref, shape, key, depth)
	case "map":
		return d.mapOf(ref, shape, key, depth)
	default:
		v, ok := d.form[key]
		if !ok {
			return nil, false
		}
		if len(v) == 0 {
			return "", true
		}
		return v[0], true
	}
}

func (d *formDecoder) structure(shape *Shape, prefix string, depth int) any {
	if shape == nil {
		return nil
	}
	out := map[string]any{}
	for name, m := range shape.Members {
		if d.checkedOnly && !d.svc.mayFail(d.svc.Shapes[m.Shape], d.ec2) && !slices.Contains(shape.Required, name) {
			continue
		}
		if v, ok := d.value(m, prefix+MemberKey(name, m, d.ec2), depth); ok {
			out[name] = v
		}
	}
	return out
}

func (d *formDecoder) list(ref *Member, shape *Shape, key string, depth int) (any, bool) {
	if v, ok := d.form[key]; ok && len(v) > 0 && v[0] == "" && !d.present(key+".1") {
		return []any{}, true // query sends an empty list as "Key="
	}
	itemPrefix := key + "."
	if !d.ec2 && !ref.Flattened && !shape.Flattened {
		item := "member"
		if shape.Member != nil && shape.Member.LocationName != "" {
			item = shape.Member.LocationName
		}
		itemPrefix += item + "."
	}
	var out []any
	for i := 1; ; i++ {
		v, ok := d.value(shape.Member, itemPrefix+strconv.Itoa(i), depth+1)
		if !ok {
			break
		}
		out = append(out, v)
	}
	if out == nil {
		return nil, false
	}
	return out, true
}

func (d *formDecoder) mapOf(ref *Member, shape *Shape, key string, depth int) (any, bool) {
	entryPrefix := key + "."
	if !ref.Flattened && !shape.Flattened {
		entryPrefix += "entry."
	}
	keyName, valueName := "key", "value"
	if shape.Key != nil && shape.Key.LocationName != "" {
		keyName = shape.Key.LocationName
	}
	if shape.Value != nil && shape.Value.LocationName != "" {
		valueName = shape.Value.LocationName
	}
	out := map[string]any{}
	for i := 1; ; i++ {
		entry := entryPrefix + strconv.Itoa(i) + "."
		k, ok := d.form[entry+keyName]
		if !ok || len(k) == 0 {
			break
		}
		v, _ := d.value(shape.Value, entry+valueName, depth+1)
		out[k[0]] = v
	}
	if len(out) == 0 {
		return nil, false
	}
	return out, true
}
