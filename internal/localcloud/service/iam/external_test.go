package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// runAWSCLI runs the real AWS CLI against endpoint, with the test keys,
// and returns its JSON output.
func runAWSCLI(t *testing.T, endpoint string, args ...string) map[string]any {
	t.Helper()
	return runAWSCLIWith(t, endpoint, nil, args...)
}

// runAWSCLIWith is runAWSCLI with env set over the test keys (other
// credentials, say). The test fails where the CLI is not installed.
func runAWSCLIWith(t *testing.T, endpoint string, env []string, args ...string) map[string]any {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is needed (pip install awscli): %v", err)
	}
	cmd := exec.Command(path, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	cmd.Env = append(cmd.Env, env...) // later entries win
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("aws %v: %v\n%s", args, err, exitErr.Stderr)
		}
		t.Fatalf("aws %v: %v", args, err)
	}
	var doc map[string]any
	if len(out) == 0 {
		return doc
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("aws %v printed non-JSON %q: %v", args, out, err)
	}
	return doc
}

// A walkthrough as a person would do it with the AWS CLI: a user and its
// key, a role that user assumes, and a call made with the role session's
// credentials through the environment, which sees the assumed role.
func TestAWSCLIAssumeRoleWalkthrough(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{Account: otherAccount})
	user := runAWSCLI(t, cloud.Endpoint, "iam", "create-user", "--user-name", "deployer")
	if arn := user["User"].(map[string]any)["Arn"]; arn != "arn:aws:iam::"+otherAccount+":user/deployer" {
		t.Fatalf("create-user Arn = %v", arn)
	}
	key := runAWSCLI(t, cloud.Endpoint, "iam", "create-access-key", "--user-name", "deployer")["AccessKey"].(map[string]any)
	userEnv := []string{"AWS_ACCESS_KEY_ID=" + key["AccessKeyId"].(string), "AWS_SECRET_ACCESS_KEY=" + key["SecretAccessKey"].(string)}
	me := runAWSCLIWith(t, cloud.Endpoint, userEnv, "sts", "get-caller-identity")
	if me["Arn"] != "arn:aws:iam::"+otherAccount+":user/deployer" {
		t.Errorf("get-caller-identity with the user's key = %v", me)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherAccount + `:user/deployer"},"Action":"sts:AssumeRole"}]}`
	runAWSCLI(t, cloud.Endpoint, "iam", "create-role", "--role-name", "web-deploy", "--assume-role-policy-document", trust)
	assumed := runAWSCLIWith(t, cloud.Endpoint, userEnv, "sts", "assume-role",
		"--role-arn", "arn:aws:iam::"+otherAccount+":role/web-deploy", "--role-session-name", "release-42", "--duration-seconds", "900")
	creds := assumed["Credentials"].(map[string]any)
	wantARN := "arn:aws:sts::" + otherAccount + ":assumed-role/web-deploy/release-42"
	if assumed["AssumedRoleUser"].(map[string]any)["Arn"] != wantARN {
		t.Errorf("assume-role AssumedRoleUser = %v", assumed["AssumedRoleUser"])
	}
	sessionEnv := []string{
		"AWS_ACCESS_KEY_ID=" + creds["AccessKeyId"].(string),
		"AWS_SECRET_ACCESS_KEY=" + creds["SecretAccessKey"].(string),
		"AWS_SESSION_TOKEN=" + creds["SessionToken"].(string),
	}
	who := runAWSCLIWith(t, cloud.Endpoint, sessionEnv, "sts", "get-caller-identity")
	if who["Arn"] != wantARN || who["Account"] != otherAccount || !strings.HasSuffix(who["UserId"].(string), ":release-42") {
		t.Errorf("get-caller-identity with the session's credentials = %v, want %s", who, wantARN)
	}
	// The session acts in the account too: the role it is lists itself.
	role := runAWSCLIWith(t, cloud.Endpoint, sessionEnv, "iam", "get-role", "--role-name", "web-deploy")
	if role["Role"].(map[string]any)["Arn"] != "arn:aws:iam::"+otherAccount+":role/web-deploy" {
		t.Errorf("get-role with the session's credentials = %v", role)
	}
}

// The AWS CLI decodes the URL-encoded trust policy into a document, which
// only works when the encoding is the one botocore expects.
func TestAWSCLIGetRole(t *testing.T) {
	cloud := localcloudtest.Start(t)
	c := iam.NewFromConfig(cloud.Config)
	must(c.CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String("web-exec"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Sid":"a b+c"}]}`),
	}))(t)

	out := runAWSCLI(t, cloud.Endpoint, "iam", "get-role", "--role-name", "web-exec")
	role, _ := out["Role"].(map[string]any)
	doc, ok := role["AssumeRolePolicyDocument"].(map[string]any)
	if !ok {
		t.Fatalf("AssumeRolePolicyDocument is not a decoded document: %#v", role["AssumeRolePolicyDocument"])
	}
	statement := doc["Statement"].([]any)[0].(map[string]any)
	if statement["Sid"] != "a b+c" || statement["Action"] != "sts:AssumeRole" {
		t.Errorf("decoded statement = %#v", statement)
	}
	if role["Arn"] != "arn:aws:iam::000000000000:role/web-exec" {
		t.Errorf("Arn = %v", role["Arn"])
	}
}

// TestMatchesMoto runs the same role and instance profile lifecycle against
// moto_server and the local cloud and compares the outcome of every step.
func TestMatchesMoto(t *testing.T) {
	lifecycle := func(t *testing.T, c *iam.Client) []string {
		ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
		trust := aws.String(trustECSTasks)
		steps := []func() error{
			func() error {
				_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust})
				return err
			},
			func() error {
				_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: trust})
				return err
			},
			func() error { _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")}); return err },
			func() error {
				_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: trust})
				return err
			},
			func() error {
				_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")})
				return err
			},
			func() error {
				_, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p")})
				return err
			},
			func() error {
				_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p"), RoleName: aws.String("r")})
				return err
			},
			func() error {
				_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p"), RoleName: aws.String("r2")})
				return err
			},
			func() error { _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); return err },
			func() error {
				_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("p")})
				return err
			},
			func() error {
				_, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r2"), PolicyArn: aws.String(ec2RolePolicy)})
				return err
			},
			func() error {
				_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r2")})
				return err
			},
			func() error {
				_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("r2"), PolicyArn: aws.String(ec2RolePolicy)})
				return err
			},
			func() error {
				_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r2")})
				return err
			},
			func() error {
				_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("p"), RoleName: aws.String("r")})
				return err
			},
			func() error {
				_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("p")})
				return err
			},
			func() error { _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); return err },
			func() error {
				_, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("p")})
				return err
			},
		}
		outcomes := make([]string, len(steps))
		for i, step := range steps {
			outcomes[i] = "ok"
			var apiErr smithy.APIError
			if err := step(); errors.As(err, &apiErr) {
				outcomes[i] = apiErr.ErrorCode()
			} else if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		return outcomes
	}
	moto := lifecycle(t, iam.NewFromConfig(deploytest.ConfigFor(deploytest.Moto(t))))
	local := lifecycle(t, iam.NewFromConfig(localcloudtest.Start(t).Config))
	for i := range moto {
		if moto[i] != local[i] {
			t.Errorf("step %d: moto %s, local cloud %s", i, moto[i], local[i])
		}
	}
	t.Logf("outcomes: %v", local)
}
