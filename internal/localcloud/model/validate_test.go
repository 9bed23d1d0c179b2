package model

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func service(t *testing.T, name string) *Service {
	t.Helper()
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	s := all[name]
	if s == nil {
		t.Fatalf("no model %s", name)
	}
	return s
}

func TestValidateJSONRequestsAsAWSDoes(t *testing.T) {
	cases := []struct {
		service, op, body string
		want              []string // one String() per violation; nil = valid
	}{
		{"ssm", "GetParameter", `{"Name":"/app/db"}`, nil},
		{"ssm", "GetParameter", `{}`, []string{"Value null at 'name' failed to satisfy constraint: Member must not be null"}},
		{"ssm", "PutParameter", `{"Name":"x","Value":"v","Type":"Plain"}`,
			[]string{"Value 'Plain' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [String, StringList, SecureString]"}},
		{"ecs", "CreateService", `{"serviceName":"web","launchType":"MOON"}`,
			[]string{"Value 'MOON' at 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]"}},
		{"logs", "CreateLogGroup", `{"logGroupName":"bad name!"}`,
			[]string{"Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"}},
		{"application-autoscaling", "RegisterScalableTarget", `{"ServiceNamespace":"ecs","ResourceId":"service/c/s","ScalableDimension":"ecs:service:Count"}`,
			[]string{"Value 'ecs:service:Count' at 'scalableDimension' failed to satisfy constraint: Member must satisfy enum value set: [" +
				"ecs:service:DesiredCount, ec2:spot-fleet-request:TargetCapacity, elasticmapreduce:instancegroup:InstanceCount, appstream:fleet:DesiredCapacity, " +
				"dynamodb:table:ReadCapacityUnits, dynamodb:table:WriteCapacityUnits, dynamodb:index:ReadCapacityUnits, dynamodb:index:WriteCapacityUnits, " +
				"rds:cluster:ReadReplicaCount, sagemaker:variant:DesiredInstanceCount, custom-resource:ResourceType:Property, " +
				"comprehend:document-classifier-endpoint:DesiredInferenceUnits, comprehend:entity-recognizer-endpoint:DesiredInferenceUnits, " +
				"lambda:function:ProvisionedConcurrency, cassandra:table:ReadCapacityUnits, cassandra:table:WriteCapacityUnits, kafka:broker-storage:VolumeSize, " +
				"elasticache:cache-cluster:Nodes, elasticache:replication-group:NodeGroups, elasticache:replication-group:Replicas, neptune:cluster:ReadReplicaCount, " +
				"sagemaker:variant:DesiredProvisionedConcurrency, sagemaker:inference-component:DesiredCopyCount, workspaces:workspacespool:DesiredUserSessions]"}},
		{"ecs", "TagResource", `{"resourceArn":"arn","tags":[{"key":"","value":"v"}]}`,
			[]string{"Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
	}
	for _, c := range cases {
		tree, err := FromJSON([]byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		got := strs(service(t, c.service).Validate(c.op, tree, false))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s %s:\n got %q\nwant %q", c.service, c.op, c.body, got, c.want)
		}
	}
}

func TestFormsAreReadWithEachProtocolsNames(t *testing.T) {
	elbv2 := service(t, "elbv2")
	form, _ := url.ParseQuery("Name=web&Subnets.member.1=subnet-a&Subnets.member.2=subnet-b&Tags.member.1.Key=env&Tags.member.1.Value=dev")
	tree := elbv2.FromForm(form, elbv2.Operation("CreateLoadBalancer").Input, false)
	want := map[string]any{"Name": "web", "Subnets": []any{"subnet-a", "subnet-b"},
		"Tags": []any{map[string]any{"Key": "env", "Value": "dev"}}}
	if !reflect.DeepEqual(tree, want) {
		t.Errorf("query form read as %#v, want %#v", tree, want)
	}

	ec2 := service(t, "ec2")
	form, _ = url.ParseQuery("VpcId.1=vpc-1&VpcId.2=vpc-2&Filter.1.Name=tag:Name&Filter.1.Value.1=web")
	tree = ec2.FromForm(form, ec2.Operation("DescribeVpcs").Input, true)
	want = map[string]any{"VpcIds": []any{"vpc-1", "vpc-2"},
		"Filters": []any{map[string]any{"Name": "tag:Name", "Values": []any{"web"}}}}
	if !reflect.DeepEqual(tree, want) {
		t.Errorf("EC2 form read as %#v, want %#v", tree, want)
	}

	empty, _ := url.ParseQuery("SecurityGroups=")
	tree = elbv2.FromForm(empty, elbv2.Operation("SetSecurityGroups").Input, false)
	if l, ok := tree["SecurityGroups"].([]any); !ok || len(l) != 0 {
		t.Errorf("an empty query list read as %#v", tree["SecurityGroups"])
	}
}

func TestFormViolationsNameTheirWireMembers(t *testing.T) {
	ec2 := service(t, "ec2")
	form, _ := url.ParseQuery("GroupName=web")
	vs := ec2.Validate("CreateSecurityGroup", ec2.FromForm(form, ec2.Operation("CreateSecurityGroup").Input, true), true)
	if len(vs) != 1 || !vs[0].Required() || vs[0].WireName != "GroupDescription" {
		t.Fatalf("violations %+v, want GroupDescription missing", vs)
	}

	elbv2 := service(t, "elbv2")
	form, _ = url.ParseQuery("Name=web&Protocol=HTTP&Port=0&HealthCheckIntervalSeconds=301")
	got := strs(elbv2.Validate("CreateTargetGroup", elbv2.FromForm(form, elbv2.Operation("CreateTargetGroup").Input, false), false))
	slices.Sort(got)
	want := []string{
		"Value '0' at 'port' failed to satisfy constraint: Member must have value greater than or equal to 1",
		"Value '301' at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value less than or equal to 300",
	}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if msg := Message([]Violation{{Path: "a", Null: true, Constraint: "Member must not be null"}, {Path: "b", Value: "x", Constraint: "c"}}); msg !=
		"2 validation errors detected: Value null at 'a' failed to satisfy constraint: Member must not be null; Value 'x' at 'b' failed to satisfy constraint: c" {
		t.Errorf("Message = %q", msg)
	}
}

func TestSensitiveValuesAreNeverEchoed(t *testing.T) {
	sm := service(t, "secretsmanager")
	tree, _ := FromJSON([]byte(`{"Name":"db","SecretString":"` + strings.Repeat("s", 70000) + `"}`))
	for _, v := range sm.Validate("CreateSecret", tree, false) {
		if strings.Contains(v.String(), "sss") {
			t.Fatalf("a sensitive value was echoed: %.80s", v.String())
		}
	}
}

func strs(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}
