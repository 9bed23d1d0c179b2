package autoscaling_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	asg "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

func TestScheduledActions(t *testing.T) {
	f := start(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) // a Tuesday
	f.backend.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advanceTo := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	in := createInput("web")
	in.MaxSize = aws.Int32(10)
	_, err := f.client.CreateAutoScalingGroup(ctx, in)
	localcloudtest.WantCode(t, err, "")

	_, err = f.client.PutScheduledUpdateGroupAction(ctx, &asg.PutScheduledUpdateGroupActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("once"),
		StartTime: aws.Time(now.Add(30 * time.Minute)), DesiredCapacity: aws.Int32(4)})
	localcloudtest.WantCode(t, err, "")
	batch, err := f.client.BatchPutScheduledUpdateGroupAction(ctx, &asg.BatchPutScheduledUpdateGroupActionInput{AutoScalingGroupName: aws.String("web"),
		ScheduledUpdateGroupActions: []types.ScheduledUpdateGroupActionRequest{
			{ScheduledActionName: aws.String("weekday-evenings"), Recurrence: aws.String("0 18 * * 1-5"), MinSize: aws.Int32(2), MaxSize: aws.Int32(3), DesiredCapacity: aws.Int32(9)},
			{ScheduledActionName: aws.String("bad-cron"), Recurrence: aws.String("0 25 * * *"), DesiredCapacity: aws.Int32(1)},
			{ScheduledActionName: aws.String("past"), StartTime: aws.Time(now.Add(-time.Hour)), DesiredCapacity: aws.Int32(1)},
		}})
	localcloudtest.WantCode(t, err, "")
	if len(batch.FailedScheduledUpdateGroupActions) != 2 || aws.ToString(batch.FailedScheduledUpdateGroupActions[0].ErrorCode) != "ValidationError" {
		t.Errorf("batch failures %+v", batch.FailedScheduledUpdateGroupActions)
	}
	described, err := f.client.DescribeScheduledActions(ctx, &asg.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(described.ScheduledUpdateGroupActions) != 2 || aws.ToString(described.ScheduledUpdateGroupActions[0].ScheduledActionName) != "once" ||
		!aws.ToTime(described.ScheduledUpdateGroupActions[1].StartTime).Equal(time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("described %+v", described.ScheduledUpdateGroupActions)
	}

	run := func() {
		t.Helper()
		if err := f.backend.RunScheduledActions(ctx, "web"); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if got := desired(t, f, "web"); got != 1 {
		t.Errorf("nothing was due, yet desired is %d", got)
	}
	advanceTo(time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC))
	run()
	if got := desired(t, f, "web"); got != 4 {
		t.Errorf("after the one-off action desired is %d, want 4", got)
	}
	advanceTo(time.Date(2026, 12, 1, 18, 0, 30, 0, time.UTC))
	run()
	g := describeGroup(t, f, "web")
	// Desired 9 is kept within the new maximum of 3.
	if aws.ToInt32(g.MinSize) != 2 || aws.ToInt32(g.MaxSize) != 3 || aws.ToInt32(g.DesiredCapacity) != 3 {
		t.Errorf("after the recurring action: min %d desired %d max %d", aws.ToInt32(g.MinSize), aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MaxSize))
	}
	left, err := f.client.DescribeScheduledActions(ctx, &asg.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	// The one-off is gone; the recurring one moved to Wednesday 18:00.
	if len(left.ScheduledUpdateGroupActions) != 1 || !aws.ToTime(left.ScheduledUpdateGroupActions[0].StartTime).Equal(time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("left %+v", left.ScheduledUpdateGroupActions)
	}
	activities, err := f.client.DescribeScalingActivities(ctx, &asg.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(activities.Activities) != 2 || !strings.Contains(aws.ToString(activities.Activities[0].Description), "weekday-evenings") {
		t.Errorf("activities %+v", activities.Activities)
	}

	// Suspended, the schedule waits.
	_, err = f.client.SuspendProcesses(ctx, &asg.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"ScheduledActions"}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.UpdateAutoScalingGroup(ctx, &asg.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MaxSize: aws.Int32(10), DesiredCapacity: aws.Int32(5)})
	localcloudtest.WantCode(t, err, "")
	advanceTo(time.Date(2026, 12, 2, 18, 1, 0, 0, time.UTC))
	run()
	if got := desired(t, f, "web"); got != 5 {
		t.Errorf("a suspended schedule changed desired to %d", got)
	}

	_, err = f.client.DeleteScheduledAction(ctx, &asg.DeleteScheduledActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("weekday-evenings")})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeleteScheduledAction(ctx, &asg.DeleteScheduledActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("weekday-evenings")})
	localcloudtest.WantCode(t, err, "ValidationError")
	_, err = f.client.PutScheduledUpdateGroupAction(ctx, &asg.PutScheduledUpdateGroupActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("tz"),
		Recurrence: aws.String("0 9 * * *"), TimeZone: aws.String("Mars/Olympus"), DesiredCapacity: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "ValidationError")
}

