package secretsmanager_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func newClient(t *testing.T) (*sm.Client, *localcloudtest.Cloud) {
	t.Helper()
	cloud := localcloudtest.Start(t)
	return sm.NewFromConfig(cloud.Config), cloud
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

func value(t *testing.T, c *sm.Client, in *sm.GetSecretValueInput) *sm.GetSecretValueOutput {
	t.Helper()
	return must(c.GetSecretValue(context.Background(), in))(t)
}

func TestCreateAndGet(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	created := must(c.CreateSecret(ctx, &sm.CreateSecretInput{
		Name: aws.String("prod/db/password"), SecretString: aws.String("hunter2"), Description: aws.String("the database"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	}))(t)
	arn := aws.ToString(created.ARN)
	prefix := "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db/password-"
	if !strings.HasPrefix(arn, prefix) || len(arn) != len(prefix)+6 || aws.ToString(created.VersionId) == "" {
		t.Fatalf("created %s version %s", arn, aws.ToString(created.VersionId))
	}
	for _, id := range []string{"prod/db/password", arn, strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		got := value(t, c, &sm.GetSecretValueInput{SecretId: aws.String(id)})
		if aws.ToString(got.SecretString) != "hunter2" || aws.ToString(got.ARN) != arn || !slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) || got.CreatedDate == nil {
			t.Errorf("by %s: %+v", id, got)
		}
	}
	bin := must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("blob"), SecretBinary: []byte{0, 1, 2, 255}}))(t)
	if got := value(t, c, &sm.GetSecretValueInput{SecretId: bin.ARN}); string(got.SecretBinary) != "\x00\x01\x02\xff" || got.SecretString != nil {
		t.Errorf("binary secret: %+v", got)
	}
	// A secret without a value has no AWSCURRENT version yet.
	must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("empty")}))(t)

	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown secret", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
		{"wrong random suffix", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(prefix + "zzzzzz")})
			return err
		}, "ResourceNotFoundException"},
		{"another region's ARN", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(strings.Replace(arn, "us-east-1", "eu-west-1", 1))})
			return err
		}, "ResourceNotFoundException"},
		{"no value", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("empty")})
			return err
		}, "ResourceNotFoundException"},
		{"existing name", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("prod/db/password"), SecretString: aws.String("x")})
			return err
		}, "ResourceExistsException"},
		{"string and binary", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("x"), SecretBinary: []byte("y")})
			return err
		}, "InvalidParameterException"},
		{"replica regions", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("replicated"), SecretString: aws.String("x"), AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
			return err
		}, "InvalidRequestException"},
		{"reserved tag", func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("tagged"), SecretString: aws.String("x"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
			return err
		}, "InvalidParameterException"},
		{"unknown version id", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("prod/db/password"), VersionId: aws.String("00000000-0000-0000-0000-000000000000")})
			return err
		}, "ResourceNotFoundException"},
		{"stage not on the version", func() error {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("prod/db/password"), VersionId: created.VersionId, VersionStage: aws.String("AWSPREVIOUS")})
			return err
		}, "InvalidRequestException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { localcloudtest.WantCode(t, tc.call(), tc.code) })
	}
	d := must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("prod/db/password")}))(t)
	if aws.ToString(d.Description) != "the database" || len(d.Tags) != 1 || !slices.Equal(d.VersionIdsToStages[aws.ToString(created.VersionId)], []string{"AWSCURRENT"}) ||
		d.CreatedDate == nil || d.LastChangedDate == nil || d.LastAccessedDate == nil || d.DeletedDate != nil {
		t.Errorf("describe: %+v", d)
	}
}

