package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

const otherAccount = "123456789012"

// wantError fails unless err is the AWS error code whose message contains
// message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	localcloudtest.WantCode(t, err, code)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && !strings.Contains(apiErr.ErrorMessage(), message) {
		t.Errorf("%s message = %q, want it to contain %q", code, apiErr.ErrorMessage(), message)
	}
}

func newClientIn(t *testing.T, account string) (*localcloudtest.Cloud, *iam.Client) {
	t.Helper()
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{Account: account})
	return cloud, iam.NewFromConfig(cloud.Config)
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	cloud, c := newClientIn(t, otherAccount)

	created := must(c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/staff/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	}))(t).User
	if aws.ToString(created.Arn) != "arn:aws:iam::"+otherAccount+":user/staff/alice" {
		t.Errorf("Arn = %s", aws.ToString(created.Arn))
	}
	if id := aws.ToString(created.UserId); len(id) != 21 || !strings.HasPrefix(id, "AIDA") {
		t.Errorf("UserId = %q, want AIDA + 17 characters", id)
	}
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantError(t, err, "EntityAlreadyExists", "User with name ALICE already exists.")
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	wantError(t, err, "NoSuchEntity", "The user with name bob cannot be found.")

	got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))(t).User
	if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Key) != "team" {
		t.Errorf("GetUser tags = %+v", got.Tags)
	}
	root := must(c.GetUser(ctx, &iam.GetUserInput{}))(t).User
	if aws.ToString(root.Arn) != "arn:aws:iam::"+otherAccount+":root" {
		t.Errorf("GetUser without a name by the root user = %s", aws.ToString(root.Arn))
	}

	// Paging: 5 users, pages of 2, by name, PathPrefix filtering first.
	for _, name := range []string{"carol", "dave", "erin", "frank"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/staff/")}))(t)
	}
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("robot"), Path: aws.String("/bots/")}))(t)
	var names []string
	pages := 0
	for p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String("/staff/"), MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		out := must(p.NextPage(ctx))(t)
		pages++
		if len(out.Users) > 2 {
			t.Fatalf("page of %d users with MaxItems 2", len(out.Users))
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if strings.Join(names, ",") != "alice,carol,dave,erin,frank" || pages != 3 {
		t.Errorf("ListUsers(/staff/) in %d pages = %v", pages, names)
	}
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker")})
	localcloudtest.WantCode(t, err, "InvalidInput")
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	localcloudtest.WantCode(t, err, "ValidationError")

	// Tags: IAM's limits, case-insensitive keys.
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("api")}, {Key: aws.String("env"), Value: aws.String("dev")}}}))(t)
	tags := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))(t).Tags
	if len(tags) != 2 || aws.ToString(tags[0].Key) != "TEAM" || aws.ToString(tags[0].Value) != "api" {
		t.Errorf("tags after TagUser = %+v", tags)
	}
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"team"}}))(t)
	tags = must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "env" {
		t.Errorf("tags after UntagUser = %+v", tags)
	}
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: many}) // 50 new + env = 51
	wantError(t, err, "LimitExceeded", "TagsPerEntity: 50")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}})
	localcloudtest.WantCode(t, err, "InvalidInput")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
	localcloudtest.WantCode(t, err, "InvalidInput")

	// A rename carries the user's keys and groups along.
	key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("robot")}))(t).AccessKey
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("bots")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("bots"), UserName: aws.String("robot")}))(t)
	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robot"), NewUserName: aws.String("robot2"), NewPath: aws.String("/machines/")}))(t)
	renamed := must(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robot2")}))(t).User
	if aws.ToString(renamed.Arn) != "arn:aws:iam::"+otherAccount+":user/machines/robot2" {
		t.Errorf("renamed user = %s", aws.ToString(renamed.Arn))
	}
	keys := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("robot2")}))(t).AccessKeyMetadata
	if len(keys) != 1 || aws.ToString(keys[0].AccessKeyId) != aws.ToString(key.AccessKeyId) || aws.ToString(keys[0].UserName) != "robot2" {
		t.Errorf("keys after rename = %+v", keys)
	}
	members := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("bots")}))(t).Users
	if len(members) != 1 || aws.ToString(members[0].UserName) != "robot2" {
		t.Errorf("group members after rename = %+v", members)
	}
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robot2"), NewUserName: aws.String("alice")})
	localcloudtest.WantCode(t, err, "EntityAlreadyExists")

	// The user's own key makes it the caller.
	cfg := cloud.Config.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	self := must(iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{}))(t).User
	if aws.ToString(self.UserName) != "robot2" {
		t.Errorf("GetUser without a name by robot2's key = %+v", self)
	}
	ownKeys := must(iam.NewFromConfig(cfg).ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t).AccessKeyMetadata
	if len(ownKeys) != 1 || aws.ToString(ownKeys[0].UserName) != "robot2" {
		t.Errorf("ListAccessKeys without a name by robot2's key = %+v", ownKeys)
	}
}

