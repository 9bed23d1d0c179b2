package query

import (
	"encoding"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ListStyle says how a protocol flattens lists into form keys.
type ListStyle int

const (
	// Members is the query protocol's style: Subnets.member.1=a.
	Members ListStyle = iota
	// Flat is the EC2 protocol's style: SubnetId.1=a (the key is the
	// member's ec2 name, given by the field's query tag).
	Flat
)

// DecodeForm fills the struct that v points to from form values. A field's
// key is its `query:"Name"` tag, else its Go name; `query:"-"` skips it.
// Supported: strings, bools, integers, floats, time.Time (ISO 8601),
// encoding.TextUnmarshaler implementations,
// pointers to those, structs, slices and map[string]string.
func DecodeForm(values url.Values, v any, style ListStyle) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode form: want a pointer to a struct, got %T", v)
	}
	d := formDecoder{values: values, style: style}
	return d.decodeStruct("", rv.Elem())
}

type formDecoder struct {
	values url.Values
	style  ListStyle
}

// FieldError names the form key whose value could not be decoded.
type FieldError struct {
	Key, Value string
	Err        error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid value %q for parameter %s: %v", e.Value, e.Key, e.Err)
}

// Unwrap is why the value did not fit.
func (e *FieldError) Unwrap() error { return e.Err }

func (d *formDecoder) has(prefix string) bool {
	if _, ok := d.values[prefix]; ok {
		return true
	}
	for k := range d.values {
		if strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (d *formDecoder) decodeStruct(prefix string, rv reflect.Value) error {
	rt := rv.Type()
	for i := range rt.NumField() {
		field := rt.Field(i)
		if !field.IsExported() {
			continue
		}
		name := field.Name
		if tag, ok := field.Tag.Lookup("query"); ok {
			if tag == "-" {
				continue
			}
			name = tag
		}
		if err := d.decode(join(prefix, name), rv.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func (d *formDecoder) decode(key string, rv reflect.Value) error {
	if !d.has(key) {
		return nil
	}
	if rv.Kind() != reflect.Pointer && rv.CanAddr() && rv.Type() != reflect.TypeFor[time.Time]() {
		if u, ok := rv.Addr().Interface().(encoding.TextUnmarshaler); ok { // a service's own timestamp type, say
			raw := d.values.Get(key)
			if err := u.UnmarshalText([]byte(raw)); err != nil {
				return &FieldError{Key: key, Value: raw, Err: err}
			}
			return nil
		}
	}
	switch rv.Kind() {
	case reflect.Pointer:
		elem := reflect.New(rv.Type().Elem())
		if err := d.decode(key, elem.Elem()); err != nil {
			return err
		}
		rv.Set(elem)
		return nil
	case reflect.Struct:
		if rv.Type() == reflect.TypeFor[time.Time]() {
			return d.scalar(key, rv)
		}
		return d.decodeStruct(key, rv)
	case reflect.Slice:
		return d.decodeList(key, rv)
	case reflect.Map:
		return d.decodeMap(key, rv)
	default:
		return d.scalar(key, rv)
	}
}

// indexes returns the list positions present under prefix ("X.member."),
// sorted, so sparse or unordered keys still decode in order.
func (d *formDecoder) indexes(prefix string) ([]int, error) {
	seen := map[int]bool{}
	for k := range d.values {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		head, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(head)
		if err != nil || n < 1 {
			return nil, &FieldError{Key: k, Value: d.values.Get(k), Err: fmt.Errorf("list index %q is not a positive number", head)}
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out, nil
}

func (d *formDecoder) decodeList(key string, rv reflect.Value) error {
	itemPrefix := key + "."
	if d.style == Members {
		itemPrefix = key + ".member."
	}
	idx, err := d.indexes(itemPrefix)
	if err != nil {
		return err
	}
	list := reflect.MakeSlice(rv.Type(), 0, len(idx)) // "Key=" alone means an empty, not an absent, list
	for _, n := range idx {
		elem := reflect.New(rv.Type().Elem()).Elem()
		if err := d.decode(itemPrefix+strconv.Itoa(n), elem); err != nil {
			return err
		}
		list = reflect.Append(list, elem)
	}
	rv.Set(list)
	return nil
}

func (d *formDecoder) decodeMap(key string, rv reflect.Value) error {
	if rv.Type().Key().Kind() != reflect.String || rv.Type().Elem().Kind() != reflect.String {
		return fmt.Errorf("decode form: %s: only map[string]string is supported", key)
	}
	entryPrefix := key + ".entry."
	idx, err := d.indexes(entryPrefix)
	if err != nil {
		return err
	}
	m := reflect.MakeMapWithSize(rv.Type(), len(idx))
	for _, n := range idx {
		base := entryPrefix + strconv.Itoa(n)
		m.SetMapIndex(reflect.ValueOf(d.values.Get(base+".key")).Convert(rv.Type().Key()),
			reflect.ValueOf(d.values.Get(base+".value")).Convert(rv.Type().Elem()))
	}
	rv.Set(m)
	return nil
}

func (d *formDecoder) scalar(key string, rv reflect.Value) error {
	raw := d.values.Get(key)
	fail := func(err error) error { return &FieldError{Key: key, Value: raw, Err: err} }
	switch rv.Kind() {
	case reflect.String:
		rv.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fail(fmt.Errorf("want true or false"))
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, rv.Type().Bits())
		if err != nil {
			return fail(fmt.Errorf("want an integer"))
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, rv.Type().Bits())
		if err != nil {
			return fail(fmt.Errorf("want a non-negative integer"))
		}
		rv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(raw, rv.Type().Bits())
		if err != nil {
			return fail(fmt.Errorf("want a number"))
		}
		rv.SetFloat(f)
	case reflect.Struct: // time.Time, the only struct decode() sends here
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return fail(fmt.Errorf("want an ISO 8601 timestamp"))
		}
		rv.Set(reflect.ValueOf(t))
	default:
		return fmt.Errorf("decode form: %s: unsupported type %s", key, rv.Type())
	}
	return nil
}
