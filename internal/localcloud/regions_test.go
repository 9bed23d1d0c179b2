package localcloud_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// awsIn runs the real AWS CLI against the cloud, signed for region, and
// decodes its JSON output into a generic map (nil for commands that print
// nothing). A missing CLI fails the test: these tests exist to walk what a
// user of the CLI walks.
func awsIn(t *testing.T, cloud *localcloudtest.Cloud, region string, args ...string) map[string]any {
	t.Helper()
	out, err := runAWS(t, cloud, region, args...)
	if err != nil {
		t.Fatalf("aws --region %s %s: %v", region, strings.Join(args, " "), err)
	}
	return out
}

// runAWS is awsIn that returns the CLI's failure instead of failing.
func runAWS(t *testing.T, cloud *localcloudtest.Cloud, region string, args ...string) (map[string]any, error) {
	t.Helper()
	data, err := localcloudtest.AWSCLI(t, cloud.Endpoint, region, args...)
	if err != nil || strings.TrimSpace(string(data)) == "" {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("aws %v printed no JSON: %v\n%s", args, err, data)
	}
	return out, nil
}

// str walks a decoded JSON value by map keys and list indexes.
func str(v any, path ...any) string {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return ""
			}
			v = l[k]
		}
	}
	s, _ := v.(string)
	return s
}

func list(v any, key string) []any {
	m, _ := v.(map[string]any)
	l, _ := m[key].([]any)
	return l
}

// appPort is the tasks' port: an unusual one, so that no other program of
// the machine that holds it on the wildcard address keeps tasks from
// binding it.
const (
	appPort       = "38417"
	appPortNumber = 38417
)

// regionStack is what writeUpStack built in one region.
type regionStack struct {
	region         string
	targetGroupARN string
}

