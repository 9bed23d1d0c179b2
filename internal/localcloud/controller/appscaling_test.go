package controller_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	localcw "github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
)

// scalingFixture is a local cloud on the test time scale with a cluster of
// one instance, a service and its scalable target.
type scalingFixture struct {
	cloud    *localcloudtest.Cloud
	ecs      *ecs.Client
	aas      *aas.Client
	watch    *cloudwatch.Client
	ctx      context.Context
	resource string
}

func newScalingFixture(t *testing.T, cluster, image string, desired, minCapacity, maxCapacity int32) *scalingFixture {
	t.Helper()
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: testTimeScale})
	capacity(t, cloud, cluster)
	f := &scalingFixture{cloud: cloud, ecs: ecs.NewFromConfig(cloud.Config), aas: aas.NewFromConfig(cloud.Config),
		watch: cloudwatch.NewFromConfig(cloud.Config), ctx: context.Background(), resource: "service/" + cluster + "/web"}
	def := ""
	if image == "burner" {
		def = burnerDefinition(t, f.ecs)
	} else {
		sleeperImage(t, cloud)
		def = registerTaskDefinition(t, f.ecs, "sleeper", "sleeper")
	}
	if _, err := f.ecs.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String("web"), TaskDefinition: aws.String(def), DesiredCount: aws.Int32(desired),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if _, err := f.aas.RegisterScalableTarget(f.ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(f.resource), MinCapacity: aws.Int32(minCapacity), MaxCapacity: aws.Int32(maxCapacity),
	}); err != nil {
		t.Fatalf("RegisterScalableTarget: %v", err)
	}
	return f
}

func (f *scalingFixture) desired(t *testing.T) int32 {
	t.Helper()
	cluster := strings.Split(f.resource, "/")[1]
	out, err := f.ecs.DescribeServices(f.ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"web"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	return out.Services[0].DesiredCount
}

func (f *scalingFixture) waitDesired(t *testing.T, what string, want int32) {
	t.Helper()
	localcloudtest.Eventually(t, what, func() bool { return f.desired(t) == want })
}

func (f *scalingFixture) activities(t *testing.T) []aastypes.ScalingActivity {
	t.Helper()
	out, err := f.aas.DescribeScalingActivities(f.ctx, &aas.DescribeScalingActivitiesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(f.resource),
	})
	if err != nil {
		t.Fatalf("DescribeScalingActivities: %v", err)
	}
	return out.ScalingActivities
}

// A target tracking policy on CPU creates AWS's two alarms; a real CPU load
// in the tasks raises the desired count (to the maximum, since every task
// is loaded), and once the load stops the low alarm brings it back to the
// minimum. Deleting the policy deletes its alarms.
func TestTargetTrackingFollowsTheTasksCPU(t *testing.T) {
	f := newScalingFixture(t, "tracked", "burner", 1, 1, 3)
	loadFile := burnerImage(t, f.cloud)
	policy, err := f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu50"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(f.resource),
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(50),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
			ScaleOutCooldown:              aws.Int32(60), ScaleInCooldown: aws.Int32(60),
		},
	})
	if err != nil {
		t.Fatalf("PutScalingPolicy: %v", err)
	}
	if len(policy.Alarms) != 2 {
		t.Fatalf("the policy has alarms %+v, want AlarmHigh and AlarmLow", policy.Alarms)
	}
	var names []string
	for _, a := range policy.Alarms {
		names = append(names, aws.ToString(a.AlarmName))
	}
	alarms, err := f.watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil || len(alarms.MetricAlarms) != 2 {
		t.Fatalf("DescribeAlarms: %v %+v", err, alarms)
	}
	for _, a := range alarms.MetricAlarms {
		name := aws.ToString(a.AlarmName)
		high := strings.HasPrefix(name, "TargetTracking-service/tracked/web-AlarmHigh-")
		if !high && !strings.HasPrefix(name, "TargetTracking-service/tracked/web-AlarmLow-") {
			t.Errorf("alarm name %q is not AWS's", name)
		}
		wantThreshold, wantPeriods, wantOp := 45.0, int32(15), cwtypes.ComparisonOperatorLessThanThreshold
		if high {
			wantThreshold, wantPeriods, wantOp = 50, 3, cwtypes.ComparisonOperatorGreaterThanThreshold
		}
		if aws.ToString(a.MetricName) != "CPUUtilization" || aws.ToString(a.Namespace) != "AWS/ECS" || a.Statistic != cwtypes.StatisticAverage ||
			aws.ToInt32(a.Period) != 60 || aws.ToInt32(a.EvaluationPeriods) != wantPeriods || aws.ToFloat64(a.Threshold) != wantThreshold ||
			a.ComparisonOperator != wantOp || len(a.Dimensions) != 2 || len(a.AlarmActions) != 1 || a.AlarmActions[0] != aws.ToString(policy.PolicyARN) {
			t.Errorf("alarm %s = %+v", name, a)
		}
	}

	if err := os.WriteFile(loadFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f.waitDesired(t, "the load to scale the service out to its maximum", 3)
	if err := os.Remove(loadFile); err != nil {
		t.Fatal(err)
	}
	f.waitDesired(t, "the service to scale back in once the load stopped", 1)

	var out, in bool
	for _, a := range f.activities(t) {
		cause := aws.ToString(a.Cause)
		if a.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful || !strings.HasSuffix(cause, "in state ALARM triggered policy cpu50") {
			t.Errorf("activity %q / %q / %s", aws.ToString(a.Description), cause, a.StatusCode)
		}
		out = out || strings.HasPrefix(cause, "monitor alarm TargetTracking-service/tracked/web-AlarmHigh-")
		in = in || strings.HasPrefix(cause, "monitor alarm TargetTracking-service/tracked/web-AlarmLow-") && aws.ToString(a.Description) == "Setting desired count to 1."
	}
	if !out || !in {
		t.Errorf("activities lack a scale-out (%v) or a scale-in to 1 (%v): %+v", out, in, f.activities(t))
	}

	if _, err := f.aas.DeleteScalingPolicy(f.ctx, &aas.DeleteScalingPolicyInput{
		PolicyName: aws.String("cpu50"), ServiceNamespace: aastypes.ServiceNamespaceEcs,
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(f.resource),
	}); err != nil {
		t.Fatalf("DeleteScalingPolicy: %v", err)
	}
	if left, err := f.watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}); err != nil || len(left.MetricAlarms) != 0 {
		t.Errorf("after DeleteScalingPolicy: %v, alarms %+v", err, left)
	}
}

