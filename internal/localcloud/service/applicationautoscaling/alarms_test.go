package applicationautoscaling_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// A target tracking policy on a customized metric gets alarms on that
// metric; updating the policy to disable scale-in deletes its low alarm,
// and deregistering the target deletes the rest.
func TestCustomizedMetricAlarmsFollowThePolicy(t *testing.T) {
	f := start(t)
	resource := f.service(t, "queue")
	watch := cloudwatch.NewFromConfig(f.cloud.Config)
	must(f.aas.RegisterScalableTarget(f.ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String(resource), MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(4),
	}))(t)
	put := func(disableScaleIn bool) *aas.PutScalingPolicyOutput {
		return must(f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
			PolicyName: aws.String("backlog"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			ResourceId: aws.String(resource),
			TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
				TargetValue: aws.Float64(20), DisableScaleIn: aws.Bool(disableScaleIn),
				CustomizedMetricSpecification: &aastypes.CustomizedMetricSpecification{
					Namespace: aws.String("App"), MetricName: aws.String("BacklogPerTask"), Statistic: aastypes.MetricStatisticAverage,
					Dimensions: []aastypes.MetricDimension{{Name: aws.String("Queue"), Value: aws.String("jobs")}},
				},
			},
		}))(t)
	}
	policy := put(false)
	names := []string{aws.ToString(policy.Alarms[0].AlarmName), aws.ToString(policy.Alarms[1].AlarmName)}
	alarms := must(watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}))(t).MetricAlarms
	if len(alarms) != 2 {
		t.Fatalf("alarms %+v", alarms)
	}
	for _, a := range alarms {
		if aws.ToString(a.Namespace) != "App" || aws.ToString(a.MetricName) != "BacklogPerTask" || a.Statistic != cwtypes.StatisticAverage ||
			len(a.Dimensions) != 1 || aws.ToString(a.AlarmDescription) != "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "+aws.ToString(policy.PolicyARN)+"." ||
			a.StateValue != cwtypes.StateValueInsufficientData {
			t.Errorf("alarm %+v", a)
		}
	}
	updated := put(true)
	if len(updated.Alarms) != 1 || aws.ToString(updated.Alarms[0].AlarmName) != names[0] && aws.ToString(updated.Alarms[0].AlarmName) != names[1] {
		t.Fatalf("after disabling scale-in the policy has alarms %+v", updated.Alarms)
	}
	if left := must(watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}))(t).MetricAlarms; len(left) != 1 {
		t.Errorf("after disabling scale-in %d alarms are left, want the high one", len(left))
	}
	must(f.aas.DeregisterScalableTarget(f.ctx, &aas.DeregisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, ResourceId: aws.String(resource),
	}))(t)
	if left := must(watch.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names}))(t).MetricAlarms; len(left) != 0 {
		t.Errorf("after DeregisterScalableTarget alarms %+v are left", left)
	}
}
