package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// runAWSCLI runs the real AWS CLI against endpoint and returns its JSON
// output; the test is skipped where the CLI is not installed.
func runAWSCLI(t *testing.T, endpoint string, args ...string) map[string]any {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	cmd := exec.Command(path, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("aws %v: %v\n%s", args, err, exitErr.Stderr)
		}
		t.Fatalf("aws %v: %v", args, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("aws %v printed non-JSON %q: %v", args, out, err)
	}
	return doc
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