func TestClientRequestToken(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	token := "0123456789abcdef0123456789abcdef"
	first := must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token)}))(t)
	if aws.ToString(first.VersionId) != token {
		t.Errorf("version id %s, want the request token", aws.ToString(first.VersionId))
	}
	retry := must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token)}))(t)
	if aws.ToString(retry.ARN) != aws.ToString(first.ARN) || aws.ToString(retry.VersionId) != token {
		t.Errorf("retry answered %+v", retry)
	}
	_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(token)})
	localcloudtest.WantCode(t, err, "ResourceExistsException")

	again := must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("api-key"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token)}))(t)
	if aws.ToString(again.VersionId) != token || len(must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("api-key")}))(t).Versions) != 1 {
		t.Errorf("a retried PutSecretValue made another version")
	}
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("api-key"), SecretString: aws.String("other"), ClientRequestToken: aws.String(token)})
	localcloudtest.WantCode(t, err, "ResourceExistsException")
}

func TestVersionsAndStages(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	id := aws.String("rotating")
	v1 := aws.ToString(must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: id, SecretString: aws.String("one")}))(t).VersionId)
	v2 := aws.ToString(must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: id, SecretString: aws.String("two")}))(t).VersionId)
	pending := must(c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: id, SecretString: aws.String("three"), VersionStages: []string{"AWSPENDING"}}))(t)
	v3 := aws.ToString(pending.VersionId)
	if !slices.Equal(pending.VersionStages, []string{"AWSPENDING"}) {
		t.Errorf("pending stages %v", pending.VersionStages)
	}
	for _, tc := range []struct{ stage, want string }{{"AWSCURRENT", "two"}, {"AWSPREVIOUS", "one"}, {"AWSPENDING", "three"}} {
		if got := value(t, c, &sm.GetSecretValueInput{SecretId: id, VersionStage: aws.String(tc.stage)}); aws.ToString(got.SecretString) != tc.want {
			t.Errorf("%s = %s, want %s", tc.stage, aws.ToString(got.SecretString), tc.want)
		}
	}
	if got := value(t, c, &sm.GetSecretValueInput{SecretId: id, VersionId: aws.String(v1)}); aws.ToString(got.SecretString) != "one" {
		t.Errorf("by version id: %s", aws.ToString(got.SecretString))
	}

	// Moving AWSCURRENT needs the version it leaves named, and drags
	// AWSPREVIOUS along.
	_, err := c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v3)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	must(c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v3), RemoveFromVersionId: aws.String(v2)}))(t)
	stages := must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: id}))(t).VersionIdsToStages
	if !slices.Equal(stages[v3], []string{"AWSPENDING", "AWSCURRENT"}) || !slices.Equal(stages[v2], []string{"AWSPREVIOUS"}) || stages[v1] != nil {
		t.Errorf("after the move: %v", stages)
	}
	_, err = c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSCURRENT"), RemoveFromVersionId: aws.String(v3)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	must(c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v3)}))(t)

	listed := must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: id}))(t)
	if len(listed.Versions) != 2 {
		t.Errorf("labelled versions: %+v", listed.Versions)
	}
	all := must(c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: id, IncludeDeprecated: aws.Bool(true)}))(t)
	var ids []string
	for _, v := range all.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	if !slices.Equal(ids, []string{v1, v2, v3}) || !slices.Equal(all.Versions[0].KmsKeyIds, []string{"DefaultEncryptionKey"}) {
		t.Errorf("every version, oldest first: %v (%+v)", ids, all.Versions)
	}
	var paged []string
	for p := sm.NewListSecretVersionIdsPaginator(c, &sm.ListSecretVersionIdsInput{SecretId: id, IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(1)}); p.HasMorePages(); {
		for _, v := range must(p.NextPage(ctx))(t).Versions {
			paged = append(paged, aws.ToString(v.VersionId))
		}
	}
	if !slices.Equal(paged, ids) {
		t.Errorf("paged versions %v, want %v", paged, ids)
	}

	// UpdateSecret with a value makes it current; without one it changes
	// the description only.
	updated := must(c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: id, SecretString: aws.String("four"), Description: aws.String("rotated")}))(t)
	if got := value(t, c, &sm.GetSecretValueInput{SecretId: id}); aws.ToString(got.SecretString) != "four" || aws.ToString(got.VersionId) != aws.ToString(updated.VersionId) {
		t.Errorf("after UpdateSecret: %s", aws.ToString(got.SecretString))
	}
	if noValue := must(c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: id, Description: aws.String("again")}))(t); noValue.VersionId != nil {
		t.Errorf("UpdateSecret without a value made version %s", aws.ToString(noValue.VersionId))
	}
}