// writeUpStack builds the write-up's stack by hand with the AWS CLI in
// region, under the write-up's names: network, security groups, a launch
// template whose user data names the cluster, an Auto Scaling group, the
// cluster and its capacity provider, a task definition logging to
// /ecs/FASTAPI-DEV, a target group, an ALB and its listener, and a service
// of two tasks.
func writeUpStack(t *testing.T, cloud *localcloudtest.Cloud, region string) regionStack {
	t.Helper()
	aws := func(args ...string) map[string]any { t.Helper(); return awsIn(t, cloud, region, args...) }

	vpc := str(aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"), "Vpc", "VpcId")
	var subnets []string
	for i, zone := range []string{"a", "b"} {
		subnet := aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0."+string(rune('1'+i))+".0/24", "--availability-zone", region+zone)
		subnets = append(subnets, str(subnet, "Subnet", "SubnetId"))
	}
	albSG := str(aws("ec2", "create-security-group", "--group-name", "FASTAPI-DEV-alb-sg", "--description", "ALB", "--vpc-id", vpc), "GroupId")
	aws("ec2", "authorize-security-group-ingress", "--group-id", albSG, "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
	ecsSG := str(aws("ec2", "create-security-group", "--group-name", "FASTAPI-DEV-ecs-sg", "--description", "ECS tasks", "--vpc-id", vpc), "GroupId")
	aws("ec2", "authorize-security-group-ingress", "--group-id", ecsSG, "--protocol", "tcp", "--port", appPort, "--source-group", albSG)

	image := aws("ssm", "get-parameters", "--names", "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")
	imageID := str(list(image, "Parameters")[0], "Value")
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=FASTAPI-DEV >> /etc/ecs/ecs.config\n"))
	templateData, _ := json.Marshal(map[string]any{"ImageId": imageID, "InstanceType": "t2.medium", "UserData": userData, "SecurityGroupIds": []string{ecsSG}})
	aws("ec2", "create-launch-template", "--launch-template-name", "FASTAPI-DEV-lt", "--launch-template-data", string(templateData))
	aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "FASTAPI-DEV-asg",
		"--launch-template", "LaunchTemplateName=FASTAPI-DEV-lt,Version=$Latest",
		"--min-size", "1", "--max-size", "2", "--desired-capacity", "1", "--vpc-zone-identifier", strings.Join(subnets, ","))
	groups := aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "FASTAPI-DEV-asg")
	groupARN := str(list(groups, "AutoScalingGroups")[0], "AutoScalingGroupARN")

	aws("ecs", "create-cluster", "--cluster-name", "FASTAPI-DEV")
	provider, _ := json.Marshal(map[string]any{"autoScalingGroupArn": groupARN, "managedScaling": map[string]any{"status": "ENABLED", "targetCapacity": 100}, "managedTerminationProtection": "DISABLED"})
	aws("ecs", "create-capacity-provider", "--name", "FASTAPI-DEV-cp", "--auto-scaling-group-provider", string(provider))
	aws("ecs", "put-cluster-capacity-providers", "--cluster", "FASTAPI-DEV", "--capacity-providers", "FASTAPI-DEV-cp",
		"--default-capacity-provider-strategy", "capacityProvider=FASTAPI-DEV-cp,weight=1")

	aws("logs", "create-log-group", "--log-group-name", "/ecs/FASTAPI-DEV")
	taskDef, _ := json.Marshal(map[string]any{
		"family": "FASTAPI-DEV", "networkMode": "awsvpc", "requiresCompatibilities": []string{"EC2"}, "cpu": "256", "memory": "512",
		"containerDefinitions": []map[string]any{{
			"name": "app", "image": "fastapi-dev-region:latest", "essential": true,
			"portMappings": []map[string]any{{"containerPort": appPortNumber, "protocol": "tcp"}},
			"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]string{
				"awslogs-group": "/ecs/FASTAPI-DEV", "awslogs-region": region, "awslogs-stream-prefix": "ecs",
			}},
		}},
	})
	aws("ecs", "register-task-definition", "--cli-input-json", string(taskDef))

	tg := aws("elbv2", "create-target-group", "--name", "FASTAPI-DEV-tg", "--protocol", "HTTP", "--port", appPort, "--vpc-id", vpc,
		"--target-type", "ip", "--health-check-path", "/", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2")
	tgARN := str(list(tg, "TargetGroups")[0], "TargetGroupArn")
	alb := aws("elbv2", "create-load-balancer", "--name", "FASTAPI-DEV-alb", "--subnets", subnets[0], subnets[1], "--security-groups", albSG)
	albARN := str(list(alb, "LoadBalancers")[0], "LoadBalancerArn")
	aws("elbv2", "create-listener", "--load-balancer-arn", albARN, "--protocol", "HTTP", "--port", "80",
		"--default-actions", "Type=forward,TargetGroupArn="+tgARN)

	aws("ecs", "create-service", "--cluster", "FASTAPI-DEV", "--service-name", "FASTAPI-DEV-service", "--task-definition", "FASTAPI-DEV",
		"--desired-count", "2", "--capacity-provider-strategy", "capacityProvider=FASTAPI-DEV-cp,weight=1",
		"--network-configuration", "awsvpcConfiguration={subnets=["+strings.Join(subnets, ",")+"],securityGroups=["+ecsSG+"]}",
		"--load-balancers", "targetGroupArn="+tgARN+",containerName=app,containerPort="+appPort)
	return regionStack{region: region, targetGroupARN: tgARN}
}

// runningTasks lists the ARNs of the cluster's RUNNING tasks in region.
func runningTasks(t *testing.T, cloud *localcloudtest.Cloud, region string) []string {
	t.Helper()
	listed := awsIn(t, cloud, region, "ecs", "list-tasks", "--cluster", "FASTAPI-DEV", "--desired-status", "RUNNING")
	var arns []string
	for _, a := range list(listed, "taskArns") {
		arns = append(arns, a.(string))
	}
	if len(arns) == 0 {
		return nil
	}
	described := awsIn(t, cloud, region, append([]string{"ecs", "describe-tasks", "--cluster", "FASTAPI-DEV", "--tasks"}, arns...)...)
	var running []string
	for _, task := range list(described, "tasks") {
		if str(task, "lastStatus") == "RUNNING" {
			running = append(running, str(task, "taskArn"))
		}
	}
	slices.Sort(running)
	return running
}

