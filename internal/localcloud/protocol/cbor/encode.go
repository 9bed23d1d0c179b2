package cbor

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Timestamp is implemented by response types that are timestamps but not
// time.Time (the awsJson-friendly types services use): they go out as tag 1.
type Timestamp interface {
	CBORTime() time.Time
}

// Marshal encodes v the way Smithy RPC v2 CBOR carries a shape. Structs are
// maps keyed by their JSON names (the `json` tag, else the Go name), so the
// same response types serve awsJson and CBOR: nil pointers, slices, maps and
// interfaces are left out (Smithy reads an absent member as unset), and so
// are zero values of `omitempty` fields; time.Time and Timestamp values are
// tag 1 over epoch seconds; []byte is a byte string.
func Marshal(v any) ([]byte, error) {
	var e encoder
	if err := e.value(reflect.ValueOf(v), 0); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

type encoder struct{ buf bytes.Buffer }

func (e *encoder) head(major byte, n uint64) {
	switch {
	case n < 24:
		e.buf.WriteByte(major<<5 | byte(n))
	case n <= math.MaxUint8:
		e.buf.WriteByte(major<<5 | 24)
		e.buf.WriteByte(byte(n))
	case n <= math.MaxUint16:
		e.buf.WriteByte(major<<5 | 25)
		e.buf.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
	case n <= math.MaxUint32:
		e.buf.WriteByte(major<<5 | 26)
		e.buf.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	default:
		e.buf.WriteByte(major<<5 | 27)
		e.buf.Write(binary.BigEndian.AppendUint64(nil, n))
	}
}

func (e *encoder) float(f float64) {
	e.buf.WriteByte(7<<5 | 27)
	e.buf.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(f)))
}

func (e *encoder) time(t time.Time) {
	e.head(6, 1)
	e.float(float64(t.UnixMilli()) / 1000)
}

func (e *encoder) text(s string) {
	e.head(3, uint64(len(s)))
	e.buf.WriteString(s)
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	epochType     = reflect.TypeFor[Epoch]()
	timestampType = reflect.TypeFor[Timestamp]()
)

func (e *encoder) value(v reflect.Value, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("cbor: value nested deeper than %d", MaxDepth)
	}
	if !v.IsValid() {
		e.buf.WriteByte(0xf6)
		return nil
	}
	if v.Type() == epochType {
		e.head(6, 1)
		e.float(v.Float())
		return nil
	}
	if v.Type() == timeType {
		e.time(v.Interface().(time.Time))
		return nil
	}
	if v.Type().Implements(timestampType) && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		e.time(v.Interface().(Timestamp).CBORTime())
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf.WriteByte(0xf6)
			return nil
		}
		// An interface adds no CBOR nesting: what Decode gives back
		// (arrays of any) must encode as deep as it decoded. A pointer
		// counts, so that a value pointing to itself ends here.
		if v.Kind() == reflect.Interface {
			return e.value(v.Elem(), depth)
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Bool:
		if v.Bool() {
			e.buf.WriteByte(0xf5)
		} else {
			e.buf.WriteByte(0xf4)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n >= 0 {
			e.head(0, uint64(n))
		} else {
			e.head(1, uint64(-1-n))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.head(0, v.Uint())
	case reflect.Float32, reflect.Float64:
		e.float(v.Float())
	case reflect.String:
		e.text(v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			e.head(2, uint64(len(b)))
			e.buf.Write(b)
			return nil
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			e.buf.WriteByte(0xf6)
			return nil
		}
		e.head(4, uint64(v.Len()))
		for i := range v.Len() {
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("cbor: map key type %s is not a string", v.Type().Key())
		}
		if v.IsNil() {
			e.buf.WriteByte(0xf6)
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.head(5, uint64(len(keys)))
		for _, k := range keys {
			e.text(k.String())
			if err := e.value(v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		return e.structure(v, depth)
	default:
		return fmt.Errorf("cbor: cannot encode a %s", v.Type())
	}
	return nil
}

type field struct {
	name      string
	value     reflect.Value
	omitEmpty bool
}

// fields lists a struct's members as encoding/json would name them,
// flattening embedded structs that carry no name of their own.
func fields(v reflect.Value, out []field) []field {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			fv := v.Field(i)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				out = fields(fv, out)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name: name, value: v.Field(i), omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

func (e *encoder) structure(v reflect.Value, depth int) error {
	var present []field
	for _, f := range fields(v, nil) {
		if absent(f.value) || (f.omitEmpty && empty(f.value)) {
			continue
		}
		present = append(present, f)
	}
	e.head(5, uint64(len(present)))
	for _, f := range present {
		e.text(f.name)
		if err := e.value(f.value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func absent(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	}
	return false
}

// empty is encoding/json's idea of an omitempty-able value.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Struct:
		if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
			return z.IsZero()
		}
	}
	return false
}

// ToJSON renders a decoded value as JSON for the awsJson request types:
// tag 1 timestamps become epoch-second numbers, byte strings base64 (as
// encoding/json reads []byte), and non-finite floats the strings Smithy's
// JSON protocols use for them.
func ToJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := appendJSON(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendJSON(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case uint64:
		buf.WriteString(strconv.FormatUint(x, 10))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsNaN(x):
			buf.WriteString(`"NaN"`)
		case math.IsInf(x, 1):
			buf.WriteString(`"Infinity"`)
		case math.IsInf(x, -1):
			buf.WriteString(`"-Infinity"`)
		default:
			buf.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case Epoch:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("cbor: timestamp is not a finite number")
		}
		buf.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
	case string:
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		buf.Write(b)
	case []byte:
		buf.WriteByte('"')
		buf.WriteString(base64.StdEncoding.EncodeToString(x))
		buf.WriteByte('"')
	case []any:
		buf.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendJSON(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := appendJSON(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("cbor: no JSON form for %T", v)
	}
	return nil
}
