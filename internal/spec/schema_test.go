package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
)

type schemaNode struct {
	Type                 any                    `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Required             []string               `json:"required"`
	Enum                 []any                  `json:"enum"`
	Default              any                    `json:"default"`
}

func loadSchema(t *testing.T) *schemaNode {
	t.Helper()
	var root schemaNode
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	return &root
}

// parserField is one key the parser knows, flattened with its path.
type parserField struct {
	field
	path string
}

func parserFields(s *Spec) map[string]parserField {
	out := map[string]parserField{}
	var walk func(prefix string, fields []field)
	walk = func(prefix string, fields []field) {
		for _, f := range fields {
			p := join(prefix, f.key)
			out[p] = parserField{f, p}
			if f.section != nil {
				walk(p, f.section())
			}
		}
	}
	walk("", topFields(s))
	return out
}

func schemaFields(n *schemaNode) map[string]*schemaNode {
	out := map[string]*schemaNode{}
	var walk func(prefix string, n *schemaNode)
	walk = func(prefix string, n *schemaNode) {
		for key, child := range n.Properties {
			p := join(prefix, key)
			out[p] = child
			walk(p, child)
		}
	}
	walk("", n)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withoutDefault are the optional keys whose absence means something a
// default value cannot say: the AWS config decides, nothing to set, no such
// policy, or one of two alternatives.
var withoutDefault = map[string]bool{
	"region": true, "profile": true, "service.environment": true, "local.env": true,
	"load_balancer.https.domain": true, "load_balancer.https.certificate_arn": true,
	"service.autoscaling.cpu": true, "service.autoscaling.memory": true, "service.autoscaling.requests_per_target": true,
	"tags": true, "service.image.uri": true, "service.image.build.args": true, "service.image.build.target": true,
	"service.command": true, "service.secrets": true, "capacity.instance_types": true,
	"capacity.fargate_weight": true, "capacity.fargate_spot_weight": true, "load_balancer.allowed_cidrs": true,
	"network.vpc_id": true, "network.vpc_tags": true, "network.public_subnets": true, "network.private_subnets": true,
	"network.public_subnet_tags": true, "network.private_subnet_tags": true,
}

// TestSchemaMatchesParser keeps the editor's view of berth.yaml and berth's
// own in step: same keys, same required keys, same types, same defaults.
func TestSchemaMatchesParser(t *testing.T) {
	root := loadSchema(t)
	inSchema := schemaFields(root)
	inParser := parserFields(defaults("x/berth.yaml"))

	for _, p := range sortedKeys(inParser) {
		if inSchema[p] == nil {
			t.Errorf("parser knows %s but the schema does not", p)
		}
	}
	for _, p := range sortedKeys(inSchema) {
		if _, ok := inParser[p]; !ok {
			t.Errorf("schema has %s but the parser does not know it", p)
		}
	}

	// Every object with fixed keys rejects unknown keys, like the parser.
	objects := map[string]*schemaNode{"": root}
	for p, n := range inSchema {
		if n.Properties != nil {
			objects[p] = n
		}
	}
	for p, n := range objects {
		if n.AdditionalProperties != false {
			t.Errorf("schema object %q allows additional properties", p)
		}
	}

	for _, p := range sortedKeys(inParser) {
		f, n := inParser[p], inSchema[p]
		if n == nil {
			continue
		}
		wantType := goSchemaType(f.field)
		if !schemaTypeIncludes(n.Type, wantType) {
			t.Errorf("%s: schema type %v, parser decodes %s", p, n.Type, wantType)
		}
		if f.required != requiredIn(root, inSchema, p) {
			t.Errorf("%s: parser required=%v, schema disagrees", p, f.required)
		}
		if n.Default != nil {
			got := reflect.ValueOf(f.target).Elem().Interface()
			if !jsonEqual(t, n.Default, got) {
				t.Errorf("%s: schema default %v, parser default %v", p, n.Default, got)
			}
		} else if f.section == nil && !f.required && !withoutDefault[p] {
			t.Errorf("%s: optional field has no default in the schema", p)
		}
	}
}

func TestSchemaEnumsMatchParser(t *testing.T) {
	fields := schemaFields(loadSchema(t))
	tests := []struct {
		path string
		want any
	}{
		{"service.placement", placements},
		{"capacity.provider", providers},
		{"network.mode", networks},
		{"network.nat", nats},
		{"logs.retention_days", retentionDays},
		{"service.protocol", protocols},
		{"load_balancer.https.ssl_policy", sslPolicies},
		{"load_balancer.https.key_algorithm", keyAlgorithms},
	}
	for _, tt := range tests {
		n := fields[tt.path]
		if n == nil {
			t.Fatalf("schema lacks %s", tt.path)
		}
		if !jsonEqual(t, n.Enum, tt.want) {
			t.Errorf("%s: schema enum %v, parser accepts %v", tt.path, n.Enum, tt.want)
		}
	}
}

func TestSchemaReturnsACopy(t *testing.T) {
	first := Schema()
	first[0] = 'x'
	if Schema()[0] == 'x' {
		t.Error("Schema() exposes the embedded bytes to mutation")
	}
}

func goSchemaType(f field) string {
	if f.section != nil {
		return "object"
	}
	switch f.target.(type) {
	case *int:
		return "integer"
	case *string:
		return "string"
	case *bool:
		return "boolean"
	case *[]string:
		return "array"
	case *map[string]string:
		return "object"
	}
	return "unknown"
}

func schemaTypeIncludes(schemaType any, want string) bool {
	switch st := schemaType.(type) {
	case string:
		return st == want
	case []any:
		return slices.Contains(st, any(want))
	}
	return false
}

func requiredIn(root *schemaNode, fields map[string]*schemaNode, path string) bool {
	owner := root
	if parentPath := parent(path); parentPath != "" {
		owner = fields[parentPath]
	}
	key := path
	if i := len(parent(path)); i > 0 {
		key = path[i+1:]
	}
	return slices.Contains(owner.Required, key)
}

// jsonEqual compares through JSON so that schema numbers (float64) and Go
// ints compare by value.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
