package ecs_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// appDefinition is berth's shape of task definition: awsvpc on EC2, one
// container with a port and awslogs.
func appDefinition(family string) *awsecs.RegisterTaskDefinitionInput {
	return &awsecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::000000000000:role/exec"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String("fastapi:latest"),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8000)}},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs",
			}},
		}},
		Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("web")}},
	}
}

func (f *fixture) register(t *testing.T, in *awsecs.RegisterTaskDefinitionInput) *types.TaskDefinition {
	t.Helper()
	out, err := f.client.RegisterTaskDefinition(f.ctx, in)
	localcloudtest.WantCode(t, err, "")
	return out.TaskDefinition
}

func TestRegisterTaskDefinitionNormalizes(t *testing.T) {
	f := start(t)
	def := f.register(t, appDefinition("app"))
	if aws.ToString(def.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:000000000000:task-definition/app:1" || def.Revision != 1 || def.Status != types.TaskDefinitionStatusActive {
		t.Fatalf("registered %s rev %d %s", aws.ToString(def.TaskDefinitionArn), def.Revision, def.Status)
	}
	c := def.ContainerDefinitions[0]
	if !aws.ToBool(c.Essential) {
		t.Errorf("essential did not default to true")
	}
	pm := c.PortMappings[0]
	if pm.Protocol != types.TransportProtocolTcp || aws.ToInt32(pm.HostPort) != 8000 {
		t.Errorf("port mapping = protocol %q host %d, want tcp and the container port", pm.Protocol, aws.ToInt32(pm.HostPort))
	}
	if aws.ToString(def.Cpu) != "256" || aws.ToString(def.Memory) != "512" {
		t.Errorf("cpu/memory = %s/%s", aws.ToString(def.Cpu), aws.ToString(def.Memory))
	}
	if len(def.Compatibilities) != 2 {
		t.Errorf("compatibilities = %v, want EC2 and FARGATE", def.Compatibilities)
	}

	second := f.register(t, appDefinition("app"))
	if second.Revision != 2 {
		t.Errorf("second revision = %d", second.Revision)
	}

	for _, ref := range []string{"app", "app:2", aws.ToString(second.TaskDefinitionArn)} {
		out, err := f.client.DescribeTaskDefinition(f.ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
		localcloudtest.WantCode(t, err, "")
		if out.TaskDefinition.Revision != 2 || len(out.Tags) != 1 {
			t.Errorf("describe %s: revision %d tags %v", ref, out.TaskDefinition.Revision, out.Tags)
		}
	}
	_, err := f.client.DescribeTaskDefinition(f.ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope")})
	localcloudtest.WantCode(t, err, "ClientException")

	// vCPU and GB units become CPU units and MiB.
	units := appDefinition("units")
	units.Cpu, units.Memory = aws.String("1 vCPU"), aws.String("2 GB")
	def = f.register(t, units)
	if aws.ToString(def.Cpu) != "1024" || aws.ToString(def.Memory) != "2048" {
		t.Errorf("units: cpu %s memory %s", aws.ToString(def.Cpu), aws.ToString(def.Memory))
	}
}

func TestRegisterTaskDefinitionValidation(t *testing.T) {
	f := start(t)
	tests := []struct {
		name   string
		change func(in *awsecs.RegisterTaskDefinitionInput)
	}{
		{"no family", func(in *awsecs.RegisterTaskDefinitionInput) { in.Family = aws.String("") }},
		{"bad family", func(in *awsecs.RegisterTaskDefinitionInput) { in.Family = aws.String("a/b") }},
		{"no containers", func(in *awsecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = []types.ContainerDefinition{} }},
		{"no image", func(in *awsecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Image = nil }},
		{"bad cpu", func(in *awsecs.RegisterTaskDefinitionInput) { in.Cpu = aws.String("lots") }},
		{"host port differs under awsvpc", func(in *awsecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].PortMappings[0].HostPort = aws.Int32(80)
		}},
		{"no memory anywhere", func(in *awsecs.RegisterTaskDefinitionInput) { in.Memory = nil }},
		{"no essential container", func(in *awsecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) }},
		{"awslogs without group", func(in *awsecs.RegisterTaskDefinitionInput) {
			delete(in.ContainerDefinitions[0].LogConfiguration.Options, "awslogs-group")
		}},
		{"fargate size that does not exist", func(in *awsecs.RegisterTaskDefinitionInput) {
			in.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
			in.Memory = aws.String("4096")
		}},
		{"fargate outside awsvpc", func(in *awsecs.RegisterTaskDefinitionInput) {
			in.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
			in.NetworkMode = types.NetworkModeBridge
			in.ContainerDefinitions[0].PortMappings = nil
		}},
		{"container memory above task memory", func(in *awsecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions[0].Memory = aws.Int32(1024)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := appDefinition("bad")
			tt.change(in)
			_, err := f.client.RegisterTaskDefinition(f.ctx, in)
			localcloudtest.WantCode(t, err, "ClientException")
		})
	}
	families, err := f.client.ListTaskDefinitionFamilies(f.ctx, &awsecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusAll})
	localcloudtest.WantCode(t, err, "")
	if len(families.Families) != 0 {
		t.Errorf("failed registrations left families %v", families.Families)
	}
}

