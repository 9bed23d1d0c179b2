package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/model"
)

// The committed Go shapes are what the generator makes of the committed
// models: a hand edit, or a model regenerated without its shapes, fails
// here. (Regenerate with go generate ./internal/localcloud/model, or
// go run ./internal/localcloud/model/gen -shapes-only without botocore.)
func TestGeneratedShapesAreCurrent(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..")
	for _, p := range wirePackages {
		want, err := shapesFromDir(filepath.Join(root, "internal/localcloud/model/models"), p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, p.dir, "shapes.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/shapes.go is stale: run go run ./internal/localcloud/model/gen -shapes-only", p.dir)
		}
	}
}

// Every listed operation keeps its output shape in the trimmed model, so
// that its response type can be generated.
func TestImplementedOperationsKeepTheirOutputs(t *testing.T) {
	raw := map[string]any{
		"metadata":   map[string]any{"protocol": "query"},
		"operations": map[string]any{"Get": map[string]any{"input": map[string]any{"shape": "GetIn"}, "output": map[string]any{"shape": "GetOut"}}, "Other": map[string]any{"output": map[string]any{"shape": "OtherOut"}}},
		"shapes": map[string]any{
			"GetIn":    map[string]any{"type": "structure", "members": map[string]any{}},
			"GetOut":   map[string]any{"type": "structure", "members": map[string]any{"Items": map[string]any{"shape": "Items"}}},
			"Items":    map[string]any{"type": "list", "member": map[string]any{"shape": "String"}},
			"String":   map[string]any{"type": "string"},
			"OtherOut": map[string]any{"type": "structure", "members": map[string]any{}},
		},
	}
	trimmed, err := trim(raw, []string{"Get"})
	if err != nil {
		t.Fatal(err)
	}
	shapes := trimmed["shapes"].(map[string]any)
	for _, name := range []string{"GetIn", "GetOut", "Items", "String"} {
		if shapes[name] == nil {
			t.Errorf("shape %s was dropped", name)
		}
	}
	if shapes["OtherOut"] != nil {
		t.Errorf("the output of an unimplemented operation was kept")
	}
}

// A blob member of a query or EC2 shape is a query.Blob (base64 both
// ways), left out of the XML when empty unless required; JSON keeps []byte.
func TestBlobMembers(t *testing.T) {
	for _, tc := range []struct{ proto, want []string }{
		{[]string{"ec2"}, []string{"Material query.Blob `query:\"PublicKeyMaterial\" xml:\"publicKeyMaterial\"`",
			"Optional query.Blob `query:\"Optional\" xml:\"Optional,omitempty\"`"}},
		{[]string{"query"}, []string{"Material query.Blob `query:\"publicKeyMaterial\" xml:\"publicKeyMaterial\"`",
			"Optional query.Blob `query:\"Optional\" xml:\"Optional,omitempty\"`"}},
		{[]string{"json"}, []string{"Material []byte `json:\"Material,omitzero\"`"}},
	} {
		raw := `{"metadata":{"protocol":"` + tc.proto[0] + `","serviceId":"T","apiVersion":"1"},
			"operations":{"Put":{"input":"PutIn"}},
			"shapes":{"PutIn":{"type":"structure","required":["Material"],"members":{
				"Material":{"shape":"Bytes","locationName":"publicKeyMaterial"},"Optional":{"shape":"Bytes"}}},
				"Bytes":{"type":"blob"}}}`
		svc := &model.Service{Name: "t"}
		if err := json.Unmarshal([]byte(raw), svc); err != nil {
			t.Fatal(err)
		}
		src, err := goShapes(svc, wirePackage{model: "t", dir: "x/wire", operations: []string{"Put"}}, "test")
		if err != nil {
			t.Fatalf("%s: %v", tc.proto[0], err)
		}
		flat := strings.Join(strings.Fields(string(src)), " ")
		for _, want := range tc.want {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: the shapes lack %s:\n%s", tc.proto[0], want, src)
			}
		}
	}
}