func TestWarmPoolsAndAttachments(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	client := asg.NewFromConfig(cloud.Config)
	ec2Client := awsec2.NewFromConfig(cloud.Config)
	c := context.Background()
	vpc, err := ec2Client.CreateVpc(c, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.3.0.0/16")})
	localcloudtest.WantCode(t, err, "")
	subnet, err := ec2Client.CreateSubnet(c, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.3.1.0/24"), AvailabilityZone: aws.String("us-east-1b")})
	localcloudtest.WantCode(t, err, "")
	run, err := ec2Client.RunInstances(c, &awsec2.RunInstancesInput{ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT3Small,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: subnet.Subnet.SubnetId})
	localcloudtest.WantCode(t, err, "")
	instanceID := aws.ToString(run.Instances[0].InstanceId)
	running := awsec2.NewInstanceRunningWaiter(ec2Client, func(o *awsec2.InstanceRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := running.Wait(c, &awsec2.DescribeInstancesInput{InstanceIds: []string{instanceID}}, time.Minute); err != nil {
		t.Fatalf("instance never ran: %v", err)
	}

	_, err = ec2Client.CreateLaunchTemplate(c, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("any"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID)}})
	localcloudtest.WantCode(t, err, "")
	_, err = client.CreateAutoScalingGroup(c, &asg.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1),
		VPCZoneIdentifier: subnet.Subnet.SubnetId, LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("any")}})
	localcloudtest.WantCode(t, err, "")

	// Warm pools are data.
	_, err = client.PutWarmPool(c, &asg.PutWarmPoolInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(1), PoolState: types.WarmPoolStateStopped,
		InstanceReusePolicy: &types.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(true)}})
	localcloudtest.WantCode(t, err, "")
	pool, err := client.DescribeWarmPool(c, &asg.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if pool.WarmPoolConfiguration == nil || aws.ToInt32(pool.WarmPoolConfiguration.MinSize) != 1 || pool.WarmPoolConfiguration.PoolState != types.WarmPoolStateStopped ||
		!aws.ToBool(pool.WarmPoolConfiguration.InstanceReusePolicy.ReuseOnScaleIn) || len(pool.Instances) != 0 {
		t.Errorf("warm pool %+v", pool.WarmPoolConfiguration)
	}
	_, err = client.DeleteWarmPool(c, &asg.DeleteWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	pool, err = client.DescribeWarmPool(c, &asg.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if pool.WarmPoolConfiguration != nil {
		t.Errorf("deleted warm pool still described: %+v", pool.WarmPoolConfiguration)
	}

	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"attach an unknown instance", func() error {
			_, err := client.AttachInstances(c, &asg.AttachInstancesInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{"i-0000000000000dead"}})
			return err
		}, "ValidationError"},
		{"attach", func() error {
			_, err := client.AttachInstances(c, &asg.AttachInstancesInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{instanceID}})
			return err
		}, ""},
		{"attach beyond the maximum", func() error {
			_, err := client.AttachInstances(c, &asg.AttachInstancesInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{instanceID}})
			return err
		}, "ValidationError"},
		{"attach target groups", func() error {
			_, err := client.AttachLoadBalancerTargetGroups(c, &asg.AttachLoadBalancerTargetGroupsInput{AutoScalingGroupName: aws.String("web"), TargetGroupARNs: []string{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/a/1", "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/b/2"}})
			return err
		}, ""},
		{"detach one target group", func() error {
			_, err := client.DetachLoadBalancerTargetGroups(c, &asg.DetachLoadBalancerTargetGroupsInput{AutoScalingGroupName: aws.String("web"), TargetGroupARNs: []string{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/a/1"}})
			return err
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { localcloudtest.WantCode(t, tc.call(), tc.code) })
	}
	g, err := client.DescribeAutoScalingGroups(c, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	localcloudtest.WantCode(t, err, "")
	group := g.AutoScalingGroups[0]
	if len(group.Instances) != 1 || aws.ToString(group.Instances[0].InstanceId) != instanceID || aws.ToString(group.Instances[0].AvailabilityZone) != "us-east-1b" ||
		aws.ToString(group.Instances[0].InstanceType) != "t3.small" || aws.ToInt32(group.DesiredCapacity) != 1 {
		t.Errorf("after attaching: desired %d instances %+v", aws.ToInt32(group.DesiredCapacity), group.Instances)
	}
	tgs, err := client.DescribeLoadBalancerTargetGroups(c, &asg.DescribeLoadBalancerTargetGroupsInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(tgs.LoadBalancerTargetGroups) != 1 || !strings.HasSuffix(aws.ToString(tgs.LoadBalancerTargetGroups[0].LoadBalancerTargetGroupARN), "targetgroup/b/2") {
		t.Errorf("target groups %+v", tgs.LoadBalancerTargetGroups)
	}
	detached, err := client.DetachInstances(c, &asg.DetachInstancesInput{AutoScalingGroupName: aws.String("web"), InstanceIds: []string{instanceID}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	if len(detached.Activities) != 1 || !strings.Contains(aws.ToString(detached.Activities[0].Description), instanceID) {
		t.Errorf("detach activities %+v", detached.Activities)
	}
	if got := aws.ToInt32(describeGroupWith(t, client, "web").DesiredCapacity); got != 0 {
		t.Errorf("desired after detaching with decrement: %d", got)
	}
	instances, err := ec2Client.DescribeInstances(c, &awsec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	localcloudtest.WantCode(t, err, "")
	if state := instances.Reservations[0].Instances[0].State.Name; state != ec2types.InstanceStateNameRunning {
		t.Errorf("a detached instance is %s, not still running", state)
	}
}

func describeGroupWith(t *testing.T, client *asg.Client, name string) types.AutoScalingGroup {
	t.Helper()
	out, err := client.DescribeAutoScalingGroups(context.Background(), &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	localcloudtest.WantCode(t, err, "")
	return out.AutoScalingGroups[0]
}