// DeleteUser, DeleteGroup and DeleteRole refuse while anything still hangs
// on the entity, each with IAM's message, and succeed once it is gone.
func TestDeleteConflicts(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")}))(t)

	steps := []struct {
		name           string
		attach, detach func() error
		remove         func() error
		message        string
	}{
		{"user with a login profile",
			func() error {
				_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("Secret-123")})
				return err
			},
			func() error {
				_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("u")})
				return err
			},
			func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); return err },
			"Cannot delete entity, must delete login profile first."},
		{"user with an access key",
			func() error {
				_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")})
				return err
			},
			func() error {
				keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u")})
				if err != nil {
					return err
				}
				_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("u"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId})
				return err
			},
			func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); return err },
			"Cannot delete entity, must delete access keys first."},
		{"user in a group",
			func() error {
				_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("u"), GroupName: aws.String("g")})
				return err
			},
			func() error {
				_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("u"), GroupName: aws.String("g")})
				return err
			},
			func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); return err },
			"Cannot delete entity, must remove users from group first."},
		{"user with a managed policy",
			func() error {
				_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error {
				_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); return err },
			"Cannot delete entity, must detach all policies first."},
		{"user with an inline policy",
			func() error {
				_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)})
				return err
			},
			func() error {
				_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("logs")})
				return err
			},
			func() error { _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}); return err },
			"Cannot delete entity, must delete policies first."},
		{"group with a managed policy",
			func() error {
				_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error {
				_, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error {
				_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})
				return err
			},
			"Cannot delete entity, must detach all policies first."},
		{"group with an inline policy",
			func() error {
				_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)})
				return err
			},
			func() error {
				_, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("logs")})
				return err
			},
			func() error {
				_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})
				return err
			},
			"Cannot delete entity, must delete policies first."},
		{"role with a managed policy",
			func() error {
				_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error {
				_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(executionPolicy)})
				return err
			},
			func() error { _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); return err },
			"Cannot delete entity, must detach all policies first."},
		{"role with an inline policy",
			func() error {
				_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)})
				return err
			},
			func() error {
				_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("logs")})
				return err
			},
			func() error { _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); return err },
			"Cannot delete entity, must delete policies first."},
		{"role in an instance profile",
			func() error {
				_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{RoleName: aws.String("r"), InstanceProfileName: aws.String("p")})
				return err
			},
			func() error {
				_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: aws.String("r"), InstanceProfileName: aws.String("p")})
				return err
			},
			func() error { _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); return err },
			"Cannot delete entity, must remove roles from instance profile first."},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := step.attach(); err != nil {
				t.Fatal(err)
			}
			wantError(t, step.remove(), "DeleteConflict", step.message)
			if err := step.detach(); err != nil {
				t.Fatal(err)
			}
		})
	}
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("u"), GroupName: aws.String("g")}))(t)
	_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")})
	wantError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("u"), GroupName: aws.String("g")}))(t)

	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")}))(t)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g")}))(t)
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}))(t)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	_, c := newClientIn(t, otherAccount)
	group := must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins"), Path: aws.String("/ops/")}))(t).Group
	if aws.ToString(group.Arn) != "arn:aws:iam::"+otherAccount+":group/ops/admins" || !strings.HasPrefix(aws.ToString(group.GroupId), "AGPA") {
		t.Errorf("group = %s %s", aws.ToString(group.Arn), aws.ToString(group.GroupId))
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Admins")})
	localcloudtest.WantCode(t, err, "EntityAlreadyExists")
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	for _, u := range []string{"ann", "ben", "cat"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))(t)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String(u)}))(t)
	}
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("ann")}))(t) // again: no error
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ann")}))(t)
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("nobody")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("nogroup"), UserName: aws.String("ann")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")

	first := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins"), MaxItems: aws.Int32(2)}))(t)
	if len(first.Users) != 2 || !first.IsTruncated || aws.ToString(first.Group.GroupName) != "admins" {
		t.Fatalf("GetGroup first page = %d users, truncated %v", len(first.Users), first.IsTruncated)
	}
	rest := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("admins"), Marker: first.Marker}))(t)
	if len(rest.Users) != 1 || aws.ToString(rest.Users[0].UserName) != "cat" || rest.IsTruncated {
		t.Errorf("GetGroup second page = %+v", rest.Users)
	}
	groups := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ann")}))(t).Groups
	if len(groups) != 2 || aws.ToString(groups[0].GroupName) != "admins" || aws.ToString(groups[1].GroupName) != "devs" {
		t.Errorf("ListGroupsForUser(ann) = %+v", groups)
	}
	listed := must(c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ops/")}))(t).Groups
	if len(listed) != 1 || aws.ToString(listed[0].GroupName) != "admins" {
		t.Errorf("ListGroups(/ops/) = %+v", listed)
	}
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ann")}))(t)
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ann")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")

	// Inline and managed group policies.
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)}))(t)
	doc := must(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("logs")}))(t)
	if decoded, _ := url.QueryUnescape(aws.ToString(doc.PolicyDocument)); decoded != allowLogs || aws.ToString(doc.GroupName) != "admins" {
		t.Errorf("GetGroupPolicy = %q", decoded)
	}
	if names := must(c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("admins")}))(t).PolicyNames; len(names) != 1 || names[0] != "logs" {
		t.Errorf("ListGroupPolicies = %v", names)
	}
	_, err = c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("none")})
	wantError(t, err, "NoSuchEntity", "The group policy with name none cannot be found.")
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))(t)
	attached := must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("admins")}))(t).AttachedPolicies
	if len(attached) != 1 || aws.ToString(attached[0].PolicyName) != "AdministratorAccess" {
		t.Errorf("ListAttachedGroupPolicies = %+v", attached)
	}
	_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String(executionPolicy)})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
}