func TestDeleteAndRestore(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	id := aws.String("doomed")
	must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: id, SecretString: aws.String("x")}))(t)
	cases := []struct {
		name string
		in   sm.DeleteSecretInput
		code string
	}{
		{"window too short", sm.DeleteSecretInput{SecretId: id, RecoveryWindowInDays: aws.Int64(6)}, "InvalidParameterException"},
		{"window too long", sm.DeleteSecretInput{SecretId: id, RecoveryWindowInDays: aws.Int64(31)}, "InvalidParameterException"},
		{"window and force", sm.DeleteSecretInput{SecretId: id, RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)}, "InvalidParameterException"},
		{"unknown", sm.DeleteSecretInput{SecretId: aws.String("nope")}, "ResourceNotFoundException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DeleteSecret(ctx, &tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	deleted := must(c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: id}))(t)
	d := must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: id}))(t)
	if d.DeletedDate == nil || deleted.DeletionDate == nil {
		t.Fatalf("deleted %+v, described %+v", deleted, d)
	}
	if days := deleted.DeletionDate.Sub(*d.DeletedDate).Hours() / 24; days < 29.99 || days > 30.01 {
		t.Errorf("default recovery window %.2f days, want 30", days)
	}
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: id})
	localcloudtest.WantCode(t, err, "InvalidRequestException")
	if apiMessage(err) != "You can't perform this operation on the secret because it was marked for deletion." {
		t.Errorf("message %q", apiMessage(err))
	}
	for name, call := range map[string]func() error{
		"put value": func() error {
			_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: id, SecretString: aws.String("y")})
			return err
		},
		"update": func() error {
			_, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: id, Description: aws.String("y")})
			return err
		},
		"create again": func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: id, SecretString: aws.String("y")})
			return err
		},
		"delete again": func() error {
			_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: id})
			return err
		},
	} {
		localcloudtest.WantCode(t, call(), "InvalidRequestException")
		_ = name
	}
	if list := must(c.ListSecrets(ctx, &sm.ListSecretsInput{}))(t).SecretList; len(list) != 0 {
		t.Errorf("ListSecrets shows a deleted secret: %+v", list)
	}
	if list := must(c.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)}))(t).SecretList; len(list) != 1 || list[0].DeletedDate == nil {
		t.Errorf("IncludePlannedDeletion: %+v", list)
	}
	must(c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: id}))(t)
	if got := value(t, c, &sm.GetSecretValueInput{SecretId: id}); aws.ToString(got.SecretString) != "x" {
		t.Errorf("restored value %s", aws.ToString(got.SecretString))
	}
	must(c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: id, ForceDeleteWithoutRecovery: aws.Bool(true)}))(t)
	_, err = c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: id})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: id, SecretString: aws.String("new")}))(t)
}

func apiMessage(err error) string {
	type messager interface{ ErrorMessage() string }
	for err != nil {
		if m, ok := err.(messager); ok {
			return m.ErrorMessage()
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return ""
		}
		err = u.Unwrap()
	}
	return ""
}

