package export

import (
	"fmt"
	"maps"
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
// conditionals) that the helpers above do not build. It panics only on a
// programming error in this package, caught by the golden tests.
func raw(src string) expr {
	f, diags := hclwrite.ParseConfig([]byte("x = "+src+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("export: bad expression %q: %s", src, diags.Error()))
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil)
}

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
// string.
func jsonValue(v any) expr {
	switch v := v.(type) {
	case map[string]any:
		var fields []field
		for _, k := range sortedKeys(v) {
			fields = append(fields, field{k, jsonValue(v[k])})
		}
		return object(fields...)
	case []any:
		es := make([]expr, len(v))
		for i, e := range v {
			es[i] = jsonValue(e)
		}
		return tuple(es...)
	case string:
		return str(v)
	case bool:
		return boolean(v)
	case float64:
		return hclwrite.TokensForValue(cty.NumberFloatVal(v))
	case nil:
		return raw("null")
	}
	panic(fmt.Sprintf("export: JSON value of type %T", v))
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func ctyString(s string) cty.Value { return cty.StringVal(s) }

const commentToken = hclsyntax.TokenComment
