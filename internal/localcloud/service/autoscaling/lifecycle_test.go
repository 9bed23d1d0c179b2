package autoscaling_test

import (
	"context"
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

// dataPlaneGroup starts a local cloud with its data plane and a launch
// template and subnet for a group, returning the client.
func dataPlaneGroup(t *testing.T) (*localcloudtest.Cloud, *asg.Client, string) {
	t.Helper()
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	ec2Client := awsec2.NewFromConfig(cloud.Config)
	vpc, err := ec2Client.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.2.0.0/16")})
	localcloudtest.WantCode(t, err, "")
	subnet, err := ec2Client.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.2.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	localcloudtest.WantCode(t, err, "")
	_, err = ec2Client.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("hooked"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
		ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT3Micro,
	}})
	localcloudtest.WantCode(t, err, "")
	return cloud, asg.NewFromConfig(cloud.Config), aws.ToString(subnet.Subnet.SubnetId)
}

func instanceStates(t *testing.T, client *asg.Client, group string) map[string]string {
	t.Helper()
	out, err := client.DescribeAutoScalingGroups(context.Background(), &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	localcloudtest.WantCode(t, err, "")
	states := map[string]string{}
	for _, inst := range out.AutoScalingGroups[0].Instances {
		states[aws.ToString(inst.InstanceId)] = string(inst.LifecycleState)
	}
	return states
}

func countIn(states map[string]string, state string) (n int, ids []string) {
	for id, s := range states {
		if s == state {
			n++
			ids = append(ids, id)
		}
	}
	return n, ids
}

func TestLifecycleHooks(t *testing.T) {
	cloud, client, subnet := dataPlaneGroup(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now()
	cloud.Cloud.AutoScaling.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	_, err := client.CreateAutoScalingGroup(ctx, &asg.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("hooked"), MinSize: aws.Int32(0), MaxSize: aws.Int32(3), VPCZoneIdentifier: aws.String(subnet),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("hooked")},
	})
	localcloudtest.WantCode(t, err, "")
	for _, in := range []*asg.PutLifecycleHookInput{
		{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("warm-up"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_LAUNCHING"), HeartbeatTimeout: aws.Int32(60), DefaultResult: aws.String("CONTINUE")},
		{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_TERMINATING"), HeartbeatTimeout: aws.Int32(30)},
	} {
		_, err := client.PutLifecycleHook(ctx, in)
		localcloudtest.WantCode(t, err, "")
	}
	hooks, err := client.DescribeLifecycleHooks(ctx, &asg.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("hooked")})
	localcloudtest.WantCode(t, err, "")
	if len(hooks.LifecycleHooks) != 2 || aws.ToString(hooks.LifecycleHooks[0].LifecycleHookName) != "drain" || aws.ToString(hooks.LifecycleHooks[0].DefaultResult) != "ABANDON" ||
		aws.ToInt32(hooks.LifecycleHooks[0].GlobalTimeout) != 3000 || aws.ToInt32(hooks.LifecycleHooks[1].GlobalTimeout) != 6000 {
		t.Errorf("DescribeLifecycleHooks: %+v", hooks.LifecycleHooks)
	}

	_, err = client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("hooked"), DesiredCapacity: aws.Int32(2)})
	localcloudtest.WantCode(t, err, "")
	var waiting []string
	localcloudtest.Eventually(t, "two instances in Pending:Wait", func() bool {
		var n int
		n, waiting = countIn(instanceStates(t, client, "hooked"), "Pending:Wait")
		return n == 2
	})
	// One is completed by hand, the other heartbeats and then times out
	// into its default result, CONTINUE.
	_, err = client.CompleteLifecycleAction(ctx, &asg.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("warm-up"),
		InstanceId: aws.String(waiting[0]), LifecycleActionResult: aws.String("CONTINUE")})
	localcloudtest.WantCode(t, err, "")
	if got := instanceStates(t, client, "hooked")[waiting[0]]; got != "InService" {
		t.Errorf("a completed launch is %s", got)
	}
	advance(45 * time.Second)
	_, err = client.RecordLifecycleActionHeartbeat(ctx, &asg.RecordLifecycleActionHeartbeatInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("warm-up"), InstanceId: aws.String(waiting[1])})
	localcloudtest.WantCode(t, err, "")
	advance(45 * time.Second) // 90 s after launch, 45 s after the heartbeat
	if got := instanceStates(t, client, "hooked")[waiting[1]]; got != "Pending:Wait" {
		t.Errorf("the heartbeat did not keep the instance waiting: %s", got)
	}
	advance(20 * time.Second)
	inService := asg.NewGroupInServiceWaiter(client, func(o *asg.GroupInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := inService.Wait(ctx, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"hooked"}}, 2*time.Minute); err != nil {
		t.Fatalf("the timed out launch never went InService: %v", err)
	}
	localcloudtest.Eventually(t, "both instances InService", func() bool {
		n, _ := countIn(instanceStates(t, client, "hooked"), "InService")
		return n == 2
	})

	// Scaling in holds one instance in Terminating:Wait; ABANDON ends it.
	_, err = client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("hooked"), DesiredCapacity: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "")
	var draining []string
	localcloudtest.Eventually(t, "an instance in Terminating:Wait", func() bool {
		var n int
		n, draining = countIn(instanceStates(t, client, "hooked"), "Terminating:Wait")
		return n == 1
	})
	if n := len(instanceStates(t, client, "hooked")); n != 2 {
		t.Errorf("the waiting instance left the group early: %d instances", n)
	}
	_, err = client.CompleteLifecycleAction(ctx, &asg.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain"),
		InstanceId: aws.String(draining[0]), LifecycleActionResult: aws.String("ABANDON")})
	localcloudtest.WantCode(t, err, "")
	localcloudtest.Eventually(t, "the instance to terminate", func() bool {
		states := instanceStates(t, client, "hooked")
		_, still := states[draining[0]]
		return !still && len(states) == 1
	})

	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"complete with nothing waiting", func() error {
			_, err := client.CompleteLifecycleAction(ctx, &asg.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain"), InstanceId: aws.String(draining[0]), LifecycleActionResult: aws.String("CONTINUE")})
			return err
		}, "ValidationError"},
		{"bad result", func() error {
			_, err := client.CompleteLifecycleAction(ctx, &asg.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain"), InstanceId: aws.String(draining[0]), LifecycleActionResult: aws.String("MAYBE")})
			return err
		}, "ValidationError"},
		{"heartbeat timeout out of range", func() error {
			_, err := client.PutLifecycleHook(ctx, &asg.PutLifecycleHookInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("x"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_LAUNCHING"), HeartbeatTimeout: aws.Int32(10)})
			return err
		}, "ValidationError"},
		{"hook of an unknown group", func() error {
			_, err := client.PutLifecycleHook(ctx, &asg.PutLifecycleHookInput{AutoScalingGroupName: aws.String("nope"), LifecycleHookName: aws.String("x"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_LAUNCHING")})
			return err
		}, "ValidationError"},
		{"delete", func() error {
			_, err := client.DeleteLifecycleHook(ctx, &asg.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain")})
			return err
		}, ""},
		{"delete again", func() error {
			_, err := client.DeleteLifecycleHook(ctx, &asg.DeleteLifecycleHookInput{AutoScalingGroupName: aws.String("hooked"), LifecycleHookName: aws.String("drain")})
			return err
		}, "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) { localcloudtest.WantCode(t, tc.call(), tc.code) })
	}
}
