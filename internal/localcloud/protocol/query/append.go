package query

import (
	"encoding"
	"encoding/xml"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// encoding/xml spends most of a query or EC2 read call: it walks its type
// information, builds tokens, checks namespaces and escapes through an
// io.Writer for every element. The response shapes use a small part of
// what it can do (elements, a>b parents, omitempty, chardata, text
// marshalers, the protocols' lists and maps), so for those a plan worked
// out once per type appends the same bytes straight to a buffer. A type
// that uses anything else (attributes, XMLName, embedded structs, other
// Marshalers, interfaces) has no plan, and its responses are written by
// encoding/xml as before: the plan is an optimisation, never a second
// dialect. TestAppendXMLMatchesEncodingXML holds the two to the same bytes
// for every response shape of every query and EC2 service.

// ListItem is implemented by the protocols' wrapped list types: it names
// the element each item is written as ("member", or EC2's "item").
type ListItem interface{ ListItem() string }

// ListItem names the element of each item of a query list.
func (List[T]) ListItem() string { return "member" }

// AppendElement appends v encoded as the element name, exactly as
// encoding/xml's EncodeElement would; ok is false, and nothing is appended,
// when v's type has no plan (use encoding/xml then).
func AppendElement(b []byte, name string, v any) (out []byte, ok bool, err error) {
	rv := reflect.ValueOf(v)
	p := planOf(rv.Type())
	if p == nil {
		return b, false, nil
	}
	out, err = p.write(b, name, rv)
	return out, true, err
}

// AppendContent appends what encoding/xml writes between the start and
// end tags of v, a pointer to a struct (EC2's replies splice their request
// id in before it); ok is false when v's type has no plan.
func AppendContent(b []byte, v any) (out []byte, ok bool, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return b, false, nil
	}
	p := planOf(rv.Type().Elem())
	if p == nil {
		return b, false, nil
	}
	out, err = p.fields(b, rv.Elem())
	return out, true, err
}

// xmlPlan writes values of one type. write appends the element(s) named
// name for v as a struct field or list item of that type; fields, for a
// struct type, appends its fields only.
type xmlPlan struct {
	write  func(b []byte, name string, v reflect.Value) ([]byte, error)
	fields func(b []byte, v reflect.Value) ([]byte, error)
	// items is the plan of a bare slice's elements, each written as an
	// element of the field's name.
	items *xmlPlan
}

// writeItems writes a bare slice's elements; encoding/xml applies a
// field's omitempty to each of them too.
func writeItems(b []byte, name string, v reflect.Value, elem *xmlPlan, omitEmpty bool) ([]byte, error) {
	var err error
	for i := range v.Len() {
		item := v.Index(i)
		if omitEmpty && isEmpty(item) {
			continue
		}
		if b, err = elem.write(b, name, item); err != nil {
			return b, err
		}
	}
	return b, nil
}

// pointerOnly reports whether pointer type t has the interface's methods
// only through a pointer receiver.
func pointerOnly(t, iface reflect.Type) bool {
	return t.Implements(iface) && !t.Elem().Implements(iface)
}

var (
	planMu sync.Mutex
	plans  sync.Map // reflect.Type → *xmlPlan, or nil for a type encoding/xml writes
)

func planOf(t reflect.Type) *xmlPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*xmlPlan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	building := map[reflect.Type]*xmlPlan{}
	p := buildPlan(t, building)
	for typ, plan := range building { // a type whose part has no plan has none either
		if p == nil {
			plan = nil
		}
		plans.Store(typ, plan)
	}
	plans.Store(t, p)
	return p
}

var (
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	xmlMarshalerType  = reflect.TypeFor[xml.Marshaler]()
	listItemType      = reflect.TypeFor[ListItem]()
	xmlTimeType       = reflect.TypeFor[protocol.XMLTime]()
	mapType           = reflect.TypeFor[Map]()
)

// buildPlan works out t's plan; building holds the plans being worked out,
// so that a recursive type refers to its own (filled in by then at run
// time). It returns nil for a type encoding/xml must write.
func buildPlan(t reflect.Type, building map[reflect.Type]*xmlPlan) *xmlPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*xmlPlan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &xmlPlan{}
	building[t] = p
	if !planInto(p, t, building) {
		return nil
	}
	return p
}

