package query

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

type fuzzTag struct {
	Key   string `query:"Key"`
	Value string `query:"Value"`
}

type fuzzForm struct {
	Name      string            `query:"Name"`
	Port      *int32            `query:"Port"`
	Weight    float64           `query:"Weight"`
	Enabled   *bool             `query:"Enabled"`
	Start     *time.Time        `query:"StartTime"`
	Subnets   []string          `query:"Subnets"`
	Tags      []fuzzTag         `query:"Tags"`
	Attrs     map[string]string `query:"Attributes"`
	Material  Blob              `query:"Material"`
	Condition *struct {
		Values []string  `query:"Values"`
		Nested *fuzzForm `query:"Nested"`
	} `query:"Condition"`
}

// FuzzDecodeForm feeds the query and EC2 form decoder arbitrary bodies in
// both list styles: each ends in a value or a FieldError, never a panic
// and never a walk over list indexes the form does not have.
func FuzzDecodeForm(f *testing.F) {
	for _, seed := range []string{
		"", "Name=web&Port=80", "Subnets.member.1=a&Subnets.member.2=b", "SubnetId.1=a&Subnets.1=b",
		"Tags.member.1.Key=k&Tags.member.1.Value=v", "Attributes.entry.1.key=k&Attributes.entry.1.value=v",
		"Port=99999999999", "Enabled=maybe", "StartTime=yesterday", "Subnets.member.4294967296=x",
		"Condition.Nested.Condition.Nested.Name=deep", "Subnets=", "%zz=1",
		"Material=c3NoLWVkMjU1MTk%3D", "Material=not*base64", "Material=",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, flat bool) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // the router answers an unparseable body before any decoder
		}
		style := Members
		if flat {
			style = Flat
		}
		var in fuzzForm
		if err := DecodeForm(form, &in, style); err != nil {
			var fieldErr *FieldError
			if !errors.As(err, &fieldErr) {
				t.Fatalf("decode error is not a FieldError: %v", err)
			}
		}
	})
}
