package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// executionRole creates a role ECS tasks may assume, with policy inline
// (none when "") and the managed policies attached, and returns its ARN.
func executionRole(t *testing.T, cloud *localcloudtest.Cloud, name, policy string, managed ...string) string {
	t.Helper()
	ctx := context.Background()
	iamClient := iam.NewFromConfig(cloud.Config)
	out, err := iamClient.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	if policy != "" {
		if _, err := iamClient.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("secrets"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("PutRolePolicy: %v", err)
		}
	}
	for _, arn := range managed {
		if _, err := iamClient.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachRolePolicy: %v", err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// A task definition's secrets reach the container's environment from SSM
// parameters (by name and by ARN) and from a key of a JSON secret in
// Secrets Manager; one that does not exist stops the task before it
// starts, with ECS's ResourceInitializationError, as does one the task's
// execution role may not read (or a task without an execution role).
func TestSecretsReachTheContainerEnvironment(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "secrets")
	sleeperImage(t, cloud)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	ssmClient := ssm.NewFromConfig(cloud.Config)
	if _, err := ssmClient.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db-password"), Value: aws.String("s3cret"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	if _, err := ssmClient.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/region-name"), Value: aws.String("virginia"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	param, err := ssmClient.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/region-name")})
	if err != nil {
		t.Fatalf("GetParameter: %v", err)
	}
	secret, err := secretsmanager.NewFromConfig(cloud.Config).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/api"), SecretString: aws.String(`{"key":"k-123","other":"x"}`)})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	role := func(name, policy string, managed ...string) string {
		return executionRole(t, cloud, name, policy, managed...)
	}
	executionPolicy := "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	reader := role("secret-reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ssm:GetParameters"],"Resource":"arn:aws:ssm:us-east-1:*:parameter/app/*"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+aws.ToString(secret.ARN)+`"}]}`, executionPolicy)
	executionRole := reader
	client := ecs.NewFromConfig(cloud.Config)
	run := func(family, dir string, secrets []ecstypes.Secret) string {
		def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family), ExecutionRoleArn: aws.String(executionRole),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("sleeper"), Memory: aws.Int32(64),
				Command: []string{"/bin/sh", "-c", `printf '%s|%s|%s' "$DB_PASSWORD" "$REGION_NAME" "$API_KEY" > ` + filepath.Join(dir, "env") + ` && exec sleep 300`},
				Secrets: secrets}},
		})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition: %v", err)
		}
		out, err := client.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("secrets"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("RunTask: %v %+v", err, out)
		}
		return aws.ToString(out.Tasks[0].TaskArn)
	}

	dir := t.TempDir()
	arn := run("with-secrets", dir, []ecstypes.Secret{
		{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/app/db-password")},
		{Name: aws.String("REGION_NAME"), ValueFrom: param.Parameter.ARN},
		{Name: aws.String("API_KEY"), ValueFrom: aws.String(aws.ToString(secret.ARN) + ":key::")},
	})
	waitForTask(t, client, "secrets", arn, "RUNNING")
	var env string
	localcloudtest.Eventually(t, "the container to write its environment", func() bool {
		data, err := os.ReadFile(filepath.Join(dir, "env"))
		env = string(data)
		return err == nil && strings.Count(env, "|") == 2
	})
	if want := "s3cret|virginia|k-123"; env != want {
		t.Errorf("the container's secrets = %q, want %q", env, want)
	}

	arn = run("missing-secret", t.TempDir(), []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/app/not-there")}})
	task := waitForTask(t, client, "secrets", arn, "STOPPED")
	reason := aws.ToString(task.StoppedReason)
	if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(reason, "ResourceInitializationError:") || !strings.Contains(reason, "/app/not-there") {
		t.Errorf("stopped with %q/%q, want TaskFailedToStart with a ResourceInitializationError naming /app/not-there", task.StopCode, reason)
	}
	if task.StartedAt != nil {
		t.Errorf("the task started (at %v) though its secret is missing", task.StartedAt)
	}

	// The agent reads secrets as the execution role: without one, or
	// with one whose policies do not allow the read, the task stops
	// before it starts.
	for _, tc := range []struct {
		name, role string
		secret     ecstypes.Secret
		want       []string
	}{
		{"no-execution-role", "", ecstypes.Secret{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/app/db-password")}, []string{"executionRoleArn"}},
		{"logs-only-role", role("logs-only", "", executionPolicy), ecstypes.Secret{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/app/db-password")},
			[]string{"AccessDeniedException", "is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:000000000000:parameter/app/db-password"}},
		{"ssm-only-role", role("ssm-only", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:Get*","Resource":"*"}}`),
			ecstypes.Secret{Name: aws.String("API_KEY"), ValueFrom: aws.String(aws.ToString(secret.ARN) + ":key::")},
			[]string{"AccessDeniedException", "secretsmanager:GetSecretValue on resource: " + aws.ToString(secret.ARN) + " "}},
		{"denied-role", role("denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"ssm:GetParameters","Resource":"arn:aws:ssm:*:*:parameter/app/db-*"}]}`),
			ecstypes.Secret{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/app/db-password")}, []string{"AccessDeniedException", "ssm:GetParameters"}},
	} {
		executionRole = tc.role
		task := waitForTask(t, client, "secrets", run(tc.name, t.TempDir(), []ecstypes.Secret{tc.secret}), "STOPPED")
		reason := aws.ToString(task.StoppedReason)
		if task.StopCode != ecstypes.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(reason, "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ") {
			t.Errorf("%s: stopped with %q/%q, want TaskFailedToStart with ECS's ResourceInitializationError", tc.name, task.StopCode, reason)
		}
		for _, want := range tc.want {
			if !strings.Contains(reason, want) {
				t.Errorf("%s: reason %q does not say %q", tc.name, reason, want)
			}
		}
		if strings.Contains(reason, "s3cret") || strings.Contains(reason, "k-123") {
			t.Errorf("%s: the reason shows a secret's value: %q", tc.name, reason)
		}
	}
}