func TestTaskDefinitionListingAndRetirement(t *testing.T) {
	f := start(t)
	for range 3 {
		f.register(t, appDefinition("app"))
	}
	f.register(t, appDefinition("worker"))

	list, err := f.client.ListTaskDefinitions(f.ctx, &awsecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("app"), Sort: types.SortOrderDesc})
	localcloudtest.WantCode(t, err, "")
	want := []string{"app:3", "app:2", "app:1"}
	if len(list.TaskDefinitionArns) != 3 {
		t.Fatalf("list = %v", list.TaskDefinitionArns)
	}
	for i, arn := range list.TaskDefinitionArns {
		if arn != "arn:aws:ecs:us-east-1:000000000000:task-definition/"+want[i] {
			t.Errorf("list[%d] = %s, want %s", i, arn, want[i])
		}
	}

	var paged []string
	paginator := awsecs.NewListTaskDefinitionsPaginator(f.client, &awsecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(3)})
	for paginator.HasMorePages() {
		out, err := paginator.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		paged = append(paged, out.TaskDefinitionArns...)
	}
	if len(paged) != 4 {
		t.Errorf("paged through %d definitions, want 4", len(paged))
	}

	_, err = f.client.DeregisterTaskDefinition(f.ctx, &awsecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("app:3")})
	localcloudtest.WantCode(t, err, "")
	latest, err := f.client.DescribeTaskDefinition(f.ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("app")})
	localcloudtest.WantCode(t, err, "")
	if latest.TaskDefinition.Revision != 2 {
		t.Errorf("family resolves to revision %d after deregistering 3, want 2", latest.TaskDefinition.Revision)
	}
	inactive, err := f.client.ListTaskDefinitions(f.ctx, &awsecs.ListTaskDefinitionsInput{Status: types.TaskDefinitionStatusInactive})
	localcloudtest.WantCode(t, err, "")
	if len(inactive.TaskDefinitionArns) != 1 {
		t.Errorf("inactive = %v", inactive.TaskDefinitionArns)
	}

	deleted, err := f.client.DeleteTaskDefinitions(f.ctx, &awsecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"app:3", "app:1", "app:9"}})
	localcloudtest.WantCode(t, err, "")
	if len(deleted.TaskDefinitions) != 1 || deleted.TaskDefinitions[0].Status != types.TaskDefinitionStatusDeleteInProgress || len(deleted.Failures) != 2 {
		t.Errorf("delete: %d deleted, %d failures", len(deleted.TaskDefinitions), len(deleted.Failures))
	}

	// Revisions are never reused, even after a delete.
	if def := f.register(t, appDefinition("app")); def.Revision != 4 {
		t.Errorf("next revision = %d, want 4", def.Revision)
	}
	families, err := f.client.ListTaskDefinitionFamilies(f.ctx, &awsecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("wor")})
	localcloudtest.WantCode(t, err, "")
	if len(families.Families) != 1 || families.Families[0] != "worker" {
		t.Errorf("families = %v", families.Families)
	}
}
