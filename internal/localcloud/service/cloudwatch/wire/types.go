package wire

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
)

// The scalar and map types the generated shapes use, each carrying one
// value in the form of each protocol CloudWatch speaks: Smithy RPC v2
// CBOR, awsJson 1.0 and query.

// Time is a timestamp: epoch seconds in JSON, tag 1 in CBOR, ISO 8601 in
// query forms and XML.
type Time struct{ time.Time }

// NewTime is t as a timestamp, in UTC.
func NewTime(t time.Time) *Time { return &Time{t.UTC()} }

// MarshalJSON writes epoch seconds (the Go SDK rejects strings).
func (t Time) MarshalJSON() ([]byte, error) { return awsjson.NewTime(t.Time).MarshalJSON() }

// UnmarshalJSON reads epoch seconds or, leniently, RFC 3339.
func (t *Time) UnmarshalJSON(b []byte) error {
	var a awsjson.Time
	if err := a.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = a.Time()
	return nil
}

// MarshalText is the query protocol's XML form.
func (t Time) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// UnmarshalText reads a query form's ISO 8601 timestamp.
func (t *Time) UnmarshalText(b []byte) error {
	parsed, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// CBORTime makes CBOR send the value as a tag 1 timestamp.
func (t Time) CBORTime() time.Time { return t.Time }

// Double is a double: JSON and CBOR (through JSON) carry NaN and the
// infinities as the strings Smithy's JSON protocols use, so that they
// reach the handler and get CloudWatch's InvalidParameterValue.
type Double float64

// UnmarshalJSON reads a number or "NaN", "Infinity", "-Infinity".
func (d *Double) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*d = Double(math.NaN())
	case `"Infinity"`:
		*d = Double(math.Inf(1))
	case `"-Infinity"`:
		*d = Double(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*d = Double(f)
	}
	return nil
}

// Doubles converts values to the wire's doubles.
func Doubles(values []float64) []Double {
	out := make([]Double, len(values))
	for i, v := range values {
		out[i] = Double(v)
	}
	return out
}

// Map is a string-keyed map: an object in JSON and CBOR, and in the query
// protocol's XML <entry><key/><value/></entry> elements in key order (a
// form carries it as Name.entry.N.key and .value). An empty map writes
// nothing in XML.
type Map[V any] map[string]V

// MarshalXML writes the map's entries.
func (m Map[V]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if len(m) == 0 {
		return nil
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		entry := struct {
			Key   string `xml:"key"`
			Value V      `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
