package model

import "testing"

func TestEveryServedModelLoadsAndIsWhole(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 14 {
		t.Fatalf("%d models embedded, want the 14 the local cloud serves", len(all))
	}
	for name, s := range all {
		if len(s.Operations) == 0 || s.Metadata.APIVersion == "" || s.Metadata.Signing() == "" {
			t.Errorf("%s: incomplete model: %d operations, metadata %+v", name, len(s.Operations), s.Metadata)
		}
		for _, op := range s.Operations {
			if op.Input != "" && s.Shapes[op.Input] == nil {
				t.Errorf("%s %s: input shape %s missing", name, op.Name, op.Input)
			}
			for _, e := range op.Errors {
				if s.Shapes[e] == nil {
					t.Errorf("%s %s: error shape %s missing", name, op.Name, e)
				}
			}
		}
	}
	if ec2 := all["ec2"]; ec2 == nil || ec2.Operation("DescribeVpcClassicLink") == nil {
		t.Error("the EC2 model does not know DescribeVpcClassicLink")
	}
}

func TestLookupFindsServicesTheWayTheRouterRoutes(t *testing.T) {
	cases := []struct{ signing, prefix, version, want string }{
		{"ecs", "AmazonEC2ContainerServiceV20141113", "", "ecs"},
		{"elasticloadbalancing", "", "2015-12-01", "elbv2"},
		{"elasticloadbalancing", "", "2012-06-01", "elb"},
		{"monitoring", "GraniteServiceVersion20100801", "", "cloudwatch"},
		{"monitoring", "", "2010-08-01", "cloudwatch"},
		{"ec2", "", "2016-11-15", "ec2"},
		{"ecs", "", "2016-11-15", ""},
	}
	for _, c := range cases {
		got := Lookup(c.signing, c.prefix, c.version)
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != c.want {
			t.Errorf("Lookup(%q, %q, %q) = %q, want %q", c.signing, c.prefix, c.version, name, c.want)
		}
	}
}