// A step scaling policy acts when the alarm its owner made fires: the
// metric's distance above the threshold picks the step.
func TestStepScalingActsOnItsAlarm(t *testing.T) {
	f := newScalingFixture(t, "stepped", "sleeper", 1, 1, 6)
	policy, err := f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("queue"), PolicyType: aastypes.PolicyTypeStepScaling,
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(f.resource),
		StepScalingPolicyConfiguration: &aastypes.StepScalingPolicyConfiguration{
			AdjustmentType: aastypes.AdjustmentTypeChangeInCapacity, Cooldown: aws.Int32(600),
			StepAdjustments: []aastypes.StepAdjustment{
				{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(50), ScalingAdjustment: aws.Int32(1)},
				{MetricIntervalLowerBound: aws.Float64(50), ScalingAdjustment: aws.Int32(3)},
			},
		},
	})
	if err != nil {
		t.Fatalf("PutScalingPolicy: %v", err)
	}
	if _, err := f.watch.PutMetricAlarm(f.ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("queue-deep"), Namespace: aws.String("App"), MetricName: aws.String("QueueDepth"),
		Statistic: cwtypes.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(100), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmActions: []string{aws.ToString(policy.PolicyARN)},
	}); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	// 170 is 70 above the threshold: the second step, +3.
	if _, err := f.watch.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("QueueDepth"), Value: aws.Float64(170), Timestamp: aws.Time(time.Now()),
			// High resolution, so that the alarm's shortened period sees it.
			StorageResolution: aws.Int32(1)}},
	}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	f.waitDesired(t, "the step policy to add three tasks", 4)
	described, err := f.aas.DescribeScalingPolicies(f.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, PolicyNames: []string{"queue"}})
	if err != nil || len(described.ScalingPolicies) != 1 || len(described.ScalingPolicies[0].Alarms) != 1 || aws.ToString(described.ScalingPolicies[0].Alarms[0].AlarmName) != "queue-deep" {
		t.Errorf("DescribeScalingPolicies: %v %+v, want the policy with its alarm queue-deep", err, described)
	}
	acts := f.activities(t)
	if len(acts) == 0 || aws.ToString(acts[0].Cause) != "monitor alarm queue-deep in state ALARM triggered policy queue" || aws.ToString(acts[0].Description) != "Setting desired count to 4." {
		t.Errorf("activities %+v", acts)
	}
}

