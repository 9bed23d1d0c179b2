package query_test

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/protocol/query/querytest"
	elbwire "github.com/berthdev/berth/internal/localcloud/service/elbv2/wire"
)

// handWritten has the tag forms hand-written response shapes use (EC2's):
// a>b parents shared by neighbours, omitempty on bare slices, chardata.
type handWritten struct {
	ID      string                          `xml:"groupId"`
	Names   []string                        `xml:"nameSet>item"`
	Others  []string                        `xml:"nameSet>other,omitempty"`
	Ports   []*int                          `xml:"portSet>item"`
	Nested  *handWrittenValue               `xml:"nested,omitempty"`
	Values  ec2query.List[handWrittenValue] `xml:"valueSet"`
	Created protocol.XMLTime                `xml:"createTime"`
	Tags    query.Map                       `xml:"tags"`
	Ratio   float64                         `xml:"ratio,omitempty"`
	Flag    *bool                           `xml:"a>b>flag"`
	Count   int32                           `xml:"a>count"`
	Ignored string                          `xml:"-"`
}

type handWrittenValue struct {
	Value string `xml:",chardata"`
}

// TestAppendXMLMatchesEncodingXML fills every response shape many times
// over with random values (nil and empty lists, nil pointers, text that
// needs escaping, invalid UTF-8) and requires the planned encoder to write
// exactly what encoding/xml writes.
func TestAppendXMLMatchesEncodingXML(t *testing.T) {
	types := []reflect.Type{reflect.TypeFor[handWritten]()}
	for _, shapes := range elbwire.Operations {
		types = append(types, shapes.Output)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range types {
		for range 40 {
			v := reflect.New(typ)
			querytest.Fill(rng, v.Elem())
			var buf bytes.Buffer
			enc := xml.NewEncoder(&buf)
			if err := enc.EncodeElement(v.Interface(), xml.StartElement{Name: xml.Name{Local: "Result"}}); err != nil {
				t.Fatalf("%v: encoding/xml: %v", typ, err)
			}
			got, ok, err := query.AppendElement(nil, "Result", v.Interface())
			if !ok || err != nil {
				t.Fatalf("%v: no plan (ok %v) or error %v", typ, ok, err)
			}
			if !bytes.Equal(got, buf.Bytes()) {
				t.Fatalf("%v:\n got %s\nwant %s", typ, got, buf.Bytes())
			}
			content, _, _ := query.AppendContent(nil, v.Interface())
			if wrapped := "<Result>" + string(content) + "</Result>"; wrapped != buf.String() {
				t.Fatalf("%v: content\n got %s\nwant %s", typ, wrapped, buf.Bytes())
			}
		}
	}
}

// BenchmarkEncodeDescribeTargetGroups compares the planned encoder with
// encoding/xml on a DescribeTargetGroups reply of one group.
func BenchmarkEncodeDescribeTargetGroups(b *testing.B) {
	n := func(v int) *int { return &v }
	out := &elbwire.DescribeTargetGroupsOutput{TargetGroups: query.List[elbwire.TargetGroup]{{
		TargetGroupArn:  "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0123456789abcdef",
		TargetGroupName: "bench", Protocol: "HTTP", Port: n(80), VpcId: "vpc-0123456789abcdef0",
		HealthCheckProtocol: "HTTP", HealthCheckPort: "traffic-port", HealthCheckEnabled: new(bool),
		HealthCheckIntervalSeconds: n(30), HealthCheckTimeoutSeconds: n(5), HealthyThresholdCount: n(5),
		UnhealthyThresholdCount: n(2), HealthCheckPath: "/", Matcher: &elbwire.Matcher{HttpCode: "200"},
		LoadBalancerArns: query.List[string]{}, TargetType: "instance", ProtocolVersion: "HTTP1", IpAddressType: "ipv4",
	}}}
	start := xml.StartElement{Name: xml.Name{Local: "DescribeTargetGroupsResult"}}
	b.Run("encoding/xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := query.MarshalElement(out, start, func([]byte) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			var err error
			if buf, _, err = query.AppendElement(buf[:0], "DescribeTargetGroupsResult", out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
