package ssm_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

const recommended = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended"

func newClient(t *testing.T) (*ssm.Client, *localcloudtest.Cloud) {
	t.Helper()
	cloud := localcloudtest.Start(t)
	return ssm.NewFromConfig(cloud.Config), cloud
}

// must returns v, failing the test on err: must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestPublicECSOptimizedAMI(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, cloud := newClient(t)
	image := ec2.ECSOptimizedImage("us-east-1")

	out := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(recommended)}))(t)
	var value map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &value); err != nil {
		t.Fatalf("value is not JSON: %v", err)
	}
	if value["image_id"] != image.ID || value["image_name"] != image.Name || value["schema_version"] != float64(1) {
		t.Errorf("recommended = %v, want image %s", value, image.ID)
	}
	for _, key := range []string{"ecs_agent_version", "os", "source_image_name"} {
		if value[key] == nil {
			t.Errorf("recommended lacks %s", key)
		}
	}
	if arn := aws.ToString(out.Parameter.ARN); arn != "arn:aws:ssm:us-east-1::parameter"+recommended {
		t.Errorf("ARN = %s", arn)
	}
	id := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(recommended + "/image_id")}))(t)
	if aws.ToString(id.Parameter.Value) != image.ID {
		t.Errorf("image_id = %s, want %s", aws.ToString(id.Parameter.Value), image.ID)
	}
	byPath := must(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws/service/ecs/optimized-ami/amazon-linux-2023/")}))(t)
	if len(byPath.Parameters) != 1 || aws.ToString(byPath.Parameters[0].Name) != recommended {
		t.Errorf("one level below the tree: %+v", byPath.Parameters)
	}
	var names []string
	for p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: aws.String("/aws/service/ecs"), Recursive: aws.Bool(true), MaxResults: aws.Int32(3)}); p.HasMorePages(); {
		for _, param := range must(p.NextPage(ctx))(t).Parameters {
			names = append(names, aws.ToString(param.Name))
		}
	}
	if !sort.StringsAreSorted(names) || len(names) < 3 || names[0] != recommended {
		t.Errorf("recursive by path: %v", names)
	}
	other := must(ssm.NewFromConfig(cloud.Config, func(o *ssm.Options) { o.Region = "eu-west-1" }).
		GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(recommended + "/image_id")}))(t)
	if aws.ToString(other.Parameter.Value) != ec2.ECSOptimizedImage("eu-west-1").ID {
		t.Errorf("eu-west-1 image_id = %s", aws.ToString(other.Parameter.Value))
	}

	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(recommended), Value: aws.String("x"), Type: types.ParameterTypeString, Overwrite: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "AccessDeniedException")
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(recommended)})
	localcloudtest.WantCode(t, err, "AccessDeniedException")
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/aws/mine"), Value: aws.String("x"), Type: types.ParameterTypeString})
	localcloudtest.WantCode(t, err, "ValidationException")
	again := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(recommended + "/image_id")}))(t)
	if aws.ToString(again.Parameter.Value) != image.ID {
		t.Errorf("public parameter changed to %s", aws.ToString(again.Parameter.Value))
	}
}

