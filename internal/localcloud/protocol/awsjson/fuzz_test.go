package awsjson

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzInput has the kinds of members awsJson requests carry.
type fuzzInput struct {
	Name    *string `json:"name"`
	Count   *int32  `json:"count"`
	Ratio   float64 `json:"ratio"`
	Enabled *bool   `json:"enabled"`
	At      Time    `json:"at"`
	Tags    []struct{ Key, Value string }
	Attrs   map[string]string `json:"attrs"`
	Nested  *struct {
		Items []*fuzzInput `json:"items"`
	} `json:"nested"`
	Blob []byte `json:"blob"`
}

// FuzzDecode feeds the awsJson decoder arbitrary bodies: it must answer
// each with a value or an AWS error, never a panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"name":"web","count":2}`, `{"at":1767225600.5}`, `{"at":"2026-01-01T00:00:00Z"}`,
		`{"tags":[{"Key":"a","Value":"b"}],"attrs":{"k":"v"}}`, `{"nested":{"items":[{"nested":{"items":[]}}]}}`,
		`{"count":"two"}`, `{"blob":"aGk="}`, `[1,2]`, `{"at":1e400}`, `{"name":` + strings.Repeat("[", 100),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in fuzzInput
		err := Codec{}.Decode(httptest.NewRequest("POST", "/", nil), body, &in)
		if err != nil && !strings.Contains(err.Error(), "SerializationException") {
			t.Fatalf("decode error is not an AWS error: %v", err)
		}
	})
}
