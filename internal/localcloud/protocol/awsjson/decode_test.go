package awsjson

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// describeInput is the shape of the read mix's ECS DescribeClusters body.
type describeInput struct {
	Clusters []string `json:"clusters"`
	Include  []string `json:"include"`
}

// TestDecodeRefusesTrailingData: a body is one JSON value, as AWS reads it;
// what follows the value is a serialization error, not ignored.
func TestDecodeRefusesTrailingData(t *testing.T) {
	for _, body := range []string{`{"clusters":["web"]} {"clusters":["other"]}`, `{"clusters":["web"]}x`, `{"clusters":["web"]`} {
		var in describeInput
		err := Codec{}.Decode(httptest.NewRequest("POST", "/", nil), []byte(body), &in)
		if err == nil || !strings.Contains(err.Error(), "SerializationException") {
			t.Errorf("Decode(%s) = %v, want a SerializationException", body, err)
		}
	}
	var in describeInput
	if err := (Codec{}).Decode(httptest.NewRequest("POST", "/", nil), []byte(" {\"clusters\":[\"web\"]}\n"), &in); err != nil || len(in.Clusters) != 1 || in.Clusters[0] != "web" {
		t.Fatalf("Decode of a body with surrounding space = %+v, %v", in, err)
	}
}

// TestDecodeAllocations guards the decoder's cost per request: it decodes
// straight from the body it is handed, with no stream decoder and no copy
// of the body, so it allocates no more than json.Unmarshal does itself.
func TestDecodeAllocations(t *testing.T) {
	body := []byte(`{"clusters":["arn:aws:ecs:eu-west-1:000000000000:cluster/orders"],"include":["TAGS"]}`)
	r := httptest.NewRequest("POST", "/", nil)
	decode := testing.AllocsPerRun(200, func() {
		var in describeInput
		if err := (Codec{}).Decode(r, body, &in); err != nil {
			t.Fatal(err)
		}
	})
	unmarshal := testing.AllocsPerRun(200, func() {
		var in describeInput
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatal(err)
		}
	})
	if decode > unmarshal {
		t.Fatalf("Decode makes %.0f allocations per body, json.Unmarshal %.0f", decode, unmarshal)
	}
}
