package iam_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

const trustECSTasks = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const allowLogs = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":"*"}]}`

const (
	executionPolicy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	ec2RolePolicy   = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
)

func newClient(t *testing.T) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(localcloudtest.Start(t).Config)
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

func TestRoleAndInstanceProfileLifecycle(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)

	created := must(c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("web-exec"),
		Path:                     aws.String("/berth/"),
		AssumeRolePolicyDocument: aws.String(trustECSTasks),
		Description:              aws.String("task execution"),
		Tags:                     []types.Tag{{Key: aws.String("app"), Value: aws.String("web")}},
	}))(t)
	role := created.Role
	if got, want := aws.ToString(role.Arn), "arn:aws:iam::000000000000:role/berth/web-exec"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if id := aws.ToString(role.RoleId); len(id) != 21 || id[:4] != "AROA" {
		t.Errorf("RoleId = %q, want AROA + 17 characters", id)
	}
	if aws.ToInt32(role.MaxSessionDuration) != 3600 || role.CreateDate == nil {
		t.Errorf("MaxSessionDuration = %d, CreateDate = %v", aws.ToInt32(role.MaxSessionDuration), role.CreateDate)
	}

	got := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("WEB-EXEC")}))(t) // names ignore case
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if err != nil || doc != trustECSTasks {
		t.Errorf("AssumeRolePolicyDocument decodes to %q (%v), want %q", doc, err, trustECSTasks)
	}
	if len(got.Role.Tags) != 1 || aws.ToString(got.Role.Tags[0].Value) != "web" {
		t.Errorf("Tags = %+v", got.Role.Tags)
	}

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Web-Exec"), AssumeRolePolicyDocument: aws.String(trustECSTasks)})
	localcloudtest.WantCode(t, err, "EntityAlreadyExists")

	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("web-exec"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("web-exec"), PolicyArn: aws.String(executionPolicy)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("web-exec"), PolicyArn: aws.String(executionPolicy)}))(t) // idempotent
	attached := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("web-exec")}))(t)
	if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "AmazonECSTaskExecutionRolePolicy" {
		t.Errorf("AttachedPolicies = %+v", attached.AttachedPolicies)
	}
	policy := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(executionPolicy)}))(t)
	if aws.ToInt32(policy.Policy.AttachmentCount) != 1 || aws.ToString(policy.Policy.Path) != "/service-role/" {
		t.Errorf("AWS managed policy = %+v", policy.Policy)
	}

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-exec")})
	localcloudtest.WantCode(t, err, "DeleteConflict")

	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("web-exec"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)}))(t)
	inline := must(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("web-exec"), PolicyName: aws.String("logs")}))(t)
	if doc, _ := url.QueryUnescape(aws.ToString(inline.PolicyDocument)); doc != allowLogs {
		t.Errorf("inline PolicyDocument decodes to %q", doc)
	}
	names := must(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("web-exec")}))(t)
	if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "logs" {
		t.Errorf("PolicyNames = %v", names.PolicyNames)
	}
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("web-exec"), PolicyArn: aws.String(executionPolicy)}))(t)
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("web-exec"), PolicyArn: aws.String(executionPolicy)})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-exec")})
	localcloudtest.WantCode(t, err, "DeleteConflict") // the inline policy still holds it
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("web-exec"), PolicyName: aws.String("logs")}))(t)

	profile := must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web-ec2")}))(t)
	if aws.ToString(profile.InstanceProfile.Arn) != "arn:aws:iam::000000000000:instance-profile/web-ec2" || profile.InstanceProfile.Roles == nil {
		t.Errorf("InstanceProfile = %+v", profile.InstanceProfile)
	}
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web-ec2"), RoleName: aws.String("web-exec")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web-ec2"), RoleName: aws.String("other")})
	localcloudtest.WantCode(t, err, "LimitExceeded")
	forRole := must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-exec")}))(t)
	if len(forRole.InstanceProfiles) != 1 || len(forRole.InstanceProfiles[0].Roles) != 1 {
		t.Errorf("ListInstanceProfilesForRole = %+v", forRole.InstanceProfiles)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-exec")})
	localcloudtest.WantCode(t, err, "DeleteConflict")
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web-ec2")})
	localcloudtest.WantCode(t, err, "DeleteConflict")

	must(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web-ec2"), RoleName: aws.String("web-exec")}))(t)
	must(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web-ec2")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-exec")}))(t)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("web-exec")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web-ec2")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
}

