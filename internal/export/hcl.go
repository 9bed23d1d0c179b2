package export

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// expr is an HCL expression as hclwrite's tokens, so that references,
// function calls and literals compose without string quoting by hand.
type expr = hclwrite.Tokens

func str(s string) expr     { return hclwrite.TokensForValue(cty.StringVal(s)) }
func num(n int) expr        { return hclwrite.TokensForValue(cty.NumberIntVal(int64(n))) }
func boolean(b bool) expr   { return hclwrite.TokensForValue(cty.BoolVal(b)) }
func tuple(es ...expr) expr { return hclwrite.TokensForTuple(es) }

func strs(values []string) expr {
	es := make([]expr, len(values))
	for i, v := range values {
		es[i] = str(v)
	}
	return tuple(es...)
}

func call(name string, args ...expr) expr { return hclwrite.TokensForFunctionCall(name, args...) }

// traversal is a reference such as aws_vpc.main.id.
func traversal(root string, attrs ...string) expr {
	t := hcl.Traversal{hcl.TraverseRoot{Name: root}}
	for _, a := range attrs {
		t = append(t, hcl.TraverseAttr{Name: a})
	}
	return hclwrite.TokensForTraversal(t)
}

// index is e[i].
func index(e expr, i int) expr {
	out := slices.Clone(e)
	out = append(out, &hclwrite.Token{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")})
	out = append(out, num(i)...)
	return append(out, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}

// raw parses src as one expression; for the few expressions (templates,
// conditionals) that the helpers above do not build. src may embed names
// from berth.yaml, so a bad expression is the resource's error, not a panic.
func (f *file) raw(src string) expr {
	parsed, diags := hclwrite.ParseConfig([]byte("x = "+src+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		f.fail(fmt.Errorf("cannot write the expression %q: %s", src, diags.Error()))
		return null()
	}
	attr := parsed.Body().GetAttribute("x")
	if attr == nil {
		f.fail(fmt.Errorf("cannot write the expression %q: it is not one expression", src))
		return null()
	}
	return attr.Expr().BuildTokens(nil)
}

// null is Terraform's null, also what a failed expression renders as
// while the error it recorded ends the export.
func null() expr { return hclwrite.TokensForIdentifier("null") }

// text renders an expression back to source, for templates that embed it.
func text(e expr) string { return strings.TrimSpace(string(e.Bytes())) }

// field is one attribute of an object constructor, in the order written.
type field struct {
	key   string
	value expr
}

// object is an object constructor; keys that are not identifiers
// ("berth:stack", "awslogs-group") are quoted.
func object(fields ...field) expr {
	attrs := make([]hclwrite.ObjectAttrTokens, len(fields))
	for i, f := range fields {
		name := hclwrite.TokensForIdentifier(f.key)
		if !hclsyntax.ValidIdentifier(f.key) || strings.Contains(f.key, "-") {
			name = str(f.key)
		}
		attrs[i] = hclwrite.ObjectAttrTokens{Name: name, Value: f.value}
	}
	return hclwrite.TokensForObject(attrs)
}

// stringMap is a map of strings in key order.
func stringMap(m map[string]string) expr {
	var fields []field
	for _, k := range sortedKeys(m) {
		fields = append(fields, field{k, str(m[k])})
	}
	return object(fields...)
}

// jsonValue renders a decoded JSON document as the HCL value jsonencode
// turns back into it, so that policies read as HCL and not as one escaped
// string. A value JSON cannot hold is the resource's error.
func (f *file) jsonValue(v any) expr {
	switch v := v.(type) {
	case map[string]any:
		var fields []field
		for _, k := range sortedKeys(v) {
			fields = append(fields, field{k, f.jsonValue(v[k])})
		}
		return object(fields...)
	case []any:
		es := make([]expr, len(v))
		for i, e := range v {
			es[i] = f.jsonValue(e)
		}
		return tuple(es...)
	case string:
		return str(v)
	case bool:
		return boolean(v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			f.fail(fmt.Errorf("the JSON document holds %v, which JSON cannot encode", v))
			return null()
		}
		return hclwrite.TokensForValue(cty.NumberFloatVal(v))
	case json.Number:
		n, err := cty.ParseNumberVal(v.String())
		if err != nil {
			f.fail(fmt.Errorf("the JSON document holds the number %q: %w", v, err))
			return null()
		}
		return hclwrite.TokensForValue(n)
	case nil:
		return null()
	}
	f.fail(fmt.Errorf("the JSON document holds a %T, which is not a JSON value", v))
	return null()
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func ctyString(s string) cty.Value { return cty.StringVal(s) }

const commentToken = hclsyntax.TokenComment
