package export

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The values below used to panic the export: an expression that does not
// parse and JSON values outside what encoding/json decodes to. Each must
// now be the export's error, and the first error must stand.
func TestExportErrorsInsteadOfPanics(t *testing.T) {
	cases := []struct {
		name string
		run  func(f *file)
		want string
	}{
		{"unclosed template", func(f *file) { f.raw(`"${aws_ecs_cluster.orders_eu`) }, "cannot write the expression"},
		{"two expressions", func(f *file) { f.raw(`1 2`) }, "cannot write the expression"},
		{"empty expression", func(f *file) { f.raw(``) }, "cannot write the expression"},
		{"int in a policy", func(f *file) { f.jsonValue(map[string]any{"Version": 2012}) }, "holds a int"},
		{"channel in a policy", func(f *file) { f.jsonValue([]any{"s3:GetObject", make(chan int)}) }, "holds a chan int"},
		{"NaN in a policy", func(f *file) { f.jsonValue(map[string]any{"n": math.NaN()}) }, "JSON cannot encode"},
		{"bad json.Number", func(f *file) { f.jsonValue(json.Number("12e")) }, `the number "12e"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &file{}
			c.run(f)
			if f.err == nil || !strings.Contains(f.err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", f.err, c.want)
			}
			first := f.err
			f.raw(`{`)
			if f.err != first {
				t.Errorf("a later failure replaced the first: %v", f.err)
			}
		})
	}
}

// Valid JSON, including json.Number and null, still renders.
func TestJSONValueRendersPolicies(t *testing.T) {
	f := &file{}
	got := text(f.jsonValue(map[string]any{"Version": "2012-10-17", "n": json.Number("3"), "none": nil, "ok": true, "list": []any{1.5}}))
	if f.err != nil {
		t.Fatal(f.err)
	}
	for _, want := range []string{`Version = "2012-10-17"`, "n = 3", "none = null", "ok = true", "list = [1.5]"} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
			t.Errorf("%s lacks %q", got, want)
		}
	}
}