func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	cloud := localcloudtest.Start(t)
	c := iam.NewFromConfig(cloud.Config)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci")}))(t)
	var ids, secrets []string
	for range 2 {
		key := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")}))(t).AccessKey
		if id := aws.ToString(key.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "AKIA") {
			t.Errorf("AccessKeyId = %q, want AKIA + 16 characters", id)
		}
		if len(aws.ToString(key.SecretAccessKey)) != 40 || key.Status != types.StatusTypeActive || aws.ToString(key.UserName) != "ci" {
			t.Errorf("key = %+v", key)
		}
		ids = append(ids, aws.ToString(key.AccessKeyId))
		secrets = append(secrets, aws.ToString(key.SecretAccessKey))
	}
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")})
	wantError(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")

	listed := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ci")}))(t).AccessKeyMetadata
	if len(listed) != 2 {
		t.Fatalf("ListAccessKeys = %+v", listed)
	}
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("ci"), AccessKeyId: aws.String(ids[0]), Status: types.StatusTypeInactive}))(t)
	for _, k := range must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ci")}))(t).AccessKeyMetadata {
		if want := map[bool]types.StatusType{true: types.StatusTypeInactive, false: types.StatusTypeActive}[aws.ToString(k.AccessKeyId) == ids[0]]; k.Status != want {
			t.Errorf("key %s status %s, want %s", aws.ToString(k.AccessKeyId), k.Status, want)
		}
	}
	signedWith := func(i int) *iam.Client {
		cfg := cloud.Config.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(ids[i], secrets[i], "")
		return iam.NewFromConfig(cfg)
	}
	_, err = signedWith(0).GetUser(ctx, &iam.GetUserInput{})
	wantError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.") // deactivated
	if me := must(signedWith(1).GetUser(ctx, &iam.GetUserInput{}))(t).User; aws.ToString(me.UserName) != "ci" {
		t.Errorf("GetUser with ci's active key = %+v", me)
	}
	used := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(ids[1])}))(t)
	if aws.ToString(used.UserName) != "ci" || aws.ToString(used.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed = %+v", used)
	}
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")}))(t)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("other"), AccessKeyId: aws.String(ids[0])})
	wantError(t, err, "NoSuchEntity", "The Access Key with id "+ids[0]+" cannot be found.")
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("ci"), AccessKeyId: aws.String(ids[0])}))(t)
	if left := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ci")}))(t).AccessKeyMetadata; len(left) != 1 {
		t.Errorf("keys after delete = %+v", left)
	}
}

