package store

import (
	"bytes"
	"reflect"
	"sync"
)

// Decoding a record's JSON is most of what a read call costs (a
// DescribeClusters spent more than half of its time in encoding/json), and
// most reads decode bytes that have not changed since the last read. The
// memo keeps, per record, the bytes last decoded and the value they decoded
// to; a read whose bytes are the same gets a deep copy of that value, which
// is what decoding them again would give. It is keyed by the bytes, not by
// any notion of freshness, so it cannot fall out of step with the database:
// a write changes the bytes, and the next read decodes them.

// memoLimit bounds the records remembered; past it the memo starts over
// (state that churns through more records than this is rare locally).
const memoLimit = 8192

type memoEntry struct {
	typ   reflect.Type
	data  []byte
	value reflect.Value // a *T nobody outside the memo holds
}

// decodeMemo's entries are keyed by partition, table and record key joined
// with NULs (no part holds one), so that a lookup can index the map with a
// key built in a stack buffer, without allocating; the entry's type is
// checked on a hit, as two types may read one record.
type decodeMemo struct {
	mu      sync.Mutex
	entries map[string]memoEntry
}

// decodeRecord returns the record's value: a copy of the remembered one
// when data is what it was decoded from, else freshly decoded by decode.
func decodeRecord[T any](tx *Tx, table string, key, data []byte, decode func(*T) error) (*T, error) {
	memo := tx.memo
	if memo == nil {
		v := new(T)
		return v, decode(v)
	}
	typ := reflect.TypeFor[T]()
	var buf [192]byte
	k := append(append(append(append(append(buf[:0], tx.partition...), 0), table...), 0), key...)
	memo.mu.Lock()
	entry, ok := memo.entries[string(k)]
	memo.mu.Unlock()
	if ok && entry.typ == typ && bytes.Equal(entry.data, data) {
		return deepCopy(entry.value).Interface().(*T), nil
	}
	v := new(T)
	if err := decode(v); err != nil {
		return nil, err
	}
	kept := deepCopy(reflect.ValueOf(v))
	memo.mu.Lock()
	if memo.entries == nil || len(memo.entries) >= memoLimit {
		memo.entries = map[string]memoEntry{}
	}
	memo.entries[string(k)] = memoEntry{typ: typ, data: bytes.Clone(data), value: kept}
	memo.mu.Unlock()
	return v, nil
}

// deepCopy copies v so that no pointer, slice, map or interface of the copy
// is shared with v. Strings and scalars are shared (they are immutable);
// unexported struct fields are copied by value, which is exact for what
// JSON decoding produces (it sets exported fields only, and time.Time's
// unexported fields hold no mutable state).
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	planFor(v.Type()).copyTo(out, v)
	return out
}

// copyPlan is how to copy values of one type, worked out once per type so
// that a copy walks no type information it has seen before.
type copyPlan struct {
	deep   bool // the type can hold something a copy must not share
	kind   reflect.Kind
	typ    reflect.Type
	elem   *copyPlan // pointer, slice, array and map elements
	key    *copyPlan // map keys
	fields []fieldPlan
}

type fieldPlan struct {
	index int
	plan  *copyPlan
}

// copyTo sets dst (settable, of p's type) to a copy of v. Copies are built
// in place, so a struct behind a pointer is allocated once, not built
// apart and then moved in: a read served from the memo costs about one
// allocation per pointer, slice and map of the record.
func (p *copyPlan) copyTo(dst, v reflect.Value) {
	if !p.deep {
		dst.Set(v)
		return
	}
	switch p.kind {
	case reflect.Pointer:
		if v.IsNil() {
			dst.SetZero()
			return
		}
		out := reflect.New(p.typ.Elem())
		p.elem.copyTo(out.Elem(), v.Elem())
		dst.Set(out)
	case reflect.Interface:
		if v.IsNil() {
			dst.SetZero()
			return
		}
		inner := v.Elem()
		out := reflect.New(inner.Type()).Elem()
		planFor(inner.Type()).copyTo(out, inner)
		dst.Set(out)
	case reflect.Struct:
		dst.Set(v)
		for _, f := range p.fields {
			f.plan.copyTo(dst.Field(f.index), v.Field(f.index))
		}
	case reflect.Slice:
		if v.IsNil() {
			dst.SetZero()
			return
		}
		out := reflect.MakeSlice(p.typ, v.Len(), v.Len())
		if !p.elem.deep {
			reflect.Copy(out, v)
		} else {
			for i := range v.Len() {
				p.elem.copyTo(out.Index(i), v.Index(i))
			}
		}
		dst.Set(out)
	case reflect.Array:
		for i := range v.Len() {
			p.elem.copyTo(dst.Index(i), v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			dst.SetZero()
			return
		}
		out := reflect.MakeMapWithSize(p.typ, v.Len())
		// One key and one element value, reused for every entry
		// (SetMapIndex copies them in), instead of a Value per entry.
		key, elem := reflect.New(p.typ.Key()).Elem(), reflect.New(p.typ.Elem()).Elem()
		for it := v.MapRange(); it.Next(); {
			if p.key.deep {
				p.key.copyTo(key, it.Key())
			} else {
				key.SetIterKey(it)
			}
			if p.elem.deep {
				p.elem.copyTo(elem, it.Value())
			} else {
				elem.SetIterValue(it)
			}
			out.SetMapIndex(key, elem)
		}
		dst.Set(out)
	default:
		dst.Set(v)
	}
}

var (
	plansMu sync.Mutex
	plans   sync.Map // reflect.Type → *copyPlan, complete
)

func planFor(t reflect.Type) *copyPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*copyPlan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	building := map[reflect.Type]*copyPlan{}
	p := buildPlan(t, building)
	for typ, plan := range building {
		plans.Store(typ, plan)
	}
	return p
}

// buildPlan works out t's plan; building holds the plans under way, so a
// recursive type refers to its own plan, taken as deep until known.
func buildPlan(t reflect.Type, building map[reflect.Type]*copyPlan) *copyPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*copyPlan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &copyPlan{deep: true, kind: t.Kind(), typ: t}
	building[t] = p
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		p.elem = buildPlan(t.Elem(), building)
		p.deep = t.Kind() != reflect.Array || p.elem.deep
	case reflect.Map:
		p.key, p.elem = buildPlan(t.Key(), building), buildPlan(t.Elem(), building)
	case reflect.Interface:
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if fp := buildPlan(f.Type, building); fp.deep {
					p.fields = append(p.fields, fieldPlan{index: i, plan: fp})
				}
			}
		}
		p.deep = len(p.fields) > 0
	default:
		p.deep = false
	}
	return p
}