func TestListSecretsAndBatchGet(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	for i := range 5 {
		env := "dev"
		if i%2 == 0 {
			env = "prod"
		}
		must(c.CreateSecret(ctx, &sm.CreateSecretInput{
			Name: aws.String(fmt.Sprintf("%s/app%d", env, i)), SecretString: aws.String(fmt.Sprintf("value%d", i)),
			Description: aws.String("Secret for App " + fmt.Sprint(i)), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String(env)}},
		}))(t)
	}
	names := func(in *sm.ListSecretsInput) []string {
		var out []string
		for p := sm.NewListSecretsPaginator(c, in); p.HasMorePages(); {
			for _, s := range must(p.NextPage(ctx))(t).SecretList {
				out = append(out, aws.ToString(s.Name))
			}
		}
		return out
	}
	cases := []struct {
		name string
		in   sm.ListSecretsInput
		want []string
	}{
		{"all, paged by two", sm.ListSecretsInput{MaxResults: aws.Int32(2), SortBy: types.SortByTypeName}, []string{"dev/app1", "dev/app3", "prod/app0", "prod/app2", "prod/app4"}},
		{"name prefix", sm.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"dev/"}}}, SortBy: types.SortByTypeName}, []string{"dev/app1", "dev/app3"}},
		{"negated name", sm.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"!dev/"}}}, SortBy: types.SortByTypeName}, []string{"prod/app0", "prod/app2", "prod/app4"}},
		{"tag value and description", sm.ListSecretsInput{Filters: []types.Filter{
			{Key: types.FilterNameStringTypeTagValue, Values: []string{"prod"}},
			{Key: types.FilterNameStringTypeDescription, Values: []string{"secret for app 4", "secret for app 2"}},
		}, SortBy: types.SortByTypeName}, []string{"prod/app2", "prod/app4"}},
		{"name descending", sm.ListSecretsInput{SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeDesc, MaxResults: aws.Int32(3)}, []string{"prod/app4", "prod/app2", "prod/app0", "dev/app3", "dev/app1"}},
		{"created, oldest first", sm.ListSecretsInput{SortBy: types.SortByTypeCreatedDate, SortOrder: types.SortOrderTypeAsc}, []string{"prod/app0", "dev/app1", "prod/app2", "dev/app3", "prod/app4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(&tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{NextToken: aws.String("garbage")})
	localcloudtest.WantCode(t, err, "InvalidNextTokenException")

	batch := must(c.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{"dev/app1", "nope", "prod/app0"}}))(t)
	if len(batch.SecretValues) != 2 || aws.ToString(batch.SecretValues[0].SecretString) != "value1" || len(batch.Errors) != 1 ||
		aws.ToString(batch.Errors[0].SecretId) != "nope" || aws.ToString(batch.Errors[0].ErrorCode) != "ResourceNotFoundException" {
		t.Errorf("batch by ids: %+v", batch)
	}
	var filtered []string
	for p := sm.NewBatchGetSecretValuePaginator(c, &sm.BatchGetSecretValueInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeTagValue, Values: []string{"prod"}}}, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		for _, v := range must(p.NextPage(ctx))(t).SecretValues {
			filtered = append(filtered, aws.ToString(v.SecretString))
		}
	}
	if !slices.Equal(filtered, []string{"value0", "value2", "value4"}) {
		t.Errorf("batch by filter: %v", filtered)
	}
	_, err = c.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{"a"}, Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"a"}}}})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}

