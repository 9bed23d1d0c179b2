package autoscaling_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	asg "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func desired(t *testing.T, f *fixture, name string) int32 {
	t.Helper()
	return aws.ToInt32(describeGroup(t, f, name).DesiredCapacity)
}

func TestExecutePolicyAdjustments(t *testing.T) {
	for _, tc := range []struct {
		name           string
		start          int32
		policy         asg.PutScalingPolicyInput
		metric, breach *float64
		want           int32
		code           string
	}{
		{name: "change in capacity", start: 2, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(3)}, want: 5},
		{name: "change capped at max", start: 2, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(30)}, want: 10},
		{name: "change floored at min", start: 2, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(-5)}, want: 1},
		{name: "exact capacity", start: 2, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("ExactCapacity"), ScalingAdjustment: aws.Int32(7)}, want: 7},
		{name: "percent rounds toward zero", start: 4, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("PercentChangeInCapacity"), ScalingAdjustment: aws.Int32(60)}, want: 6},
		{name: "a small percent is one instance", start: 4, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("PercentChangeInCapacity"), ScalingAdjustment: aws.Int32(10)}, want: 5},
		{name: "a small negative percent is one instance", start: 4, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("PercentChangeInCapacity"), ScalingAdjustment: aws.Int32(-10)}, want: 3},
		{name: "min adjustment magnitude", start: 4, policy: asg.PutScalingPolicyInput{AdjustmentType: aws.String("PercentChangeInCapacity"), ScalingAdjustment: aws.Int32(10), MinAdjustmentMagnitude: aws.Int32(3)}, want: 7},
		{name: "step scaling picks the step", start: 2, policy: asg.PutScalingPolicyInput{PolicyType: aws.String("StepScaling"), AdjustmentType: aws.String("ChangeInCapacity"),
			StepAdjustments: []types.StepAdjustment{
				{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(10), ScalingAdjustment: aws.Int32(1)},
				{MetricIntervalLowerBound: aws.Float64(10), ScalingAdjustment: aws.Int32(4)},
			}}, metric: aws.Float64(85), breach: aws.Float64(70), want: 6},
		{name: "step scaling needs the metric", start: 2, policy: asg.PutScalingPolicyInput{PolicyType: aws.String("StepScaling"), AdjustmentType: aws.String("ChangeInCapacity"),
			StepAdjustments: []types.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(1)}}}, want: 2, code: "ValidationError"},
		{name: "target tracking cannot be executed", start: 2, policy: asg.PutScalingPolicyInput{PolicyType: aws.String("TargetTrackingScaling"),
			TargetTrackingConfiguration: &types.TargetTrackingConfiguration{TargetValue: aws.Float64(50),
				PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeASGAverageCPUUtilization}}}, want: 2, code: "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t)
			in := createInput("web")
			in.MaxSize, in.DesiredCapacity = aws.Int32(10), aws.Int32(tc.start)
			_, err := f.client.CreateAutoScalingGroup(ctx, in)
			localcloudtest.WantCode(t, err, "")
			policy := tc.policy
			policy.AutoScalingGroupName, policy.PolicyName = aws.String("web"), aws.String("p")
			_, err = f.client.PutScalingPolicy(ctx, &policy)
			localcloudtest.WantCode(t, err, "")
			_, err = f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("p"), MetricValue: tc.metric, BreachThreshold: tc.breach})
			localcloudtest.WantCode(t, err, tc.code)
			if got := desired(t, f, "web"); got != tc.want {
				t.Errorf("desired capacity %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCooldownAndSuspendedProcesses(t *testing.T) {
	f := start(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.backend.SetClock(func() time.Time { return now })
	in := createInput("web")
	in.MaxSize, in.DefaultCooldown = aws.Int32(10), aws.Int32(120)
	_, err := f.client.CreateAutoScalingGroup(ctx, in)
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.PutScalingPolicy(ctx, &asg.PutScalingPolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("up"),
		AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1), Cooldown: aws.Int32(600)})
	localcloudtest.WantCode(t, err, "")

	steps := []struct {
		name    string
		advance time.Duration
		call    func() error
		code    string
		want    int32
	}{
		{"set desired", 0, func() error {
			_, err := f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(3), HonorCooldown: aws.Bool(true)})
			return err
		}, "", 3},
		{"honouring the group's cooldown", time.Minute, func() error {
			_, err := f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(4), HonorCooldown: aws.Bool(true)})
			return err
		}, "ScalingActivityInProgress", 3},
		{"not honouring it", 0, func() error {
			_, err := f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(4)})
			return err
		}, "", 4},
		{"after the cooldown", 3 * time.Minute, func() error {
			_, err := f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("up"), HonorCooldown: aws.Bool(true)})
			return err
		}, "", 5},
		{"within the policy's own cooldown", 5 * time.Minute, func() error {
			_, err := f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("up"), HonorCooldown: aws.Bool(true)})
			return err
		}, "ScalingActivityInProgress", 5},
		{"AlarmNotification suspended", 10 * time.Minute, func() error {
			_, err := f.client.SuspendProcesses(ctx, &asg.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AlarmNotification", "Launch"}})
			localcloudtest.WantCode(t, err, "")
			_, err = f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("up")})
			return err
		}, "ScalingActivityInProgress", 5},
		{"resumed", 0, func() error {
			_, err := f.client.ResumeProcesses(ctx, &asg.ResumeProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"AlarmNotification"}})
			localcloudtest.WantCode(t, err, "")
			_, err = f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("up")})
			return err
		}, "", 6},
		{"unknown process", 0, func() error {
			_, err := f.client.SuspendProcesses(ctx, &asg.SuspendProcessesInput{AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"Sleep"}})
			return err
		}, "ValidationError", 6},
		{"unknown policy", 0, func() error {
			_, err := f.client.ExecutePolicy(ctx, &asg.ExecutePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("nope")})
			return err
		}, "ValidationError", 6},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		localcloudtest.WantCode(t, st.call(), st.code)
		if got := desired(t, f, "web"); got != st.want {
			t.Errorf("%s: desired capacity %d, want %d", st.name, got, st.want)
		}
	}
	g := describeGroup(t, f, "web")
	if len(g.SuspendedProcesses) != 1 || aws.ToString(g.SuspendedProcesses[0].ProcessName) != "Launch" || !strings.HasPrefix(aws.ToString(g.SuspendedProcesses[0].SuspensionReason), "User suspended") {
		t.Errorf("suspended processes %+v", g.SuspendedProcesses)
	}
	activities, err := f.client.DescribeScalingActivities(ctx, &asg.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	// One for each change: 1→3, 3→4, 4→5, 5→6.
	if len(activities.Activities) != 4 || !strings.Contains(aws.ToString(activities.Activities[0].Description), "from 5 to 6") {
		t.Errorf("activities %+v", activities.Activities)
	}
	processTypes, err := f.client.DescribeScalingProcessTypes(ctx, &asg.DescribeScalingProcessTypesInput{})
	localcloudtest.WantCode(t, err, "")
	if len(processTypes.Processes) < 8 {
		t.Errorf("process types %+v", processTypes.Processes)
	}
}

