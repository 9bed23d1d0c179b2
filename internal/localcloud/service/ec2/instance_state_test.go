package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// Stop, start and status checks, with what EC2 refuses: a state the
// instance cannot leave, an unknown id, and a status for a stopped
// instance only when IncludeAllInstances asks for one.
func TestStopStartAndStatusOfInstances(t *testing.T) {
	f := start(t)
	c := f.client
	_, subnetID := network(t, c)
	run := must[*awsec2.RunInstancesOutput](t)(c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: types.InstanceTypeT3Micro, SubnetId: aws.String(subnetID)}))
	first, second := *run.Instances[0].InstanceId, *run.Instances[1].InstanceId

	statuses := func(all bool, ids ...string) map[string]string {
		t.Helper()
		out := must[*awsec2.DescribeInstanceStatusOutput](t)(c.DescribeInstanceStatus(ctx, &awsec2.DescribeInstanceStatusInput{InstanceIds: ids, IncludeAllInstances: aws.Bool(all)}))
		got := map[string]string{}
		for _, s := range out.InstanceStatuses {
			got[*s.InstanceId] = string(s.InstanceState.Name) + "/" + string(s.InstanceStatus.Status) + "/" + string(s.SystemStatus.Status)
		}
		return got
	}
	if got := statuses(false); got[first] != "running/ok/ok" || got[second] != "running/ok/ok" {
		t.Errorf("running instances' status: %v", got)
	}

	stopped := must[*awsec2.StopInstancesOutput](t)(c.StopInstances(ctx, &awsec2.StopInstancesInput{InstanceIds: []string{first}}))
	if s := stopped.StoppingInstances[0]; s.PreviousState.Name != types.InstanceStateNameRunning || s.CurrentState.Name != types.InstanceStateNameStopping || *s.CurrentState.Code != 64 {
		t.Errorf("StopInstances: %s → %s (%d)", s.PreviousState.Name, s.CurrentState.Name, *s.CurrentState.Code)
	}
	described := must[*awsec2.DescribeInstancesOutput](t)(c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{first}}))
	if inst := described.Reservations[0].Instances[0]; inst.State.Name != types.InstanceStateNameStopped || inst.StateReason == nil || *inst.StateReason.Code != "Client.UserInitiatedShutdown" {
		t.Errorf("a stopped instance: %s, reason %+v", inst.State.Name, inst.StateReason)
	}
	if got := statuses(false); len(got) != 1 || got[second] == "" {
		t.Errorf("without IncludeAllInstances only the running one shows: %v", got)
	}
	if got := statuses(true, first); got[first] != "stopped/not-applicable/not-applicable" {
		t.Errorf("a stopped instance's status: %v", got)
	}

	// Stopping again changes nothing; a terminated instance can be neither
	// stopped nor started, and the call changes none of those it lists.
	again := must[*awsec2.StopInstancesOutput](t)(c.StopInstances(ctx, &awsec2.StopInstancesInput{InstanceIds: []string{first}}))
	if s := again.StoppingInstances[0]; s.PreviousState.Name != types.InstanceStateNameStopped || s.CurrentState.Name != types.InstanceStateNameStopped {
		t.Errorf("stopping a stopped instance: %s → %s", s.PreviousState.Name, s.CurrentState.Name)
	}
	must[*awsec2.TerminateInstancesOutput](t)(c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{second}}))
	_, err := c.StartInstances(ctx, &awsec2.StartInstancesInput{InstanceIds: []string{first, second}})
	localcloudtest.WantCode(t, err, "IncorrectInstanceState")
	if got := statuses(true, first); got[first] != "stopped/not-applicable/not-applicable" {
		t.Errorf("a refused StartInstances started %v", got)
	}
	_, err = c.StopInstances(ctx, &awsec2.StopInstancesInput{InstanceIds: []string{second}})
	localcloudtest.WantCode(t, err, "IncorrectInstanceState")
	_, err = c.StopInstances(ctx, &awsec2.StopInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	localcloudtest.WantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = c.DescribeInstanceStatus(ctx, &awsec2.DescribeInstanceStatusInput{InstanceIds: []string{first}, MaxResults: aws.Int32(5)})
	localcloudtest.WantCode(t, err, "InvalidParameterCombination")

	started := must[*awsec2.StartInstancesOutput](t)(c.StartInstances(ctx, &awsec2.StartInstancesInput{InstanceIds: []string{first}}))
	if s := started.StartingInstances[0]; s.PreviousState.Name != types.InstanceStateNameStopped || s.CurrentState.Name != types.InstanceStateNamePending {
		t.Errorf("StartInstances: %s → %s", s.PreviousState.Name, s.CurrentState.Name)
	}
	if got := statuses(false, first); got[first] != "running/ok/ok" {
		t.Errorf("started again: %v", got)
	}
}
