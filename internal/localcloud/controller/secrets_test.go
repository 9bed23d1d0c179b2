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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A task definition's secrets reach the container's environment from SSM
// parameters (by name and by ARN) and from a key of a JSON secret in
// Secrets Manager; one that does not exist stops the task before it
// starts, with ECS's ResourceInitializationError.
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
	client := ecs.NewFromConfig(cloud.Config)
	run := func(family, dir string, secrets []ecstypes.Secret) string {
		def, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family),
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
}
