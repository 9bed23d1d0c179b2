package tagging

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	many := make([]Tag, 50)
	for i := range many {
		many[i] = Tag{Key: "k" + strings.Repeat("x", i)}
	}
	cases := []struct {
		name          string
		existing, add []Tag
		wantTooMany   bool
		wantErr       bool
	}{
		{name: "fine", add: []Tag{{"env", "dev"}}},
		{name: "empty key", add: []Tag{{"", "v"}}, wantErr: true},
		{name: "long key", add: []Tag{{strings.Repeat("k", 129), ""}}, wantErr: true},
		{name: "long value", add: []Tag{{"k", strings.Repeat("v", 257)}}, wantErr: true},
		{name: "reserved prefix any case", add: []Tag{{"AWS:cloudformation", "x"}}, wantErr: true},
		{name: "fifty is fine", add: many},
		{name: "fifty-one is too many", existing: []Tag{{"other", ""}}, add: many, wantErr: true, wantTooMany: true},
		{name: "overwriting keeps the count", existing: many, add: []Tag{{"k", "new"}}},
	}
	for _, c := range cases {
		err := Common.Check(c.existing, c.add)
		var v *Violation
		if c.wantErr != (err != nil) || (err != nil && (!errors.As(err, &v) || v.TooMany != c.wantTooMany)) {
			t.Errorf("%s: err %v", c.name, err)
		}
	}
}

func TestMergeAndRemove(t *testing.T) {
	got := Merge([]Tag{{"a", "1"}, {"b", "2"}}, []Tag{{"b", "3"}, {"c", "4"}, {"c", "5"}})
	if want := []Tag{{"a", "1"}, {"b", "3"}, {"c", "5"}}; !slices.Equal(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if got := Remove(got, []string{"a", "missing"}); !slices.Equal(got, []Tag{{"b", "3"}, {"c", "5"}}) {
		t.Errorf("Remove = %v", got)
	}
	if m := ToMap(FromMap(map[string]string{"z": "1", "a": "2"})); len(m) != 2 || m["a"] != "2" {
		t.Errorf("round trip = %v", m)
	}
}