// The AWS CLI creates and executes a scaling policy.
func TestAWSCLIScalingPolicy(t *testing.T) {
	f := start(t)
	_, err := f.client.CreateAutoScalingGroup(ctx, createInput("web"))
	localcloudtest.WantCode(t, err, "")
	cli := func(args ...string) []byte {
		t.Helper()
		out, err := localcloudtest.AWSCLI(t, f.endpoint, "us-east-1", append([]string{"autoscaling"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var put struct{ PolicyARN string }
	if err := json.Unmarshal(cli("put-scaling-policy", "--auto-scaling-group-name", "web", "--policy-name", "double",
		"--adjustment-type", "PercentChangeInCapacity", "--scaling-adjustment", "100", "--min-adjustment-magnitude", "2"), &put); err != nil || !strings.Contains(put.PolicyARN, "policyName/double") {
		t.Fatalf("put-scaling-policy: %v %+v", err, put)
	}
	cli("execute-policy", "--auto-scaling-group-name", "web", "--policy-name", "double")
	var groups struct {
		AutoScalingGroups []struct{ DesiredCapacity int }
	}
	if err := json.Unmarshal(cli("describe-auto-scaling-groups", "--auto-scaling-group-names", "web"), &groups); err != nil || len(groups.AutoScalingGroups) != 1 {
		t.Fatalf("describe: %v", err)
	}
	// 1 + max(100% of 1, the minimum magnitude 2) = 3.
	if got := groups.AutoScalingGroups[0].DesiredCapacity; got != 3 {
		t.Errorf("desired capacity after execute-policy: %d, want 3", got)
	}
}

func TestTargetTrackingMetrics(t *testing.T) {
	f := start(t)
	_, err := f.client.CreateAutoScalingGroup(ctx, createInput("web"))
	localcloudtest.WantCode(t, err, "")
	const label = "app/web/0123456789abcdef/targetgroup/web/0123456789abcdef"
	for _, tc := range []struct {
		metric types.MetricType
		label  string
		code   string
	}{
		{types.MetricTypeASGAverageCPUUtilization, "", ""},
		{types.MetricTypeASGAverageNetworkIn, "", ""},
		{types.MetricTypeASGAverageNetworkOut, "", ""},
		{types.MetricTypeALBRequestCountPerTarget, label, ""},
		{types.MetricTypeALBRequestCountPerTarget, "", "ValidationError"},
		{types.MetricTypeASGAverageCPUUtilization, label, "ValidationError"},
	} {
		t.Run(string(tc.metric)+"/"+tc.label, func(t *testing.T) {
			spec := &types.PredefinedMetricSpecification{PredefinedMetricType: tc.metric}
			if tc.label != "" {
				spec.ResourceLabel = aws.String(tc.label)
			}
			out, err := f.client.PutScalingPolicy(ctx, &asg.PutScalingPolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("tt-" + string(tc.metric)),
				PolicyType: aws.String("TargetTrackingScaling"), TargetTrackingConfiguration: &types.TargetTrackingConfiguration{TargetValue: aws.Float64(50), PredefinedMetricSpecification: spec}})
			localcloudtest.WantCode(t, err, tc.code)
			if tc.code == "" && len(out.Alarms) != 2 {
				t.Errorf("a target tracking policy has %d alarms", len(out.Alarms))
			}
		})
	}
}
