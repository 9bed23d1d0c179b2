package ec2query_test

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/protocol/query/querytest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// TestEC2RepliesMatchEncodingXML holds the planned encoder to encoding/xml's
// bytes on every EC2 response shape (hand-written ones included), each
// filled at random many times; a shape without a plan is written by
// encoding/xml itself, so only planned ones are compared.
func TestEC2RepliesMatchEncodingXML(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	planned := 0
	for _, op := range ec2.New(nil).Service().Operations {
		for range 20 {
			v := reflect.New(op.Shapes.Output)
			querytest.Fill(rng, v.Elem())
			var want bytes.Buffer
			if err := xml.NewEncoder(&want).EncodeElement(v.Interface(), xml.StartElement{Name: xml.Name{Local: "R"}}); err != nil {
				t.Fatalf("%s: encoding/xml: %v", op.Name, err)
			}
			content, ok, err := query.AppendContent(nil, v.Interface())
			if !ok {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", op.Name, err)
			}
			if got := "<R>" + string(content) + "</R>"; got != want.String() {
				t.Fatalf("%s:\n got %s\nwant %s", op.Name, got, want.Bytes())
			}
			planned++
		}
	}
	if planned == 0 {
		t.Fatal("no EC2 response shape has a plan")
	}
	t.Logf("%d planned replies compared", planned)
}