func planInto(p *xmlPlan, t reflect.Type, building map[reflect.Type]*xmlPlan) bool {
	switch {
	case t == xmlTimeType:
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			b = openTag(b, name)
			t, _ := reflect.TypeAssert[protocol.XMLTime](v) // unlike Interface, boxes nothing
			b = time.Time(t).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
			return closeTag(b, name), nil
		}
		return true
	case t == mapType:
		p.write = writeMap
		return true
	case t.Kind() == reflect.Pointer:
		if pointerOnly(t, xmlMarshalerType) || pointerOnly(t, textMarshalerType) {
			return false // a pointer receiver's method: encoding/xml's addressability rules decide
		}
		elem := buildPlan(t.Elem(), building)
		if elem == nil {
			return false
		}
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return b, nil
			}
			return elem.write(b, name, v.Elem())
		}
		return true
	case t.Implements(listItemType) && t.Kind() == reflect.Slice:
		item := reflect.Zero(t).Interface().(ListItem).ListItem()
		elem := buildPlan(t.Elem(), building)
		if elem == nil || reflect.PointerTo(t).Implements(textMarshalerType) {
			return false
		}
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return b, nil
			}
			b = openTag(b, name)
			var err error
			for i := range v.Len() {
				if b, err = elem.write(b, item, v.Index(i)); err != nil {
					return b, err
				}
			}
			return closeTag(b, name), nil
		}
		return true
	case t.Implements(xmlMarshalerType) || reflect.PointerTo(t).Implements(xmlMarshalerType):
		return false
	case t.Implements(textMarshalerType):
		if reflect.PointerTo(t).Implements(xmlMarshalerType) {
			return false
		}
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return b, err
			}
			b = openTag(b, name)
			b = AppendText(b, string(text))
			return closeTag(b, name), nil
		}
		return true
	case reflect.PointerTo(t).Implements(textMarshalerType):
		return false
	}
	switch t.Kind() {
	case reflect.String:
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return closeTag(AppendText(openTag(b, name), v.String()), name), nil
		}
	case reflect.Bool:
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return closeTag(strconv.AppendBool(openTag(b, name), v.Bool()), name), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return closeTag(strconv.AppendInt(openTag(b, name), v.Int(), 10), name), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return closeTag(strconv.AppendUint(openTag(b, name), v.Uint(), 10), name), nil
		}
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return closeTag(strconv.AppendFloat(openTag(b, name), v.Float(), 'g', -1, bits), name), nil
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return false
		}
		elem := buildPlan(t.Elem(), building)
		if elem == nil {
			return false
		}
		p.items = elem
		p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
			return writeItems(b, name, v, elem, false)
		}
	case reflect.Struct:
		return planStruct(p, t, building)
	default:
		return false
	}
	return true
}

// fieldPlan is one field of a struct plan.
type fieldPlan struct {
	index     int
	name      string
	parents   []string
	omitEmpty bool
	charData  bool
	kind      reflect.Kind
	plan      *xmlPlan
}

func planStruct(p *xmlPlan, t reflect.Type, building map[reflect.Type]*xmlPlan) bool {
	var fields []fieldPlan
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous || f.Name == "XMLName" {
			return false
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("xml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(name, " ") {
			return false // a namespace
		}
		fp := fieldPlan{index: i, kind: f.Type.Kind()}
		switch opts {
		case "":
		case "omitempty":
			fp.omitEmpty = true
		case "chardata":
			if name != "" || f.Type.Kind() != reflect.String || f.Type.Implements(textMarshalerType) {
				return false
			}
			fp.charData = true
			fields = append(fields, fp)
			continue
		default:
			return false
		}
		if name == "" {
			name = f.Name
		}
		if parts := strings.Split(name, ">"); len(parts) > 1 {
			if slices.Contains(parts, "") {
				return false
			}
			fp.parents, name = parts[:len(parts)-1], parts[len(parts)-1]
		}
		fp.name = name
		if fp.plan = buildPlan(f.Type, building); fp.plan == nil {
			return false
		}
		fields = append(fields, fp)
	}
	p.fields = func(b []byte, v reflect.Value) ([]byte, error) {
		var open []string // the parents written and not yet closed
		var err error
		for i := range fields {
			f := &fields[i]
			fv := v.Field(f.index)
			open, b = trimParents(b, open, f.parents)
			if f.charData {
				b = AppendText(b, fv.String())
				continue
			}
			if len(f.parents) > len(open) && !((f.kind == reflect.Pointer || f.kind == reflect.Interface) && fv.IsNil()) {
				for _, parent := range f.parents[len(open):] {
					b = openTag(b, parent)
				}
				open = f.parents
			}
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			if f.omitEmpty && f.plan.items != nil {
				if b, err = writeItems(b, f.name, fv, f.plan.items, true); err != nil {
					return b, err
				}
				continue
			}
			if b, err = f.plan.write(b, f.name, fv); err != nil {
				return b, err
			}
		}
		_, b = trimParents(b, open, nil)
		return b, nil
	}
	p.write = func(b []byte, name string, v reflect.Value) ([]byte, error) {
		b, err := p.fields(openTag(b, name), v)
		if err != nil {
			return b, err
		}
		return closeTag(b, name), nil
	}
	return true
}

// trimParents closes the open parents that parents does not share, as
// encoding/xml does between fields, and returns those still open.
func trimParents(b []byte, open, parents []string) ([]string, []byte) {
	common := 0
	for common < len(open) && common < len(parents) && open[common] == parents[common] {
		common++
	}
	for i := len(open) - 1; i >= common; i-- {
		b = closeTag(b, open[i])
	}
	return open[:common], b
}

// isEmpty is omitempty's test in encoding/xml (a struct is never empty).
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func writeMap(b []byte, name string, v reflect.Value) ([]byte, error) {
	m := v.Interface().(Map)
	if m == nil {
		return b, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = openTag(b, name)
	for _, k := range keys {
		b = append(b, "<entry><key>"...)
		b = AppendText(b, k)
		b = append(b, "</key><value>"...)
		b = AppendText(b, m[k])
		b = append(b, "</value></entry>"...)
	}
	return closeTag(b, name), nil
}

func openTag(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func closeTag(b []byte, name string) []byte {
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}

// AppendText appends s escaped as encoding/xml escapes text. Almost
// every value (ids, ARNs, names, numbers) needs no escape at all and is
// appended as it is; the rest goes through encoding/xml's own escaper.
func AppendText(b []byte, s string) []byte {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20, c >= 0x80, c == '"', c == '\'', c == '&', c == '<', c == '>':
			w := appendWriter{b: b}
			_ = xml.EscapeText(&w, []byte(s))
			return w.b
		}
	}
	return append(b, s...)
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