func TestTagsAndPolicies(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	id := aws.String("shared")
	must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: id, SecretString: aws.String("x")}))(t)
	must(c.TagResource(ctx, &sm.TagResourceInput{SecretId: id, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))(t)
	must(c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: id, TagKeys: []string{"a", "missing"}}))(t)
	if tags := must(c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: id}))(t).Tags; len(tags) != 1 || aws.ToString(tags[0].Key) != "b" {
		t.Errorf("tags %+v", tags)
	}
	_, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: id, Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	private := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	public := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}}`
	if got := must(c.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: id}))(t); got.ResourcePolicy != nil || aws.ToString(got.Name) != "shared" {
		t.Errorf("policy before any: %+v", got)
	}
	must(c.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String(private)}))(t)
	if got := must(c.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: id}))(t); aws.ToString(got.ResourcePolicy) != private {
		t.Errorf("policy %s", aws.ToString(got.ResourcePolicy))
	}
	_, err = c.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String(public), BlockPublicPolicy: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "PublicPolicyException")
	_, err = c.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String("{not json")})
	localcloudtest.WantCode(t, err, "MalformedPolicyDocumentException")
	for _, tc := range []struct {
		policy string
		passed bool
	}{{private, true}, {public, false}} {
		got := must(c.ValidateResourcePolicy(ctx, &sm.ValidateResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String(tc.policy)}))(t)
		if got.PolicyValidationPassed != tc.passed || (len(got.ValidationErrors) == 0) != tc.passed {
			t.Errorf("validate: %+v, want passed %v", got, tc.passed)
		}
	}
	must(c.DeleteResourcePolicy(ctx, &sm.DeleteResourcePolicyInput{SecretId: id}))(t)
	if got := must(c.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: id}))(t); got.ResourcePolicy != nil {
		t.Errorf("policy after delete: %s", aws.ToString(got.ResourcePolicy))
	}
}

func TestGetRandomPassword(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	password := func(in *sm.GetRandomPasswordInput) string {
		return aws.ToString(must(c.GetRandomPassword(ctx, in))(t).RandomPassword)
	}
	if p := password(&sm.GetRandomPasswordInput{}); len(p) != 32 || !strings.ContainsAny(p, "0123456789") || !strings.ContainsAny(p, "abcdefghijklmnopqrstuvwxyz") || strings.Contains(p, " ") {
		t.Errorf("default password %q", p)
	}
	if p := password(&sm.GetRandomPasswordInput{PasswordLength: aws.Int64(64), ExcludePunctuation: aws.Bool(true), ExcludeCharacters: aws.String("aeiou")}); len(p) != 64 || strings.ContainsAny(p, "!@#$%aeiou") {
		t.Errorf("password %q", p)
	}
	if p := password(&sm.GetRandomPasswordInput{PasswordLength: aws.Int64(4), ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludePunctuation: aws.Bool(true)}); len(p) != 4 || strings.Trim(p, "0123456789") != "" {
		t.Errorf("digits only %q", p)
	}
	_, err := c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{PasswordLength: aws.Int64(2)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	_, err = c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludePunctuation: aws.Bool(true), ExcludeNumbers: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}

// TestRegionAndBackendValue checks that the call's region makes the ARN
// and that the backend's Go accessor reads what the API wrote.
func TestRegionAndBackendValue(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	eu := sm.NewFromConfig(cloud.ConfigIn("eu-west-1"))
	arn := aws.ToString(must(eu.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("regional"), SecretString: aws.String("eu value")}))(t).ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:eu-west-1:000000000000:secret:regional-") {
		t.Errorf("ARN %s", arn)
	}
	_, err := sm.NewFromConfig(cloud.Config).GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("regional")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	scoped := localcloudtest.InRegion(ctx, "eu-west-1")
	got, err := cloud.Secrets.SecretValue(scoped, arn)
	if err != nil || got != "eu value" {
		t.Errorf("SecretValue = %q, %v", got, err)
	}

	// ECS's valueFrom picks a key of a JSON secret and, optionally, a
	// version by stage or id.
	db := must(eu.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String(`{"username":"app","port":5432}`)}))(t)
	first := aws.ToString(db.VersionId)
	must(eu.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: db.ARN, SecretString: aws.String(`{"username":"app2","port":5433}`)}))(t)
	dbARN := aws.ToString(db.ARN)
	for _, tc := range []struct{ valueFrom, want, code string }{
		{dbARN + ":username::", "app2", ""},
		{dbARN + ":port::", "5433", ""},
		{dbARN + ":username:AWSPREVIOUS:", "app", ""},
		{dbARN + ":username::" + first, "app", ""},
		{dbARN, `{"username":"app2","port":5433}`, ""},
		{dbARN + ":password::", "", "InvalidRequestException"},
		{arn + ":key::", "", "InvalidRequestException"},
		{dbARN + "::AWSPENDING:", "", "ResourceNotFoundException"},
	} {
		got, err := cloud.Secrets.SecretValue(scoped, tc.valueFrom)
		localcloudtest.WantCode(t, err, tc.code)
		if got != tc.want {
			t.Errorf("SecretValue(%s) = %q, want %q", tc.valueFrom, got, tc.want)
		}
	}
}