// Managed policies attached to users, groups and roles: counted, listed
// by ListEntitiesForPolicy, and undeletable while attached anywhere.
func TestManagedPolicyAttachments(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	arn := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowLogs)}))(t).Policy.Arn
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustECSTasks)}))(t)

	detachers := []struct {
		name   string
		attach func() error
		detach func() error
	}{
		{"user", func() error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: arn})
			return err
		}, func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: arn})
			return err
		}},
		{"group", func() error {
			_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn})
			return err
		}, func() error {
			_, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn})
			return err
		}},
		{"role", func() error {
			_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: arn})
			return err
		}, func() error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: arn})
			return err
		}},
	}
	for _, d := range detachers {
		if err := d.attach(); err != nil {
			t.Fatalf("attach to %s: %v", d.name, err)
		}
	}
	if n := aws.ToInt32(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t).Policy.AttachmentCount); n != 3 {
		t.Errorf("AttachmentCount = %d, want 3", n)
	}
	entities := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn}))(t)
	if len(entities.PolicyUsers) != 1 || len(entities.PolicyGroups) != 1 || len(entities.PolicyRoles) != 1 ||
		aws.ToString(entities.PolicyUsers[0].UserName) != "u" || aws.ToString(entities.PolicyGroups[0].GroupName) != "g" {
		t.Errorf("ListEntitiesForPolicy = %+v", entities)
	}
	onlyUsers := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, EntityFilter: types.EntityTypeUser}))(t)
	if len(onlyUsers.PolicyUsers) != 1 || len(onlyUsers.PolicyRoles) != 0 || len(onlyUsers.PolicyGroups) != 0 {
		t.Errorf("ListEntitiesForPolicy(User) = %+v", onlyUsers)
	}
	userPolicies := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t).AttachedPolicies
	if len(userPolicies) != 1 || aws.ToString(userPolicies[0].PolicyArn) != aws.ToString(arn) {
		t.Errorf("ListAttachedUserPolicies = %+v", userPolicies)
	}
	for _, d := range detachers {
		_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
		wantError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
		if err := d.detach(); err != nil {
			t.Fatalf("detach from %s: %v", d.name, err)
		}
	}
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}))(t)

	// Inline user policies.
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1"), PolicyDocument: aws.String(allowLogs)}))(t)
	got := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p1")}))(t)
	if decoded, _ := url.QueryUnescape(aws.ToString(got.PolicyDocument)); decoded != allowLogs {
		t.Errorf("GetUserPolicy = %q", decoded)
	}
	if names := must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("u")}))(t).PolicyNames; len(names) != 1 || names[0] != "p1" {
		t.Errorf("ListUserPolicies = %v", names)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Repeat("s3:GetObject", 180) + `"],"Resource":"*"}]}`
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	localcloudtest.WantCode(t, err, "LimitExceeded") // a user's inline policies share 2048 characters
}