// The scenario: the write-up's stack, built by hand with the AWS CLI
// in eu-west-1, and the same stack under the same names in us-east-1, side
// by side in one local cloud. Each reaches two running, healthy tasks that
// see their own region, log into their own region's log group and carry
// their region in every ARN; neither region sees the other's resources, and
// deleting in one leaves the other alone.
func TestTwoRegionsRunTheSameStackSideBySide(t *testing.T) {
	cloud := localcloudtest.Start(t)
	// The process image prints what the task's environment says, then
	// serves HTTP for the target group's health checks. The shell, not
	// berth, expands the variables: they come from the task's environment.
	script := `echo "region=$AWS_REGION default=$AWS_DEFAULT_REGION"; exec python3 -m http.server ` + appPort + ` --bind "$HOST"`
	if err := cloud.PutImage(runtime.ProcessImage{Name: "fastapi-dev-region", Dir: t.TempDir(), Command: []string{"/bin/sh", "-c", script}}); err != nil {
		t.Fatal(err)
	}
	regions := []string{"eu-west-1", "us-east-1"}
	stacks := map[string]regionStack{}
	for _, region := range regions {
		stacks[region] = writeUpStack(t, cloud, region)
	}

	tasks := map[string][]string{}
	for _, region := range regions {
		localcloudtest.Eventually(t, "two running tasks in "+region, func() bool {
			tasks[region] = runningTasks(t, cloud, region)
			return len(tasks[region]) == 2
		})
	}
	for _, region := range regions {
		other := regions[0]
		if other == region {
			other = regions[1]
		}
		stack := stacks[region]

		// Every ARN names its own region.
		clusters := awsIn(t, cloud, region, "ecs", "describe-clusters", "--clusters", "FASTAPI-DEV")
		wantRegion := func(what, arn string) {
			t.Helper()
			if !strings.HasPrefix(arn, "arn:aws:") || !strings.Contains(arn, ":"+region+":000000000000:") {
				t.Errorf("%s in %s: ARN %q does not name %s", what, region, arn, region)
			}
		}
		wantRegion("cluster", str(list(clusters, "clusters")[0], "clusterArn"))
		instances := awsIn(t, cloud, region, "ecs", "list-container-instances", "--cluster", "FASTAPI-DEV")
		if len(list(instances, "containerInstanceArns")) == 0 {
			t.Errorf("no container instance in %s", region)
		}
		for _, arn := range list(instances, "containerInstanceArns") {
			wantRegion("container instance", arn.(string))
		}
		for _, arn := range tasks[region] {
			wantRegion("task", arn)
		}
		wantRegion("target group", stack.targetGroupARN)
		groups := awsIn(t, cloud, region, "logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/FASTAPI-DEV")
		if len(list(groups, "logGroups")) != 1 {
			t.Fatalf("log groups in %s: %v", region, groups)
		}
		wantRegion("log group", str(list(groups, "logGroups")[0], "arn"))

		// Both tasks are healthy targets of their own region's group.
		localcloudtest.Eventually(t, "two healthy targets in "+region, func() bool {
			health := awsIn(t, cloud, region, "elbv2", "describe-target-health", "--target-group-arn", stack.targetGroupARN)
			healthy := 0
			for _, d := range list(health, "TargetHealthDescriptions") {
				if str(d, "TargetHealth", "State") == "healthy" {
					healthy++
				}
			}
			return healthy == 2
		})

		// Each task saw its own region and logged it into its own region's
		// log group.
		for _, arn := range tasks[region] {
			taskID := arn[strings.LastIndex(arn, "/")+1:]
			stream := "ecs/app/" + taskID
			want := "region=" + region + " default=" + region
			localcloudtest.Eventually(t, "the task's output in "+region+"'s log group", func() bool {
				events, err := runAWS(t, cloud, region, "logs", "get-log-events", "--log-group-name", "/ecs/FASTAPI-DEV", "--log-stream-name", stream)
				if err != nil {
					return false // the stream appears with the first flush
				}
				for _, e := range list(events, "events") {
					if msg := str(e, "message"); strings.Contains(msg, "region=") {
						if msg != want {
							t.Fatalf("task %s printed %q, want %q", taskID, msg, want)
						}
						return true
					}
				}
				return false
			})
			if _, err := runAWS(t, cloud, other, "logs", "get-log-events", "--log-group-name", "/ecs/FASTAPI-DEV", "--log-stream-name", stream); err == nil {
				t.Errorf("the stream of a %s task exists in %s", region, other)
			}

			// The metadata endpoint answers for the task, in its region.
			resp, err := http.Get(cloud.Endpoint + "/_berth/metadata/v4/" + taskID + "/task")
			if err != nil {
				t.Fatal(err)
			}
			var meta map[string]any
			err = json.NewDecoder(resp.Body).Decode(&meta)
			resp.Body.Close()
			if err != nil || str(meta, "TaskARN") != arn || !strings.Contains(str(meta, "Cluster"), ":"+region+":") {
				t.Errorf("metadata of %s: %v (%v)", arn, meta, err)
			}
		}
	}

	// A cluster of one region is not seen from the other.
	awsIn(t, cloud, "eu-west-1", "ecs", "create-cluster", "--cluster-name", "ONLY-IN-IRELAND")
	missing := awsIn(t, cloud, "us-east-1", "ecs", "describe-clusters", "--clusters", "ONLY-IN-IRELAND")
	if len(list(missing, "clusters")) != 0 || str(list(missing, "failures"), 0, "reason") != "MISSING" {
		t.Errorf("us-east-1 describes eu-west-1's cluster: %v", missing)
	}
	listed := awsIn(t, cloud, "us-east-1", "ecs", "list-clusters")
	for _, arn := range list(listed, "clusterArns") {
		if !strings.Contains(arn.(string), ":us-east-1:") {
			t.Errorf("us-east-1 lists %s", arn)
		}
	}

	// Deleting in one region leaves the other's resources running.
	awsIn(t, cloud, "eu-west-1", "ecs", "delete-service", "--cluster", "FASTAPI-DEV", "--service", "FASTAPI-DEV-service", "--force")
	awsIn(t, cloud, "eu-west-1", "ecs", "delete-cluster", "--cluster", "ONLY-IN-IRELAND")
	localcloudtest.Eventually(t, "eu-west-1's tasks to stop", func() bool {
		return len(runningTasks(t, cloud, "eu-west-1")) == 0
	})
	if got := runningTasks(t, cloud, "us-east-1"); !slices.Equal(got, tasks["us-east-1"]) {
		t.Errorf("us-east-1's tasks after eu-west-1's service went: %v, want %v", got, tasks["us-east-1"])
	}
	services := awsIn(t, cloud, "us-east-1", "ecs", "describe-services", "--cluster", "FASTAPI-DEV", "--services", "FASTAPI-DEV-service")
	if str(list(services, "services")[0], "status") != "ACTIVE" {
		t.Errorf("us-east-1's service after eu-west-1's went: %v", services)
	}
}

