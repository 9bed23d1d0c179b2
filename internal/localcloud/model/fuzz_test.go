package model

import (
	"net/url"
	"sort"
	"testing"
)

// FuzzValidate reads arbitrary bodies as each protocol's request tree and
// validates them against operations of the JSON, query and EC2 models:
// never a panic, and at most maxViolations reported.
func FuzzValidate(f *testing.F) {
	all, err := All()
	if err != nil {
		f.Fatal(err)
	}
	type target struct {
		svc *Service
		op  string
	}
	var targets []target
	for _, name := range []string{"ecs", "ssm", "elbv2", "iam", "ec2", "autoscaling"} {
		s := all[name]
		ops := make([]string, 0, len(s.Operations))
		for op := range s.Operations {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			targets = append(targets, target{s, op})
		}
	}
	for _, seed := range []string{
		`{}`, `{"serviceName":"web","launchType":"EC2"}`, `{"tags":[{"key":"","value":null}]}`,
		"Name=web&Subnets.member.1=a", "VpcId.1=vpc-1&Filter.1.Name=x&Filter.1.Value.1=y",
		"Tags.member.1.Key=&Attributes.entry.1.key=k", `{"containerDefinitions":[{"portMappings":[{}]}]}`,
	} {
		f.Add(uint16(0), seed)
		f.Add(uint16(100), seed)
		f.Add(uint16(1000), seed)
	}
	f.Fuzz(func(t *testing.T, which uint16, body string) {
		tg := targets[int(which)%len(targets)]
		ec2 := tg.svc.Metadata.Protocol == "ec2"
		var tree map[string]any
		if tg.svc.Metadata.Protocol == "json" {
			var err error
			if tree, err = FromJSON([]byte(body)); err != nil {
				return
			}
		} else {
			form, err := url.ParseQuery(body)
			if err != nil {
				return
			}
			tree = tg.svc.FromForm(form, tg.svc.Operation(tg.op).Input, ec2)
		}
		if vs := tg.svc.Validate(tg.op, tree, ec2); len(vs) > maxViolations {
			t.Fatalf("%d violations reported, more than %d", len(vs), maxViolations)
		} else if len(vs) > 0 {
			_ = Message(vs)
		}
	})
}