func TestPolicyVersionLimit(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	arn := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowLogs)}))(t).Policy.Arn
	for i := 2; i <= 5; i++ {
		must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowLogs)}))(t)
	}
	_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowLogs)})
	wantError(t, err, "LimitExceeded", "A managed policy can have up to 5 versions.")
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v4")}))(t)
	if v := aws.ToString(must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t).Policy.DefaultVersionId); v != "v4" {
		t.Errorf("DefaultVersionId = %s, want v4", v)
	}
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v4")})
	wantError(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
	must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}))(t)
	next := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(allowLogs)}))(t)
	if aws.ToString(next.PolicyVersion.VersionId) != "v6" {
		t.Errorf("version after deleting v1 = %s, want v6 (ids are never reused)", aws.ToString(next.PolicyVersion.VersionId))
	}
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
	localcloudtest.WantCode(t, err, "NoSuchEntity")
}

// The AWS managed policies ECS users attach exist with AWS's ARNs, paths
// and default versions, and their documents are policies.
func TestAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	tests := []struct{ arn, version string }{
		{"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", "v1"},
		{"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role", "v10"},
		{"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole", "v2"},
		{"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceAutoscaleRole", "v2"},
		{"arn:aws:iam::aws:policy/AmazonECS_FullAccess", "v21"},
		{"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "v2"},
		{"arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "v3"},
		{"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", "v3"},
		{"arn:aws:iam::aws:policy/ElasticLoadBalancingFullAccess", "v9"},
		{"arn:aws:iam::aws:policy/AutoScalingFullAccess", "v2"},
		{"arn:aws:iam::aws:policy/CloudWatchLogsFullAccess", "v8"},
		{"arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy", "v24"},
		{"arn:aws:iam::aws:policy/aws-service-role/AWSApplicationAutoscalingECSServicePolicy", "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.arn[strings.LastIndex(tt.arn, "/")+1:], func(t *testing.T) {
			p := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(tt.arn)}))(t).Policy
			wantPath := "/" + strings.TrimSuffix(strings.TrimPrefix(tt.arn, "arn:aws:iam::aws:policy/"), tt.arn[strings.LastIndex(tt.arn, "/")+1:])
			if aws.ToString(p.DefaultVersionId) != tt.version || aws.ToString(p.Path) != wantPath || !p.IsAttachable {
				t.Errorf("policy = version %s path %s attachable %v, want %s %s", aws.ToString(p.DefaultVersionId), aws.ToString(p.Path), p.IsAttachable, tt.version, wantPath)
			}
			v := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(tt.arn), VersionId: aws.String(tt.version)}))(t).PolicyVersion
			raw, err := url.QueryUnescape(aws.ToString(v.Document))
			var doc struct {
				Version   string
				Statement []struct {
					Effect string
					Action []string
				}
			}
			if err != nil || json.Unmarshal([]byte(raw), &doc) != nil || doc.Version != "2012-10-17" || len(doc.Statement) == 0 || len(doc.Statement[0].Action) == 0 {
				t.Errorf("document %q is not a policy", raw)
			}
			if !v.IsDefaultVersion {
				t.Errorf("version %s is not the default", tt.version)
			}
			_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(tt.arn)})
			localcloudtest.WantCode(t, err, "AccessDenied")
		})
	}
}
