package controller_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A rolling update of a two-task service behind the ALB to a new task
// definition revision loses no request of a steady client: new tasks take
// traffic once healthy, old ones leave the target group and drain before
// they are stopped. At the end, the new revision answers.
func TestRollingUpdateLosesNoRequests(t *testing.T) {
	cloud := localcloudtest.Start(t)
	tgARN := webService(t, cloud, "rolling", 2)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	elbClient := elb.NewFromConfig(cloud.Config)
	// A drain long enough for a request in flight to finish before its
	// task gets SIGTERM.
	if _, err := elbClient.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("3")}}}); err != nil {
		t.Fatalf("ModifyTargetGroupAttributes: %v", err)
	}
	client := ecs.NewFromConfig(cloud.Config)
	completed := func(revision int32) bool {
		out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("rolling"), Services: []string{"web"}})
		if err != nil || len(out.Services) != 1 || len(out.Services[0].Deployments) != 1 {
			return false
		}
		d := out.Services[0].Deployments[0]
		return d.RolloutState == ecstypes.DeploymentRolloutStateCompleted && d.RunningCount == 2 &&
			aws.ToString(d.TaskDefinition) == revisionARN(t, client, "rolling", revision)
	}
	localcloudtest.Eventually(t, "the first deployment to complete", func() bool { return completed(1) })
	url := listenerURL(t, cloud)
	localcloudtest.Eventually(t, "revision 1 to answer", func() bool { return servedRevision(url) == "1" })

	current, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("rolling:1")})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition: %v", err)
	}
	old := current.TaskDefinition
	next, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: old.Family, NetworkMode: old.NetworkMode, Cpu: old.Cpu, Memory: old.Memory,
		ContainerDefinitions: old.ContainerDefinitions,
	})
	if err != nil || next.TaskDefinition.Revision != 2 {
		t.Fatalf("RegisterTaskDefinition: %v %+v", err, next)
	}

	// The client: one request after the other, for as long as the update
	// runs and a little after, bounded in count and in time.
	const maxRequests = 20000
	deadline := time.Now().Add(4 * time.Minute)
	type result struct{ requests, failures int }
	done := make(chan result, 1)
	stop := make(chan struct{})
	go func() {
		var r result
		for r.requests < maxRequests && time.Now().Before(deadline) {
			select {
			case <-stop:
				done <- r
				return
			default:
			}
			r.requests++
			if _, ok := fetch(url + "/id"); !ok {
				r.failures++
			}
		}
		done <- r
	}()

	// The one t2.medium has ENIs for two awsvpc tasks, as on AWS: the
	// update replaces one task at a time instead of starting two more.
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("rolling"), Service: aws.String("web"), TaskDefinition: next.TaskDefinition.TaskDefinitionArn,
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(50), MaximumPercent: aws.Int32(100)}}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	localcloudtest.Eventually(t, "the update to complete", func() bool { return completed(2) })
	// The old tasks have stopped, so the requests from here on reached the new ones only.
	localcloudtest.Eventually(t, "revision 2 to answer", func() bool { return servedRevision(url) == "2" })
	close(stop)
	r := <-done
	t.Logf("%d requests during the update, %d failed", r.requests, r.failures)
	if r.failures != 0 {
		t.Errorf("%d of %d requests failed during the rolling update", r.failures, r.requests)
	}
	if r.requests == 0 {
		t.Error("no request was made during the update")
	}
	for range 20 {
		if got := servedRevision(url); got != "2" {
			t.Fatalf("after the update, revision %q answered, want 2", got)
		}
	}
	// Each old task left its target group (stoppingAt) and drained for the
	// group's deregistration delay before it was stopped.
	stopped, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("rolling"), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(stopped.TaskArns) == 0 {
		t.Fatalf("ListTasks STOPPED: %v %+v", err, stopped)
	}
	described, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("rolling"), Tasks: stopped.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	drained := 0
	for _, task := range described.Tasks {
		if aws.ToString(task.TaskDefinitionArn) != revisionARN(t, client, "rolling", 1) || task.StoppingAt == nil || task.StoppedAt == nil {
			continue
		}
		drained++
		if took := task.StoppedAt.Sub(*task.StoppingAt); took < 3*time.Second {
			t.Errorf("old task %s stopped %v after it left its target group, before the 3 s deregistration delay", aws.ToString(task.TaskArn), took)
		}
	}
	if drained != 2 {
		t.Errorf("%d old tasks stopped after draining, want 2", drained)
	}
}

// revisionARN is the ARN of one revision of a task definition family.
func revisionARN(t *testing.T, client *ecs.Client, family string, revision int32) string {
	t.Helper()
	out, err := client.DescribeTaskDefinition(localcloudtest.InRegion(context.Background(), "us-east-1"),
		&ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family + ":" + strconv.Itoa(int(revision)))})
	if err != nil {
		return ""
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// servedRevision is the task definition revision of the task that answered
// through the load balancer (the task metadata it recorded at start).
func servedRevision(url string) string {
	body, ok := fetch(url + "/meta")
	if !ok {
		return ""
	}
	var meta struct{ Revision string }
	if json.Unmarshal([]byte(body), &meta) != nil {
		return ""
	}
	return meta.Revision
}
