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

type memoKey struct {
	typ                   reflect.Type
	partition, table, key string
}

type memoEntry struct {
	data  []byte
	value reflect.Value // a *T nobody outside the memo holds
}

type decodeMemo struct {
	mu      sync.Mutex
	entries map[memoKey]memoEntry
}

// decodeRecord returns the record's value: a copy of the remembered one
// when data is what it was decoded from, else freshly decoded by decode.
func decodeRecord[T any](tx *Tx, table string, key, data []byte, decode func(*T) error) (*T, error) {
	memo := tx.memo
	if memo == nil {
		v := new(T)
		return v, decode(v)
	}
	k := memoKey{typ: reflect.TypeFor[T](), partition: string(tx.partition), table: table, key: string(key)}
	memo.mu.Lock()
	entry, ok := memo.entries[k]
	memo.mu.Unlock()
	if ok && bytes.Equal(entry.data, data) {
		return deepCopy(entry.value).Interface().(*T), nil
	}
	v := new(T)
	if err := decode(v); err != nil {
		return nil, err
	}
	kept := deepCopy(reflect.ValueOf(v))
	memo.mu.Lock()
	if memo.entries == nil || len(memo.entries) >= memoLimit {
		memo.entries = map[memoKey]memoEntry{}
	}
	memo.entries[k] = memoEntry{data: bytes.Clone(data), value: kept}
	memo.mu.Unlock()
	return v, nil
}

// deepCopy copies v so that no pointer, slice, map or interface of the copy
// is shared with v. Strings and scalars are shared (they are immutable);
// unexported struct fields are copied by value, which is exact for what
// JSON decoding produces (it sets exported fields only, and time.Time's
// unexported fields hold no mutable state).
func deepCopy(v reflect.Value) reflect.Value { return planFor(v.Type()).copy(v) }

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

func (p *copyPlan) copy(v reflect.Value) reflect.Value {
	if !p.deep {
		return v
	}
	switch p.kind {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(p.typ.Elem())
		out.Elem().Set(p.elem.copy(v.Elem()))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(p.typ).Elem()
		out.Set(deepCopy(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(p.typ).Elem()
		out.Set(v)
		for _, f := range p.fields {
			out.Field(f.index).Set(f.plan.copy(v.Field(f.index)))
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(p.typ, v.Len(), v.Len())
		if !p.elem.deep {
			reflect.Copy(out, v)
			return out
		}
		for i := range v.Len() {
			out.Index(i).Set(p.elem.copy(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(p.typ).Elem()
		for i := range v.Len() {
			out.Index(i).Set(p.elem.copy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(p.typ, v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(p.key.copy(it.Key()), p.elem.copy(it.Value()))
		}
		return out
	}
	return v
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
