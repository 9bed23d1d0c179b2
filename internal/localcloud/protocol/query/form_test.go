package query

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

type tag struct {
	Key   string
	Value string
}

type filter struct {
	Name   string
	Values []string `query:"Value"`
}

type sample struct {
	Name     string
	Count    int32
	Enabled  *bool
	Subnets  []string
	Tags     []tag
	Attrs    map[string]string
	Filters  []filter `query:"Filter"`
	Skipped  string   `query:"-"`
	Optional *int64
}

func TestDecodeForm(t *testing.T) {
	yes := true
	tests := []struct {
		name  string
		form  string
		style ListStyle
		want  sample
	}{
		{"scalars", "Name=web&Count=3&Enabled=true", Members, sample{Name: "web", Count: 3, Enabled: &yes}},
		{"member lists in index order", "Subnets.member.2=b&Subnets.member.1=a&Subnets.member.10=c", Members, sample{Subnets: []string{"a", "b", "c"}}},
		{"empty list is set, not absent", "Subnets=", Members, sample{Subnets: []string{}}},
		{"list of structs", "Tags.member.1.Key=env&Tags.member.1.Value=dev", Members, sample{Tags: []tag{{"env", "dev"}}}},
		{"map entries", "Attrs.entry.1.key=a&Attrs.entry.1.value=1", Members, sample{Attrs: map[string]string{"a": "1"}}},
		{"flat ec2 lists", "Subnets.1=a&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Value.2=vpc-2", Flat, sample{Subnets: []string{"a"}, Filters: []filter{{"vpc-id", []string{"vpc-1", "vpc-2"}}}}},
		{"skipped field ignored", "Skipped=x", Members, sample{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.form)
			if err != nil {
				t.Fatal(err)
			}
			var got sample
			if err := DecodeForm(values, &got, tt.style); err != nil {
				t.Fatalf("DecodeForm: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeFormRejectsBadValues(t *testing.T) {
	for _, form := range []string{"Count=many", "Enabled=perhaps", "Subnets.member.x=a", "Subnets.member.0=a", "Optional=1.5"} {
		values, _ := url.ParseQuery(form)
		var got sample
		err := DecodeForm(values, &got, Members)
		var fieldErr *FieldError
		if !errors.As(err, &fieldErr) {
			t.Errorf("%s: want a FieldError, got %v", form, err)
		}
	}
}
