package cbor

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	smithycbor "github.com/aws/smithy-go/encoding/cbor"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The examples of RFC 8949 appendix A that Smithy's subset covers.
func TestDecodeRFCExamples(t *testing.T) {
	tests := []struct {
		hex  string
		want any
	}{
		{"00", uint64(0)},
		{"17", uint64(23)},
		{"1818", uint64(24)},
		{"1903e8", uint64(1000)},
		{"1b000000e8d4a51000", uint64(1000000000000)},
		{"1bffffffffffffffff", uint64(math.MaxUint64)},
		{"20", int64(-1)},
		{"3903e7", int64(-1000)},
		{"f90000", 0.0},
		{"f93c00", 1.0},
		{"f93e00", 1.5},
		{"f97bff", 65504.0},
		{"f90001", 5.960464477539063e-08},
		{"f9c400", -4.0},
		{"f97c00", math.Inf(1)},
		{"fa47c35000", 100000.0},
		{"fb3ff199999999999a", 1.1},
		{"f4", false},
		{"f5", true},
		{"f6", nil},
		{"f7", nil},
		{"c11a514b67b0", Epoch(1363896240)},
		{"c1fb41d452d9ec200000", Epoch(1363896240.5)},
		{"40", []byte{}},
		{"4401020304", []byte{1, 2, 3, 4}},
		{"60", ""},
		{"6449455446", "IETF"},
		{"62c3bc", "ü"},
		{"80", []any{}},
		{"83010203", []any{uint64(1), uint64(2), uint64(3)}},
		{"a0", map[string]any{}},
		{"a26161016162820203", map[string]any{"a": uint64(1), "b": []any{uint64(2), uint64(3)}}},
		{"5f42010243030405ff", []byte{1, 2, 3, 4, 5}},
		{"7f657374726561646d696e67ff", "streaming"},
		{"9fff", []any{}},
		{"9f018202039f0405ffff", []any{uint64(1), []any{uint64(2), uint64(3)}, []any{uint64(4), uint64(5)}}},
		{"bf61610161629f0203ffff", map[string]any{"a": uint64(1), "b": []any{uint64(2), uint64(3)}}},
		{"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "http://www.example.com"}, // an unknown tag's content stands
		{"9ff7ff", []any{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.hex, func(t *testing.T) {
			got, err := Decode(mustHex(t, tt.hex))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	deep := bytes.Repeat([]byte{0x81}, MaxDepth+2)
	deep = append(deep, 0x00)
	tests := map[string][]byte{
		"empty":                     {},
		"truncated argument":        mustHex(t, "19 03"),
		"string past the end":       mustHex(t, "7a ffffffff 61"),
		"array count past the end":  mustHex(t, "9b 00000000ffffffff 00"),
		"map count past the end":    mustHex(t, "bb 00000000ffffffff 00"),
		"reserved info":             mustHex(t, "1c"),
		"indefinite integer":        mustHex(t, "1f"),
		"indefinite tag":            mustHex(t, "df"),
		"break at top level":        mustHex(t, "ff"),
		"break in a definite array": mustHex(t, "82 01 ff"),
		"break as a map value":      mustHex(t, "bf 6161 ff"),
		"break under a tag":         mustHex(t, "9f c1 ff"),
		"tag 1 over a string":       mustHex(t, "c1 6161"),
		"non-text map key":          mustHex(t, "a1 01 02"),
		"invalid UTF-8":             mustHex(t, "62 c328"),
		"mixed string chunks":       mustHex(t, "7f 4101 ff"),
		"nested string chunks":      mustHex(t, "7f 7f ff ff"),
		"unterminated indefinite":   mustHex(t, "9f 01"),
		"trailing bytes":            mustHex(t, "01 02"),
		"negative overflow":         mustHex(t, "3b ffffffffffffffff"),
		"unknown simple value":      mustHex(t, "f8 20"),
		"too deep":                  deep,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if v, err := Decode(data); err == nil {
				t.Fatalf("Decode(%x) = %#v, want an error", data, v)
			}
		})
	}
}

type shape struct {
	Name     string           `json:"Name"`
	Count    *int32           `json:"Count,omitempty"`
	Skipped  string           `json:"Skipped,omitempty"`
	Values   []float64        `json:"Values"`
	Missing  []string         `json:"Missing"`
	When     time.Time        `json:"When"`
	Tags     map[string]int64 `json:"Tags,omitempty"`
	Blob     []byte           `json:"Blob,omitempty"`
	Internal string           `json:"-"`
	Nested   *shape           `json:"Nested,omitempty"`
}

// Marshal's output read back by the SDK's own CBOR decoder: field names,
// omitted members, integers, floats, tag 1 and byte strings as smithy-go
// sees them.
func TestMarshalAsSmithyReadsIt(t *testing.T) {
	n := int32(-7)
	when := time.Date(2026, 1, 15, 12, 0, 0, 500e6, time.UTC)
	in := shape{Name: "cpu", Count: &n, Values: []float64{1.5, -2}, When: when, Tags: map[string]int64{"a": 1}, Blob: []byte{9}, Internal: "x",
		Nested: &shape{Name: "inner", Values: []float64{}}}
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	v, err := smithycbor.Decode(data)
	if err != nil {
		t.Fatalf("smithy-go cannot decode %x: %v", data, err)
	}
	m, ok := v.(smithycbor.Map)
	if !ok {
		t.Fatalf("got a %T", v)
	}
	for _, absent := range []string{"Skipped", "Missing", "Internal"} {
		if _, ok := m[absent]; ok {
			t.Errorf("member %s was sent", absent)
		}
	}
	if got := m["Name"]; got != smithycbor.String("cpu") {
		t.Errorf("Name = %#v", got)
	}
	if got := m["Count"]; got != smithycbor.NegInt(7) {
		t.Errorf("Count = %#v, want NegInt(7) (i.e. -7)", got)
	}
	tag, ok := m["When"].(*smithycbor.Tag)
	if !ok || tag.ID != 1 || tag.Value != smithycbor.Float64(1768478400.5) {
		t.Errorf("When = %#v, want tag 1 over 1768478400.5", m["When"])
	}
	if got := m["Blob"]; !reflect.DeepEqual(got, smithycbor.Slice{9}) {
		t.Errorf("Blob = %#v", got)
	}
	nested, ok := m["Nested"].(smithycbor.Map)
	if !ok || !reflect.DeepEqual(nested["Values"], smithycbor.List{}) {
		t.Errorf("Nested = %#v, want an empty Values list", m["Nested"])
	}
}

// What smithy-go encodes (as the SDK sends it) decodes here to the same
// JSON the awsJson codec would have received.
func TestDecodeWhatSmithyEncodes(t *testing.T) {
	in := smithycbor.Map{
		"Namespace": smithycbor.String("App"),
		"MetricData": smithycbor.List{smithycbor.Map{
			"Value":     smithycbor.Float64(2.5),
			"Timestamp": &smithycbor.Tag{ID: 1, Value: smithycbor.Float64(1768478400)},
			"Counts":    smithycbor.List{smithycbor.Uint(3)},
			"Neg":       smithycbor.NegInt(2),
			"Blob":      smithycbor.Slice("hi"),
			"Flag":      smithycbor.Bool(true),
			"Nil":       &smithycbor.Nil{},
		}},
	}
	v, err := Decode(smithycbor.Encode(in))
	if err != nil {
		t.Fatal(err)
	}
	js, err := ToJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"MetricData":[{"Blob":"aGk=","Counts":[3],"Flag":true,"Neg":-2,"Nil":null,"Timestamp":1768478400,"Value":2.5}],"Namespace":"App"}`
	if string(js) != want {
		t.Fatalf("ToJSON =\n%s\nwant\n%s", js, want)
	}
}

// FuzzDecode: no input panics or hangs the decoder, and whatever it accepts
// survives the trip to JSON and, re-encoded, decodes to the same value.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		"a26161016162820203", "bf61610161629f0203ffff", "c11a514b67b0", "c1fb41d452d9ec200000",
		"5f42010243030405ff", "7f657374726561646d696e67ff", "9f018202039f0405ffff", "f97c00", "f97e00",
		"fa47c35000", "3903e7", "1bffffffffffffffff", "9b00000000ffffffff00", "d8207661", "a0", "f7",
	}
	for _, s := range seeds {
		f.Add(mustHex(f, s))
	}
	f.Add(smithycbor.Encode(smithycbor.Map{"MetricData": smithycbor.List{smithycbor.Map{"MetricName": smithycbor.String("cpu"),
		"Timestamp": &smithycbor.Tag{ID: 1, Value: smithycbor.Float64(1.5)}, "Values": smithycbor.List{smithycbor.Float64(1)}}}}))
	f.Add(bytes.Repeat([]byte{0x9f}, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			return
		}
		_, _ = ToJSON(v)
		again, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again, err)
		}
		if !sameValue(v, back) {
			t.Fatalf("round trip changed %#v into %#v", v, back)
		}
	})
}

// sameValue is DeepEqual with NaN equal to itself.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case Epoch:
		y, ok := b.(Epoch)
		return ok && (x == y || (math.IsNaN(float64(x)) && math.IsNaN(float64(y))))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !sameValue(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Nested arrays that each claim the rest of the body must not make the
// decoder allocate for the claims: it fails on the data, cheaply.
func TestDecodeNestedClaimsAllocateLittle(t *testing.T) {
	var data []byte
	for range MaxDepth {
		data = append(data, 0x9a, 0x00, 0x0f, 0x00, 0x00) // an array of 983,040 items
	}
	data = append(data, make([]byte, 1<<20)...)
	if _, err := Decode(data); err == nil {
		t.Fatal("decoded a body whose arrays claim more items than it holds")
	}
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	before := stats.TotalAlloc
	_, _ = Decode(data)
	runtime.ReadMemStats(&stats)
	if grew := stats.TotalAlloc - before; grew > 128<<20 { // a million items in a growing slice, not 64 claims of one
		t.Fatalf("decoding a 1 MB body allocated %d MB", grew>>20)
	}
	// Past MaxItems, a body is refused whatever its size.
	many := append([]byte{0x9f}, make([]byte, MaxItems+1)...)
	if _, err := Decode(append(many, 0xff)); err == nil || !strings.Contains(err.Error(), "data items") {
		t.Fatalf("Decode of %d items: %v, want the item limit", MaxItems+1, err)
	}
}