// --account sets the account every call acts in: STS answers with it and
// ARNs carry it; a malformed account is refused.
func TestTheAccountIsTheOneGiven(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{Account: "123456789012"})
	identity := awsIn(t, cloud, "eu-west-1", "sts", "get-caller-identity")
	if str(identity, "Account") != "123456789012" || str(identity, "Arn") != "arn:aws:iam::123456789012:root" {
		t.Errorf("caller identity: %v", identity)
	}
	cluster := awsIn(t, cloud, "eu-west-1", "ecs", "create-cluster", "--cluster-name", "web")
	if arn := str(cluster, "cluster", "clusterArn"); arn != "arn:aws:ecs:eu-west-1:123456789012:cluster/web" {
		t.Errorf("cluster ARN %s", arn)
	}
	// IAM is global: a role made through one region's endpoint is the
	// account's, seen from every region.
	awsIn(t, cloud, "eu-west-1", "iam", "create-role", "--role-name", "task", "--assume-role-policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	role := awsIn(t, cloud, "us-east-1", "iam", "get-role", "--role-name", "task")
	if arn := str(role, "Role", "Arn"); arn != "arn:aws:iam::123456789012:role/task" {
		t.Errorf("role ARN seen from us-east-1: %s", arn)
	}

	for _, bad := range []string{"12345", "00000000000a", "1234567890123"} {
		if c, err := localcloud.New(localcloud.Options{Account: bad}); err == nil {
			c.Close()
			t.Errorf("account %q accepted", bad)
		}
	}
}