// A scheduled action changes the capacity range at its time, and the
// service follows the new minimum.
func TestScheduledActionRaisesTheMinimum(t *testing.T) {
	f := newScalingFixture(t, "scheduled", "sleeper", 1, 1, 5)
	at := time.Now().UTC().Add(2 * time.Second)
	if _, err := f.aas.PutScheduledAction(f.ctx, &aas.PutScheduledActionInput{
		ScheduledActionName: aws.String("morning"), Schedule: aws.String("at(" + at.Format("2006-01-02T15:04:05") + ")"),
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(f.resource), ScalableTargetAction: &aastypes.ScalableTargetAction{MinCapacity: aws.Int32(3)},
	}); err != nil {
		t.Fatalf("PutScheduledAction: %v", err)
	}
	f.waitDesired(t, "the scheduled minimum", 3)
	targets, err := f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{f.resource}})
	if err != nil || len(targets.ScalableTargets) != 1 || aws.ToInt32(targets.ScalableTargets[0].MinCapacity) != 3 || aws.ToInt32(targets.ScalableTargets[0].MaxCapacity) != 5 {
		t.Errorf("DescribeScalableTargets: %v %+v", err, targets)
	}
	causes := map[string]bool{}
	for _, a := range f.activities(t) {
		causes[aws.ToString(a.Description)+" / "+aws.ToString(a.Cause)] = true
	}
	for _, want := range []string{"Setting min capacity to 3 and max capacity to 5 / scheduled action name morning was triggered", "Setting desired count to 3. / minimum capacity was set to 3"} {
		if !causes[want] {
			t.Errorf("no activity %q among %v", want, causes)
		}
	}
}

// ALBRequestCountPerTarget tracks the target group's RequestCountPerTarget
// (Sum per minute). The load balancer does not publish it yet, so the test
// writes it as that publisher would, through CloudWatch's in-process hook.
func TestTargetTrackingOnRequestsPerTarget(t *testing.T) {
	f := newScalingFixture(t, "requests", "sleeper", 1, 1, 5)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	balancers := elb.NewFromConfig(f.cloud.Config)
	ec2Client := ec2.NewFromConfig(f.cloud.Config)
	// The region's default VPC has a subnet in each zone.
	vpcs := must(ec2Client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("isDefault"), Values: []string{"true"}}}}))(t)
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPCs: %+v", vpcs.Vpcs)
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets := must(ec2Client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}}))(t)
	var subnetIDs []string
	for _, s := range subnets.Subnets {
		subnetIDs = append(subnetIDs, aws.ToString(s.SubnetId))
	}
	lb := must(balancers.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("requests"), Subnets: subnetIDs}))(t).LoadBalancers[0]
	group := must(balancers.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("requests"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: aws.String(vpcID), TargetType: elbtypes.TargetTypeEnumIp,
	}))(t).TargetGroups[0]
	must(balancers.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: group.TargetGroupArn}},
	}))(t)
	_, lbPart, _ := strings.Cut(aws.ToString(lb.LoadBalancerArn), ":loadbalancer/")
	tgPart := aws.ToString(group.TargetGroupArn)[strings.LastIndex(aws.ToString(group.TargetGroupArn), ":")+1:]
	policy := must(f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("requests100"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(f.resource),
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(100),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{
				PredefinedMetricType: aastypes.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(lbPart + "/" + tgPart),
			},
			ScaleOutCooldown: aws.Int32(60), DisableScaleIn: aws.Bool(true),
		},
	}))(t)
	if len(policy.Alarms) != 1 {
		t.Fatalf("a policy without scale-in has alarms %+v, want AlarmHigh only", policy.Alarms)
	}
	alarm := must(f.watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{aws.ToString(policy.Alarms[0].AlarmName)}}))(t).MetricAlarms[0]
	dims := []localcw.Dimension{{Name: "TargetGroup", Value: tgPart}}
	if aws.ToString(alarm.MetricName) != "RequestCountPerTarget" || aws.ToString(alarm.Namespace) != "AWS/ApplicationELB" || alarm.Statistic != cwtypes.StatisticSum ||
		len(alarm.Dimensions) != 1 || aws.ToString(alarm.Dimensions[0].Name) != "TargetGroup" || aws.ToString(alarm.Dimensions[0].Value) != tgPart {
		t.Errorf("alarm %+v", alarm)
	}
	// 250 requests per target in each (shortened) minute against a target
	// of 100: ceil(1 × 250/100) = 3. One datapoint a period, as the load
	// balancer publishes its per-period count.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var last int64
		for range 1200 { // at most two minutes
			if now := time.Now().Unix(); now != last {
				last = now
				if err := f.cloud.CloudWatch.Put(ctx, "AWS/ApplicationELB", "RequestCountPerTarget", dims, 250, "Count", time.Unix(now, 0)); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	f.waitDesired(t, "the request rate to scale the service out", 3)
	close(stop)
	<-done
}
