package ecs_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// awsCLI runs the real AWS CLI against endpoint and decodes its JSON output.
// botocore is stricter than the Go SDK about member names and types, so this
// catches shapes the SDK tests would let through.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	cmd := exec.CommandContext(context.Background(), path, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1",
	)
	output, err := cmd.Output()
	if err != nil {
		stderr := ""
		if exitErr, ok := err.(*exec.ExitError); ok {
			stderr = string(exitErr.Stderr)
		}
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	if err := json.Unmarshal(output, out); err != nil {
		t.Fatalf("aws %v printed no JSON: %v\n%s", args, err, output)
	}
}

func TestAWSCLIDescribes(t *testing.T) {
	f := start(t)
	f.stack(t)
	_, err := f.client.CreateService(f.ctx, serviceInput("api"))
	localcloudtest.WantCode(t, err, "")
	f.registerInstance(t, "i-0aaa")

	var clusters struct {
		Clusters []struct {
			ClusterName                       string `json:"clusterName"`
			Status                            string `json:"status"`
			ActiveServicesCount               int    `json:"activeServicesCount"`
			RegisteredContainerInstancesCount int    `json:"registeredContainerInstancesCount"`
			CapacityProviders                 []string
			Tags                              []map[string]string `json:"tags"`
		} `json:"clusters"`
		Failures []struct {
			Arn    string `json:"arn"`
			Reason string `json:"reason"`
		} `json:"failures"`
	}
	awsCLI(t, f.endpoint(t), &clusters, "ecs", "describe-clusters", "--clusters", "web", "ghost", "--include", "TAGS", "SETTINGS", "STATISTICS", "ATTACHMENTS")
	if len(clusters.Clusters) != 1 || clusters.Clusters[0].Status != "ACTIVE" || clusters.Clusters[0].ActiveServicesCount != 1 || clusters.Clusters[0].RegisteredContainerInstancesCount != 1 {
		t.Errorf("describe-clusters = %+v", clusters.Clusters)
	}
	if len(clusters.Failures) != 1 || clusters.Failures[0].Reason != "MISSING" {
		t.Errorf("failures = %+v", clusters.Failures)
	}

	var services struct {
		Services []struct {
			ServiceName  string `json:"serviceName"`
			Status       string `json:"status"`
			DesiredCount int    `json:"desiredCount"`
			Deployments  []struct {
				ID           string  `json:"id"`
				Status       string  `json:"status"`
				RolloutState string  `json:"rolloutState"`
				CreatedAt    float64 `json:"createdAt"`
			} `json:"deployments"`
			DeploymentConfiguration struct {
				MaximumPercent        int `json:"maximumPercent"`
				MinimumHealthyPercent int `json:"minimumHealthyPercent"`
			} `json:"deploymentConfiguration"`
		} `json:"services"`
		Failures []json.RawMessage `json:"failures"`
	}
	awsCLI(t, f.endpoint(t), &services, "ecs", "describe-services", "--cluster", "web", "--services", "api", "--include", "TAGS")
	if len(services.Services) != 1 || services.Failures == nil {
		t.Fatalf("describe-services = %+v", services)
	}
	svc := services.Services[0]
	if svc.Status != "ACTIVE" || svc.DesiredCount != 2 || len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != "IN_PROGRESS" ||
		svc.DeploymentConfiguration.MaximumPercent != 200 || svc.DeploymentConfiguration.MinimumHealthyPercent != 100 {
		t.Errorf("service = %+v", svc)
	}

	var definition map[string]any
	awsCLI(t, f.endpoint(t), &definition, "ecs", "describe-task-definition", "--task-definition", "app", "--include", "TAGS")
	if td, ok := definition["taskDefinition"].(map[string]any); !ok || td["cpu"] != "256" {
		t.Errorf("describe-task-definition = %v", definition)
	}
	var instances map[string]any
	awsCLI(t, f.endpoint(t), &instances, "ecs", "list-container-instances", "--cluster", "web")
	if arns, _ := instances["containerInstanceArns"].([]any); len(arns) != 1 {
		t.Errorf("list-container-instances = %v", instances)
	}
}

// endpoint is the base URL the fixture's client talks to.
func (f *fixture) endpoint(t *testing.T) string {
	t.Helper()
	return aws.ToString(f.client.Options().BaseEndpoint)
}
