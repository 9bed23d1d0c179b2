package ecs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// awsCLI runs the real AWS CLI against the cloud in us-east-1 and decodes
// its JSON output; botocore is stricter than the Go SDK about member names
// and types, so this catches shapes the SDK tests would let through.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	localcloudtest.MustAWSCLI(t, endpoint, "us-east-1", out, args...)
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

// An agent's day through the AWS CLI: register a container instance, start
// a task on it, put and list an attribute, deregister.
func TestAWSCLIAgentWalkthrough(t *testing.T) {
	f := startAgents(t)
	endpoint := f.cloud.Endpoint
	var registered struct {
		ContainerInstance struct {
			ContainerInstanceArn string `json:"containerInstanceArn"`
			Ec2InstanceId        string `json:"ec2InstanceId"`
			Status               string `json:"status"`
		} `json:"containerInstance"`
	}
	awsCLI(t, endpoint, &registered, "ecs", "register-container-instance", "--cluster", "agents",
		"--instance-identity-document", identityDocument(t, "i-0cli000000000001", "t3.large"),
		"--total-resources", "name=CPU,type=INTEGER,integerValue=2048", "name=MEMORY,type=INTEGER,integerValue=4000",
		"--attributes", "name=stack,value=cli")
	ci := registered.ContainerInstance
	if ci.Ec2InstanceId != "i-0cli000000000001" || ci.Status != "ACTIVE" {
		t.Fatalf("registered %+v", ci)
	}

	var started struct {
		Tasks []struct {
			TaskArn              string `json:"taskArn"`
			ContainerInstanceArn string `json:"containerInstanceArn"`
		} `json:"tasks"`
		Failures []any `json:"failures"`
	}
	awsCLI(t, endpoint, &started, "ecs", "start-task", "--cluster", "agents", "--task-definition", "sleeper", "--container-instances", ci.ContainerInstanceArn)
	if len(started.Tasks) != 1 || started.Tasks[0].ContainerInstanceArn != ci.ContainerInstanceArn {
		t.Fatalf("start-task: %+v", started)
	}
	// (the CLI's tasks-running waiter polls every 6 s; the SDK's is the same
	// waiter on a shorter delay)
	running := awsecs.NewTasksRunningWaiter(f.client, func(o *awsecs.TasksRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := running.Wait(f.ctx, &awsecs.DescribeTasksInput{Cluster: aws.String("agents"), Tasks: []string{started.Tasks[0].TaskArn}}, 2*time.Minute); err != nil {
		t.Fatalf("the task never ran: %v", err)
	}
	var described struct {
		Tasks []struct {
			LastStatus string `json:"lastStatus"`
		} `json:"tasks"`
	}
	awsCLI(t, endpoint, &described, "ecs", "describe-tasks", "--cluster", "agents", "--tasks", started.Tasks[0].TaskArn)
	if len(described.Tasks) != 1 || described.Tasks[0].LastStatus != "RUNNING" {
		t.Errorf("describe-tasks: %+v", described)
	}

	var put struct {
		Attributes []struct{ Name, Value, TargetId string } `json:"attributes"`
	}
	awsCLI(t, endpoint, &put, "ecs", "put-attributes", "--cluster", "agents",
		"--attributes", "name=rack,value=r7,targetId="+ci.ContainerInstanceArn)
	if len(put.Attributes) != 1 || put.Attributes[0].TargetId != ci.ContainerInstanceArn {
		t.Errorf("put-attributes: %+v", put)
	}
	var listed struct {
		Attributes []struct {
			Name     string `json:"name"`
			Value    string `json:"value"`
			TargetId string `json:"targetId"`
		} `json:"attributes"`
	}
	awsCLI(t, endpoint, &listed, "ecs", "list-attributes", "--cluster", "agents", "--target-type", "container-instance", "--attribute-name", "rack")
	if len(listed.Attributes) != 1 || listed.Attributes[0].Value != "r7" {
		t.Errorf("list-attributes: %+v", listed)
	}
	var deregistered struct {
		ContainerInstance struct {
			Status string `json:"status"`
		} `json:"containerInstance"`
	}
	awsCLI(t, endpoint, &deregistered, "ecs", "deregister-container-instance", "--cluster", "agents", "--container-instance", ci.ContainerInstanceArn, "--force")
	if deregistered.ContainerInstance.Status != "INACTIVE" {
		t.Errorf("deregister-container-instance left it %s", deregistered.ContainerInstance.Status)
	}
}
