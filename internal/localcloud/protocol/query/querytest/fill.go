// Package querytest fills response shapes with random values, for tests
// that hold the planned XML encoder to encoding/xml's bytes.
package querytest

import (
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// Fill sets v to random values: nil and empty lists, nil pointers, text
// that needs escaping, invalid UTF-8.
func Fill(rng *rand.Rand, v reflect.Value) { fill(rng, v, 0) }

var texts = []string{"", "plain", `a<b>&"c'`, "tab\tline\nret\r", "\xff\xfe", "caf\u00e9 \u2603", "nul\x00"}

func fill(rng *rand.Rand, v reflect.Value, depth int) {
	if !v.CanSet() {
		return
	}
	if v.Type() == reflect.TypeFor[protocol.XMLTime]() {
		v.Set(reflect.ValueOf(protocol.XMLTime(time.UnixMilli(rng.Int64N(4e12)))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(texts[rng.IntN(len(texts))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(rng.Int64N(200) - 100)
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, 1.5, -3, 1e21, 0.1}[rng.IntN(5)])
	case reflect.Pointer:
		if depth < 6 && rng.IntN(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(rng, v.Elem(), depth+1)
		}
	case reflect.Slice:
		switch n := rng.IntN(4); {
		case n == 0 || depth >= 6: // nil
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range s.Len() {
				fill(rng, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		if rng.IntN(3) > 0 {
			m := reflect.MakeMap(v.Type())
			for range rng.IntN(3) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(rng, k, depth+1)
				fill(rng, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(rng, v.Field(i), depth+1)
		}
	}
}