func TestCreateRoleValidation(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)
	tests := []struct {
		name string
		in   iam.CreateRoleInput
		code string
	}{
		{"document is not JSON", iam.CreateRoleInput{RoleName: aws.String("a"), AssumeRolePolicyDocument: aws.String("{not json")}, "MalformedPolicyDocument"},
		{"document without Statement", iam.CreateRoleInput{RoleName: aws.String("a"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`)}, "MalformedPolicyDocument"},
		{"bad effect", iam.CreateRoleInput{RoleName: aws.String("a"), AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Maybe","Action":"sts:AssumeRole"}]}`)}, "MalformedPolicyDocument"},
		{"name with a space", iam.CreateRoleInput{RoleName: aws.String("a b"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}, "ValidationError"},
		{"name too long", iam.CreateRoleInput{RoleName: aws.String(string(make([]byte, 65))), AssumeRolePolicyDocument: aws.String(trustECSTasks)}, "ValidationError"},
		{"path without trailing slash", iam.CreateRoleInput{RoleName: aws.String("a"), Path: aws.String("/x"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}, "ValidationError"},
		{"session too short", iam.CreateRoleInput{RoleName: aws.String("a"), MaxSessionDuration: aws.Int32(60), AssumeRolePolicyDocument: aws.String(trustECSTasks)}, "ValidationError"},
		{"reserved tag key", iam.CreateRoleInput{RoleName: aws.String("a"), AssumeRolePolicyDocument: aws.String(trustECSTasks), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "InvalidInput"},
		{"unknown boundary", iam.CreateRoleInput{RoleName: aws.String("a"), AssumeRolePolicyDocument: aws.String(trustECSTasks), PermissionsBoundary: aws.String("arn:aws:iam::000000000000:policy/none")}, "NoSuchEntity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateRole(ctx, &tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	roles := must(c.ListRoles(ctx, &iam.ListRolesInput{}))(t)
	if len(roles.Roles) != 0 {
		t.Errorf("failed calls left roles behind: %+v", roles.Roles)
	}
}

func TestListRolesPaginates(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)
	for _, name := range []string{"e", "a", "d", "c", "b"} {
		must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)
	}
	var names []string
	pages := 0
	for p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{MaxItems: aws.Int32(2)}); p.HasMorePages(); pages++ {
		out := must(p.NextPage(ctx))(t)
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	if got, _ := json.Marshal(names); string(got) != `["a","b","c","d","e"]` || pages != 3 {
		t.Errorf("paged roles = %s in %d pages", got, pages)
	}
}

func TestManagedPolicyVersions(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)
	created := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)}))(t)
	arn := created.Policy.Arn
	if aws.ToString(arn) != "arn:aws:iam::000000000000:policy/logs" || aws.ToString(created.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("Policy = %+v", created.Policy)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("LOGS"), PolicyDocument: aws.String(allowLogs)})
	localcloudtest.WantCode(t, err, "EntityAlreadyExists")

	v2 := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowLogs), SetAsDefault: true}))(t)
	if aws.ToString(v2.PolicyVersion.VersionId) != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Errorf("new version = %+v", v2.PolicyVersion)
	}
	version := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	if doc, _ := url.QueryUnescape(aws.ToString(version.PolicyVersion.Document)); doc != allowLogs || version.PolicyVersion.IsDefaultVersion {
		t.Errorf("v1 = %+v (document %q)", version.PolicyVersion, doc)
	}
	versions := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}))(t)
	if len(versions.Versions) != 2 || aws.ToString(versions.Versions[0].VersionId) != "v2" {
		t.Errorf("versions = %+v", versions.Versions)
	}
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})
	localcloudtest.WantCode(t, err, "DeleteConflict") // the default version
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	localcloudtest.WantCode(t, err, "DeleteConflict") // a non-default version remains

	must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: arn}))(t)
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	localcloudtest.WantCode(t, err, "DeleteConflict") // attached

	local := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t)
	if len(local.Policies) != 1 || aws.ToInt32(local.Policies[0].AttachmentCount) != 1 {
		t.Errorf("local policies = %+v", local.Policies)
	}
	awsPolicies := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}))(t)
	found := map[string]bool{}
	for _, p := range awsPolicies.Policies {
		found[aws.ToString(p.Arn)] = true
	}
	for _, arn := range []string{executionPolicy, ec2RolePolicy, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
		"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceAutoscaleRole", "arn:aws:iam::aws:policy/AdministratorAccess"} {
		if !found[arn] {
			t.Errorf("ListPolicies(Scope=AWS) lacks %s", arn)
		}
	}

	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: arn}))(t)
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}))(t)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
}

func TestServiceLinkedRoles(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)
	tests := []struct{ service, role string }{
		{"ecs.amazonaws.com", "AWSServiceRoleForECS"},
		{"autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"},
		{"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			out := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(tt.service)}))(t)
			want := "arn:aws:iam::000000000000:role/aws-service-role/" + tt.service + "/" + tt.role
			if aws.ToString(out.Role.Arn) != want {
				t.Errorf("Arn = %s, want %s", aws.ToString(out.Role.Arn), want)
			}
			_, err := c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(tt.service)})
			localcloudtest.WantCode(t, err, "InvalidInput")
			_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(tt.role)})
			localcloudtest.WantCode(t, err, "UnmodifiableEntity")
		})
	}
}

func TestTagsAndGetUser(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c := newClient(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)
	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("r"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))(t)
	must(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{"a"}}))(t)
	tags := must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("r")}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "b" {
		t.Errorf("role tags = %+v", tags.Tags)
	}
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")}))(t)
	must(c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("p"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	profileTags := must(c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("p")}))(t)
	if len(profileTags.Tags) != 1 {
		t.Errorf("profile tags = %+v", profileTags.Tags)
	}
	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String("d"), MaxSessionDuration: aws.Int32(7200)}))(t)
	role := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}))(t)
	if aws.ToString(role.Role.Description) != "d" || aws.ToInt32(role.Role.MaxSessionDuration) != 7200 {
		t.Errorf("updated role = %+v", role.Role)
	}
	_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String("[")})
	localcloudtest.WantCode(t, err, "MalformedPolicyDocument")

	user := must(c.GetUser(ctx, &iam.GetUserInput{}))(t)
	if aws.ToString(user.User.Arn) != "arn:aws:iam::000000000000:root" {
		t.Errorf("GetUser = %+v", user.User)
	}
}