func TestPutParameterVersions(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	put := func(value string, overwrite bool) (*ssm.PutParameterOutput, error) {
		return c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/web/db/url"), Value: aws.String(value), Type: types.ParameterTypeString, Overwrite: aws.Bool(overwrite)})
	}
	first := must(put("v1", false))(t)
	if first.Version != 1 || first.Tier != types.ParameterTierStandard {
		t.Errorf("first put = %+v", first)
	}
	_, err := put("v2", false)
	localcloudtest.WantCode(t, err, "ParameterAlreadyExists")
	if second := must(put("v2", true))(t); second.Version != 2 {
		t.Errorf("second version = %d", second.Version)
	}
	got := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/db/url")}))(t)
	if aws.ToString(got.Parameter.Value) != "v2" || got.Parameter.Version != 2 || aws.ToString(got.Parameter.DataType) != "text" {
		t.Errorf("current = %+v", got.Parameter)
	}
	old := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/db/url:1")}))(t)
	if aws.ToString(old.Parameter.Value) != "v1" || aws.ToString(old.Parameter.Selector) != ":1" {
		t.Errorf("version 1 = %+v", old.Parameter)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/db/url:9")})
	localcloudtest.WantCode(t, err, "ParameterVersionNotFound")
	history := must(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/web/db/url")}))(t)
	if len(history.Parameters) != 2 || aws.ToString(history.Parameters[0].Value) != "v1" || history.Parameters[1].Version != 2 {
		t.Errorf("history = %+v", history.Parameters)
	}

	must(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/web/secret"), Value: aws.String("hunter2"), Type: types.ParameterTypeSecureString}))(t)
	hidden := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/secret")}))(t)
	if v := aws.ToString(hidden.Parameter.Value); v == "hunter2" || v == "" {
		t.Errorf("SecureString without decryption = %q", v)
	}
	shown := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/secret"), WithDecryption: aws.Bool(true)}))(t)
	if aws.ToString(shown.Parameter.Value) != "hunter2" {
		t.Errorf("SecureString with decryption = %q", aws.ToString(shown.Parameter.Value))
	}

	batch := must(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/web/db/url", "/web/missing", recommended}}))(t)
	if len(batch.Parameters) != 2 || len(batch.InvalidParameters) != 1 || batch.InvalidParameters[0] != "/web/missing" {
		t.Errorf("GetParameters = %+v / %v", batch.Parameters, batch.InvalidParameters)
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/web/missing")})
	localcloudtest.WantCode(t, err, "ParameterNotFound")
	must(c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/web/db/url")}))(t)
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/web/db/url")})
	localcloudtest.WantCode(t, err, "ParameterNotFound")
	deleted := must(c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/web/secret", "/web/missing"}}))(t)
	if len(deleted.DeletedParameters) != 1 || len(deleted.InvalidParameters) != 1 {
		t.Errorf("DeleteParameters = %+v", deleted)
	}
}

func TestPutParameterValidation(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	tests := []struct {
		name string
		in   ssm.PutParameterInput
		code string
	}{
		{"no type on create", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String("v")}, "ValidationException"},
		{"relative path", ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"bad character", ssm.PutParameterInput{Name: aws.String("/a b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"ssm prefix", ssm.PutParameterInput{Name: aws.String("ssm-x"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"too deep", ssm.PutParameterInput{Name: aws.String(strings.Repeat("/a", 16)), Value: aws.String("v"), Type: types.ParameterTypeString}, "HierarchyLevelLimitExceededException"},
		{"value too large", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String(strings.Repeat("x", 4097)), Type: types.ParameterTypeString}, "ValidationException"},
		{"pattern mismatch", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String("abc"), AllowedPattern: aws.String(`^\d+$`), Type: types.ParameterTypeString}, "ParameterPatternMismatchException"},
		{"tags with overwrite", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String("v"), Type: types.ParameterTypeString, Overwrite: aws.Bool(true), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, "ValidationException"},
		{"bad image id", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String("x"), Type: types.ParameterTypeString, DataType: aws.String("aws:ec2:image")}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutParameter(ctx, &tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	described := must(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))(t)
	if len(described.Parameters) != 0 {
		t.Errorf("failed puts left parameters: %+v", described.Parameters)
	}
}

func TestDescribeTagsAndLabels(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	for _, name := range []string{"/app/a", "/app/b", "/app/deep/c", "/other/d"} {
		must(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: types.ParameterTypeString,
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}))(t)
	}
	tests := []struct {
		name    string
		filters []types.ParameterStringFilter
		want    []string
	}{
		{"path one level", []types.ParameterStringFilter{{Key: aws.String("Path"), Values: []string{"/app"}}}, []string{"/app/a", "/app/b"}},
		{"path recursive", []types.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/app"}}}, []string{"/app/a", "/app/b", "/app/deep/c"}},
		{"name begins with", []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/other"}}}, []string{"/other/d"}},
		{"name equals", []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"/app/b"}}}, []string{"/app/b"}},
		{"tag", []types.ParameterStringFilter{{Key: aws.String("tag:team"), Values: []string{"web"}}}, []string{"/app/a", "/app/b", "/app/deep/c", "/other/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for p := ssm.NewDescribeParametersPaginator(c, &ssm.DescribeParametersInput{ParameterFilters: tt.filters, MaxResults: aws.Int32(1)}); p.HasMorePages(); {
				for _, param := range must(p.NextPage(ctx))(t).Parameters {
					got = append(got, aws.ToString(param.Name))
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	resource := func() (types.ResourceTypeForTagging, *string) {
		return types.ResourceTypeForTaggingParameter, aws.String("/app/a")
	}
	kind, id := resource()
	must(c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: kind, ResourceId: id, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	must(c.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{ResourceType: kind, ResourceId: id, TagKeys: []string{"team"}}))(t)
	tags := must(c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: kind, ResourceId: id}))(t)
	if len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Key) != "env" {
		t.Errorf("tags = %+v", tags.TagList)
	}
	_, err := c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: kind, ResourceId: aws.String("/nope")})
	localcloudtest.WantCode(t, err, "InvalidResourceId")

	must(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/a"), Value: aws.String("v2"), Overwrite: aws.Bool(true)}))(t)
	must(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/a"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"}}))(t)
	labelled := must(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/a:stable")}))(t)
	if labelled.Parameter.Version != 1 || aws.ToString(labelled.Parameter.Value) != "v" {
		t.Errorf("/app/a:stable = %+v", labelled.Parameter)
	}
}

// botocore is stricter about member names than the Go SDK.
func TestAWSCLIGetParameters(t *testing.T) {
	_, cloud := newClient(t)
	out, err := localcloudtest.AWSCLI(t, cloud.Endpoint, "us-east-1", "ssm", "get-parameters", "--names", recommended, "/nope")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Parameters []struct {
			Name, Type, Value, ARN, DataType string
			Version                          int
			LastModifiedDate                 any // CLI v1 prints the wire form, v2 a date
		}
		InvalidParameters []string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	if len(doc.Parameters) != 1 || doc.Parameters[0].Name != recommended || !strings.Contains(doc.Parameters[0].Value, ec2.ECSOptimizedImage("us-east-1").ID) ||
		doc.Parameters[0].LastModifiedDate == nil || len(doc.InvalidParameters) != 1 {
		t.Errorf("aws ssm get-parameters printed %s", out)
	}
}

// An overwrite that sends an empty description clears the one the
// parameter had; one that leaves it out keeps it.
func TestOverwriteWithEmptyDescriptionClearsIt(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	put := func(description *string) {
		t.Helper()
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String("/shop/eu-west-1/db"), Value: aws.String("v"), Type: types.ParameterTypeString,
			Overwrite: aws.Bool(true), Description: description,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	description := func() string {
		t.Helper()
		out, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
		if err != nil || len(out.Parameters) != 1 {
			t.Fatalf("describe parameters: %v %+v", err, out)
		}
		return aws.ToString(out.Parameters[0].Description)
	}
	put(aws.String("the shop's database"))
	put(nil)
	if got := description(); got != "the shop's database" {
		t.Errorf("after an overwrite without a description it is %q, want it kept", got)
	}
	put(aws.String(""))
	if got := description(); got != "" {
		t.Errorf("after an overwrite with an empty description it is %q, want it cleared", got)
	}
}
