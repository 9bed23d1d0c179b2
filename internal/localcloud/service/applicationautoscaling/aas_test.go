package applicationautoscaling_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling"
)

const (
	ns        = types.ServiceNamespaceEcs
	dimension = types.ScalableDimensionECSServiceDesiredCount
	ecsRole   = "arn:aws:iam::000000000000:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
)

func register(resource string, min, max int32) *aas.RegisterScalableTargetInput {
	return &aas.RegisterScalableTargetInput{
		ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
		MinCapacity: aws.Int32(min), MaxCapacity: aws.Int32(max),
	}
}

// TestWriteUpFlow is the write-up's wish: the service's DesiredCount scales
// between 2 and 6 on CPU and on requests per target.
func TestWriteUpFlow(t *testing.T) {
	f := start(t)
	resource := f.service(t, "api")
	label, _, _ := f.loadBalancer(t)

	in := register(resource, 2, 6)
	in.RoleARN = aws.String("arn:aws:iam::000000000000:role/custom") // ignored for ECS, as AWS ignores it
	in.Tags = map[string]string{"app": "web"}
	reg := must(f.aas.RegisterScalableTarget(f.ctx, in))(t)
	if !regexp.MustCompile(`^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/[0-9a-f]{36}$`).MatchString(aws.ToString(reg.ScalableTargetARN)) {
		t.Errorf("ScalableTargetARN = %s", aws.ToString(reg.ScalableTargetARN))
	}

	cpu := must(f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu"), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
		PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(60),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization},
			ScaleInCooldown:               aws.Int32(300), ScaleOutCooldown: aws.Int32(60),
		},
	}))(t)
	if !strings.HasPrefix(aws.ToString(cpu.PolicyARN), "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:") ||
		!strings.HasSuffix(aws.ToString(cpu.PolicyARN), ":resource/ecs/service/web/api:policyName/cpu") {
		t.Errorf("PolicyARN = %s", aws.ToString(cpu.PolicyARN))
	}
	alarm := regexp.MustCompile(`^TargetTracking-service/web/api-Alarm(High|Low)-[0-9a-f-]{36}$`)
	if len(cpu.Alarms) != 2 {
		t.Fatalf("alarms = %+v", cpu.Alarms)
	}
	for _, a := range cpu.Alarms {
		if !alarm.MatchString(aws.ToString(a.AlarmName)) || aws.ToString(a.AlarmARN) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"+aws.ToString(a.AlarmName) {
			t.Errorf("alarm %s %s", aws.ToString(a.AlarmName), aws.ToString(a.AlarmARN))
		}
	}

	requests := must(f.aas.PutScalingPolicy(f.ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("requests"), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
		PolicyType: types.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(1000),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{
				PredefinedMetricType: types.MetricTypeALBRequestCountPerTarget, ResourceLabel: aws.String(label),
			},
			DisableScaleIn: aws.Bool(true),
		},
	}))(t)
	if len(requests.Alarms) != 1 || !strings.Contains(aws.ToString(requests.Alarms[0].AlarmName), "-AlarmHigh-") {
		t.Errorf("scale-in disabled still has a low alarm: %+v", requests.Alarms)
	}

	targets := must(f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns}))(t).ScalableTargets
	if len(targets) != 1 {
		t.Fatalf("targets = %+v", targets)
	}
	target := targets[0]
	if aws.ToInt32(target.MinCapacity) != 2 || aws.ToInt32(target.MaxCapacity) != 6 || aws.ToString(target.RoleARN) != ecsRole ||
		aws.ToString(target.ResourceId) != resource || target.CreationTime == nil || target.SuspendedState == nil ||
		aws.ToBool(target.SuspendedState.DynamicScalingInSuspended) || aws.ToString(target.ScalableTargetARN) != aws.ToString(reg.ScalableTargetARN) {
		t.Errorf("target = %+v", target)
	}

	policies := must(f.aas.DescribeScalingPolicies(f.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, ResourceId: aws.String(resource)}))(t).ScalingPolicies
	if len(policies) != 2 || aws.ToString(policies[0].PolicyName) != "cpu" || aws.ToString(policies[1].PolicyName) != "requests" {
		t.Fatalf("policies = %+v", policies)
	}
	got := policies[1].TargetTrackingScalingPolicyConfiguration
	if got == nil || aws.ToFloat64(got.TargetValue) != 1000 || aws.ToString(got.PredefinedMetricSpecification.ResourceLabel) != label || !aws.ToBool(got.DisableScaleIn) {
		t.Errorf("requests policy = %+v", got)
	}

	// The controller's view: one target with both policies.
	scalables := must(f.cloud.AppAutoScaling.Scalables(localcloudtest.InRegion(f.ctx, "us-east-1")))(t)
	if len(scalables) != 1 || len(scalables[0].Policies) != 2 || scalables[0].Target.MinCapacity != 2 {
		t.Errorf("scalables = %+v", scalables)
	}

	// Re-registering updates the range in place.
	must(f.aas.RegisterScalableTarget(f.ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, MaxCapacity: aws.Int32(8),
		SuspendedState: &types.SuspendedState{ScheduledScalingSuspended: aws.Bool(true)},
	}))(t)
	target = must(f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, ResourceIds: []string{resource}}))(t).ScalableTargets[0]
	if aws.ToInt32(target.MinCapacity) != 2 || aws.ToInt32(target.MaxCapacity) != 8 || !aws.ToBool(target.SuspendedState.ScheduledScalingSuspended) {
		t.Errorf("updated target = %+v", target)
	}

	tags := must(f.aas.ListTagsForResource(f.ctx, &aas.ListTagsForResourceInput{ResourceARN: reg.ScalableTargetARN}))(t).Tags
	if len(tags) != 1 || tags["app"] != "web" {
		t.Errorf("tags = %v", tags)
	}

	// Deregistering removes the policies and scheduled actions with it.
	must(f.aas.PutScheduledAction(f.ctx, &aas.PutScheduledActionInput{
		ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
		ScheduledActionName: aws.String("night"), Schedule: aws.String("cron(0 22 * * ? *)"),
		ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2)},
	}))(t)
	must(f.aas.DeregisterScalableTarget(f.ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension}))(t)
	if p := must(f.aas.DescribeScalingPolicies(f.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns}))(t).ScalingPolicies; len(p) != 0 {
		t.Errorf("policies outlived their target: %+v", p)
	}
	if a := must(f.aas.DescribeScheduledActions(f.ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns}))(t).ScheduledActions; len(a) != 0 {
		t.Errorf("scheduled actions outlived their target: %+v", a)
	}
	_, err := f.aas.DeregisterScalableTarget(f.ctx, &aas.DeregisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension})
	localcloudtest.WantCode(t, err, "ObjectNotFoundException")
}

func TestRegisterErrors(t *testing.T) {
	f := start(t)
	resource := f.service(t, "api")
	must(f.ecs.CreateService(f.ctx, &ecs.CreateServiceInput{Cluster: aws.String("web"), ServiceName: aws.String("gone"), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(0)}))(t)
	must(f.ecs.DeleteService(f.ctx, &ecs.DeleteServiceInput{Cluster: aws.String("web"), Service: aws.String("gone"), Force: aws.Bool(true)}))(t)

	tests := []struct {
		name string
		in   *aas.RegisterScalableTargetInput
		code string
	}{
		{"no such service", register("service/web/missing", 1, 2), "ValidationException"},
		{"no such cluster", register("service/other/api", 1, 2), "ValidationException"},
		{"deleted service", register("service/web/gone", 1, 2), "ValidationException"},
		{"resource id not service/cluster/service", register("web/api", 1, 2), "ValidationException"},
		{"resource id with too many parts", register("service/web/api/x", 1, 2), "ValidationException"},
		{"dimension of another namespace", &aas.RegisterScalableTargetInput{
			ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: types.ScalableDimensionDynamoDBTableReadCapacityUnits,
			MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2),
		}, "ValidationException"},
		{"min above max", register(resource, 5, 2), "ValidationException"},
		{"new target without capacities", &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension}, "ValidationException"},
		{"reserved tag", func() *aas.RegisterScalableTargetInput {
			in := register(resource, 1, 2)
			in.Tags = map[string]string{"aws:x": "y"}
			return in
		}(), "ValidationException"},
		{"ok", register(resource, 1, 3), ""},
		{"update to min above max", &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, MinCapacity: aws.Int32(4)}, "ValidationException"},
		{"update min only", &aas.RegisterScalableTargetInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, MinCapacity: aws.Int32(2)}, ""},
		{"other namespace as data", &aas.RegisterScalableTargetInput{
			ServiceNamespace: types.ServiceNamespaceDynamodb, ResourceId: aws.String("table/orders"), ScalableDimension: types.ScalableDimensionDynamoDBTableReadCapacityUnits,
			MinCapacity: aws.Int32(5), MaxCapacity: aws.Int32(100),
		}, ""},
		{"other namespace, wrong resource type", &aas.RegisterScalableTargetInput{
			ServiceNamespace: types.ServiceNamespaceDynamodb, ResourceId: aws.String("service/web/api"), ScalableDimension: types.ScalableDimensionDynamoDBTableReadCapacityUnits,
			MinCapacity: aws.Int32(5), MaxCapacity: aws.Int32(100),
		}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.aas.RegisterScalableTarget(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	target := must(f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns}))(t).ScalableTargets
	if len(target) != 1 || aws.ToInt32(target[0].MinCapacity) != 2 || aws.ToInt32(target[0].MaxCapacity) != 3 {
		t.Errorf("after the updates: %+v", target)
	}
	// The service is us-east-1's: in another region there is none to scale.
	other := aas.NewFromConfig(f.cloud.ConfigIn("eu-west-1"), func(o *aas.Options) { o.RetryMaxAttempts = 1 })
	_, err := other.RegisterScalableTarget(f.ctx, register(resource, 1, 2))
	localcloudtest.WantCode(t, err, "ValidationException")
	dynamo := must(f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceDynamodb}))(t).ScalableTargets
	if len(dynamo) != 1 || !strings.HasSuffix(aws.ToString(dynamo[0].RoleARN), "/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable") {
		t.Errorf("dynamodb targets = %+v", dynamo)
	}
}

func TestPolicyErrors(t *testing.T) {
	f := start(t)
	resource := f.service(t, "api")
	label, lb, _ := f.loadBalancer(t)
	must(f.aas.RegisterScalableTarget(f.ctx, register(resource, 1, 4)))(t)

	tracking := func(metric types.MetricType, label string) *types.TargetTrackingScalingPolicyConfiguration {
		spec := &types.PredefinedMetricSpecification{PredefinedMetricType: metric}
		if label != "" {
			spec.ResourceLabel = aws.String(label)
		}
		return &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50), PredefinedMetricSpecification: spec}
	}
	put := func(name string, policyType types.PolicyType, tt *types.TargetTrackingScalingPolicyConfiguration, step *types.StepScalingPolicyConfiguration) *aas.PutScalingPolicyInput {
		return &aas.PutScalingPolicyInput{
			PolicyName: aws.String(name), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
			PolicyType: policyType, TargetTrackingScalingPolicyConfiguration: tt, StepScalingPolicyConfiguration: step,
		}
	}
	lbID := lb[strings.LastIndex(lb, "/")+1:]
	otherLB := strings.Replace(label, lbID, "0123456789abcdef", 1)
	step := &types.StepScalingPolicyConfiguration{
		AdjustmentType: types.AdjustmentTypeChangeInCapacity, Cooldown: aws.Int32(60), MetricAggregationType: types.MetricAggregationTypeAverage,
		StepAdjustments: []types.StepAdjustment{
			{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(20), ScalingAdjustment: aws.Int32(1)},
			{MetricIntervalLowerBound: aws.Float64(20), ScalingAdjustment: aws.Int32(2)},
		},
	}
	overlapping := &types.StepScalingPolicyConfiguration{
		AdjustmentType: types.AdjustmentTypeChangeInCapacity,
		StepAdjustments: []types.StepAdjustment{
			{MetricIntervalLowerBound: aws.Float64(0), MetricIntervalUpperBound: aws.Float64(30), ScalingAdjustment: aws.Int32(1)},
			{MetricIntervalLowerBound: aws.Float64(20), ScalingAdjustment: aws.Int32(2)},
		},
	}
	unregistered := put("cpu", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeECSServiceAverageCPUUtilization, ""), nil)
	unregistered.ResourceId = aws.String("service/web/other")

	tests := []struct {
		name string
		in   *aas.PutScalingPolicyInput
		code string
	}{
		{"unregistered target", unregistered, "ObjectNotFoundException"},
		{"metric of another service", put("x", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeDynamoDBReadCapacityUtilization, ""), nil), "ValidationException"},
		{"request count without label", put("x", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeALBRequestCountPerTarget, ""), nil), "ValidationException"},
		{"malformed label", put("x", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeALBRequestCountPerTarget, "app/web/targetgroup/web"), nil), "ValidationException"},
		{"label of a load balancer that does not exist", put("x", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeALBRequestCountPerTarget, otherLB), nil), "ValidationException"},
		{"label on a CPU metric", put("x", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeECSServiceAverageCPUUtilization, label), nil), "ValidationException"},
		{"no metric", put("x", types.PolicyTypeTargetTrackingScaling, &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50)}, nil), "ValidationException"},
		{"both metrics", put("x", types.PolicyTypeTargetTrackingScaling, &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(50),
			PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization},
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{MetricName: aws.String("m"), Namespace: aws.String("n"), Statistic: types.MetricStatisticAverage},
		}, nil), "ValidationException"},
		{"customized metric", put("custom", types.PolicyTypeTargetTrackingScaling, &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(100),
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{
				MetricName: aws.String("QueueDepth"), Namespace: aws.String("App"), Statistic: types.MetricStatisticAverage,
				Dimensions: []types.MetricDimension{{Name: aws.String("Queue"), Value: aws.String("jobs")}},
			},
		}, nil), ""},
		{"customized metric without a statistic", put("x", types.PolicyTypeTargetTrackingScaling, &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(100), CustomizedMetricSpecification: &types.CustomizedMetricSpecification{MetricName: aws.String("m"), Namespace: aws.String("n")},
		}, nil), "ValidationException"},
		{"zero target", put("x", types.PolicyTypeTargetTrackingScaling, &types.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(0), PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization},
		}, nil), "ValidationException"},
		{"tracking body on a step policy", put("x", types.PolicyTypeStepScaling, tracking(types.MetricTypeECSServiceAverageCPUUtilization, ""), nil), "ValidationException"},
		{"no type on create", put("x", "", tracking(types.MetricTypeECSServiceAverageCPUUtilization, ""), nil), "ValidationException"},
		{"step", put("step", types.PolicyTypeStepScaling, nil, step), ""},
		{"overlapping steps", put("x", types.PolicyTypeStepScaling, nil, overlapping), "ValidationException"},
		{"request count", put("requests", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeALBRequestCountPerTarget, label), nil), ""},
		{"step to tracking", put("step", types.PolicyTypeTargetTrackingScaling, tracking(types.MetricTypeECSServiceAverageCPUUtilization, ""), nil), "ValidationException"},
		{"name with a colon", put("a:b", types.PolicyTypeStepScaling, nil, step), "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.aas.PutScalingPolicy(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	// A step policy has no alarms of AWS's making; an update keeps the ARN.
	first := must(f.aas.DescribeScalingPolicies(f.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, PolicyNames: []string{"requests"}}))(t).ScalingPolicies[0]
	again := must(f.aas.PutScalingPolicy(f.ctx, put("requests", "", tracking(types.MetricTypeALBRequestCountPerTarget, label), nil)))(t)
	if aws.ToString(again.PolicyARN) != aws.ToString(first.PolicyARN) || aws.ToString(again.Alarms[0].AlarmName) != aws.ToString(first.Alarms[0].AlarmName) {
		t.Errorf("update changed the policy's identity: %s %+v, was %s %+v", aws.ToString(again.PolicyARN), again.Alarms, aws.ToString(first.PolicyARN), first.Alarms)
	}
	stepPolicy := must(f.aas.DescribeScalingPolicies(f.ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: ns, PolicyNames: []string{"step"}}))(t).ScalingPolicies[0]
	if len(stepPolicy.Alarms) != 0 || stepPolicy.StepScalingPolicyConfiguration == nil || len(stepPolicy.StepScalingPolicyConfiguration.StepAdjustments) != 2 {
		t.Errorf("step policy = %+v", stepPolicy)
	}

	_, err := f.aas.DeleteScalingPolicy(f.ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step"), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension})
	localcloudtest.WantCode(t, err, "")
	_, err = f.aas.DeleteScalingPolicy(f.ctx, &aas.DeleteScalingPolicyInput{PolicyName: aws.String("step"), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension})
	localcloudtest.WantCode(t, err, "ObjectNotFoundException")

	_, err = f.aas.GetPredictiveScalingForecast(f.ctx, &aas.GetPredictiveScalingForecastInput{
		PolicyName: aws.String("requests"), ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension,
		StartTime: aws.Time(first.CreationTime.Add(0)), EndTime: aws.Time(first.CreationTime.Add(3600e9)),
	})
	localcloudtest.WantCode(t, err, "ValidationException")
}

func TestScheduledActions(t *testing.T) {
	f := start(t)
	resource := f.service(t, "api")
	must(f.aas.RegisterScalableTarget(f.ctx, register(resource, 1, 4)))(t)
	put := func(name, schedule, zone string) error {
		in := &aas.PutScheduledActionInput{
			ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, ScheduledActionName: aws.String(name),
			ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(6)},
		}
		if schedule != "" {
			in.Schedule = aws.String(schedule)
		}
		if zone != "" {
			in.Timezone = aws.String(zone)
		}
		_, err := f.aas.PutScheduledAction(f.ctx, in)
		return err
	}
	tests := []struct {
		name, schedule, zone, code string
	}{
		{"at", "at(2027-01-15T08:00:00)", "", ""},
		{"rate", "rate(5 minutes)", "", ""},
		{"rate of one", "rate(1 hour)", "", ""},
		{"cron", "cron(0 8 ? * MON-FRI *)", "Europe/Paris", ""},
		{"cron with steps and lists", "cron(0/15 8,12,18 1-15 JAN,JUL ? 2027)", "", ""},
		{"cron last weekday", "cron(0 9 LW * ? *)", "", ""},
		{"cron nth weekday", "cron(0 9 ? * 2#1 *)", "", ""},
		{"at without seconds", "at(2027-01-15T08:00)", "", "ValidationException"},
		{"at of a day that does not exist", "at(2027-02-30T08:00:00)", "", "ValidationException"},
		{"rate of zero", "rate(0 minutes)", "", "ValidationException"},
		{"rate in weeks", "rate(1 week)", "", "ValidationException"},
		{"cron with five fields", "cron(0 8 * * ?)", "", "ValidationException"},
		{"cron with both days", "cron(0 8 1 * MON *)", "", "ValidationException"},
		{"cron with neither day ?", "cron(0 8 * * * *)", "", "ValidationException"},
		{"cron hour 24", "cron(0 24 * * ? *)", "", "ValidationException"},
		{"cron month 13", "cron(0 8 1 13 ? *)", "", "ValidationException"},
		{"no schedule syntax", "every day", "", "ValidationException"},
		{"unknown time zone", "cron(0 8 ? * MON *)", "Mars/Olympus", "ValidationException"},
		{"no schedule on create", "", "", "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			localcloudtest.WantCode(t, put(strings.ReplaceAll(tt.name, " ", "-"), tt.schedule, tt.zone), tt.code)
		})
	}
	_, err := f.aas.PutScheduledAction(f.ctx, &aas.PutScheduledActionInput{
		ServiceNamespace: ns, ResourceId: aws.String("service/web/other"), ScalableDimension: dimension,
		ScheduledActionName: aws.String("x"), Schedule: aws.String("rate(5 minutes)"),
	})
	localcloudtest.WantCode(t, err, "ObjectNotFoundException")

	// An update keeps what it leaves out.
	localcloudtest.WantCode(t, put("cron", "", ""), "")
	actions := must(f.aas.DescribeScheduledActions(f.ctx, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns, ScheduledActionNames: []string{"cron"}}))(t).ScheduledActions
	if len(actions) != 1 || aws.ToString(actions[0].Schedule) != "cron(0 8 ? * MON-FRI *)" || aws.ToString(actions[0].Timezone) != "Europe/Paris" ||
		!strings.Contains(aws.ToString(actions[0].ScheduledActionARN), ":scheduledAction:") || aws.ToInt32(actions[0].ScalableTargetAction.MaxCapacity) != 6 {
		t.Errorf("cron action = %+v", actions)
	}

	var names []string
	for p := aas.NewDescribeScheduledActionsPaginator(f.aas, &aas.DescribeScheduledActionsInput{ServiceNamespace: ns, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		for _, a := range must(p.NextPage(f.ctx))(t).ScheduledActions {
			names = append(names, aws.ToString(a.ScheduledActionName))
		}
	}
	if len(names) != 7 {
		t.Errorf("paged actions = %v", names)
	}

	_, err = f.aas.DeleteScheduledAction(f.ctx, &aas.DeleteScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, ScheduledActionName: aws.String("at")})
	localcloudtest.WantCode(t, err, "")
	_, err = f.aas.DeleteScheduledAction(f.ctx, &aas.DeleteScheduledActionInput{ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, ScheduledActionName: aws.String("at")})
	localcloudtest.WantCode(t, err, "ObjectNotFoundException")
}

func TestActivitiesAndPaging(t *testing.T) {
	f := start(t)
	var resources []string
	for _, name := range []string{"a", "b", "c"} {
		resources = append(resources, f.service(t, name))
		must(f.aas.RegisterScalableTarget(f.ctx, register(resources[len(resources)-1], 1, 4)))(t)
	}
	var seen []string
	for p := aas.NewDescribeScalableTargetsPaginator(f.aas, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		for _, target := range must(p.NextPage(f.ctx))(t).ScalableTargets {
			seen = append(seen, aws.ToString(target.ResourceId))
		}
	}
	if strings.Join(seen, " ") != strings.Join(resources, " ") {
		t.Errorf("paged targets = %v", seen)
	}
	_, err := f.aas.DescribeScalableTargets(f.ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: ns, NextToken: aws.String("forged")})
	localcloudtest.WantCode(t, err, "InvalidNextTokenException")

	ctx := localcloudtest.InRegion(f.ctx, "us-east-1")
	backend := f.cloud.AppAutoScaling
	base := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i, count := range []string{"3", "4"} {
		must(backend.RecordActivity(ctx, applicationautoscaling.Activity{
			StartTime:        base.Add(time.Duration(i) * time.Minute),
			ServiceNamespace: "ecs", ResourceID: resources[0], ScalableDimension: "ecs:service:DesiredCount",
			Description: "Setting desired count to " + count + ".", Cause: "monitor alarm TargetTracking-" + resources[0] + "-AlarmHigh-x in state ALARM triggered policy cpu",
		}))(t)
	}
	must(backend.RecordActivity(ctx, applicationautoscaling.Activity{
		StartTime:        base.Add(2 * time.Minute),
		ServiceNamespace: "ecs", ResourceID: resources[0], ScalableDimension: "ecs:service:DesiredCount",
		Description: "Setting desired count to 5.", Cause: "maximum capacity reached", StatusCode: applicationautoscaling.ActivityFailed,
		NotScaledReasons: []applicationautoscaling.NotScaledReason{{Code: "AlreadyAtMaxCapacity", MaxCapacity: aws.Int(4), CurrentCapacity: aws.Int(4)}},
	}))(t)
	_, err = backend.RecordActivity(ctx, applicationautoscaling.Activity{ServiceNamespace: "ecs", ResourceID: "service/web/nope", ScalableDimension: "ecs:service:DesiredCount"})
	localcloudtest.WantCode(t, err, "ObjectNotFoundException")

	activities := must(f.aas.DescribeScalingActivities(f.ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: aws.String(resources[0])}))(t).ScalingActivities
	if len(activities) != 2 || aws.ToString(activities[0].Description) != "Setting desired count to 4." || activities[0].StatusCode != types.ScalingActivityStatusCodeSuccessful || activities[0].EndTime == nil {
		t.Errorf("activities = %+v", activities)
	}
	all := must(f.aas.DescribeScalingActivities(f.ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, IncludeNotScaledActivities: aws.Bool(true)}))(t).ScalingActivities
	if len(all) != 3 || len(all[0].NotScaledReasons) != 1 || aws.ToString(all[0].NotScaledReasons[0].Code) != "AlreadyAtMaxCapacity" {
		t.Errorf("with not-scaled activities = %+v", all)
	}
	if other := must(f.aas.DescribeScalingActivities(f.ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: aws.String(resources[1])}))(t).ScalingActivities; len(other) != 0 {
		t.Errorf("activities of another target = %+v", other)
	}
}

// An activity recorded InProgress is listed without an end until the
// controller finishes it; finishing it twice changes nothing.
func TestActivityInProgressUntilFinished(t *testing.T) {
	f := start(t)
	resource := f.service(t, "in-flight")
	must(f.aas.RegisterScalableTarget(f.ctx, register(resource, 1, 4)))(t)
	ctx := localcloudtest.InRegion(f.ctx, "us-east-1")
	backend := f.cloud.AppAutoScaling
	id := must(backend.RecordActivity(ctx, applicationautoscaling.Activity{
		ServiceNamespace: "ecs", ResourceID: resource, ScalableDimension: "ecs:service:DesiredCount",
		Description: "Setting desired count to 2.", Cause: "test", StatusCode: applicationautoscaling.ActivityInProgress,
	}))(t)
	describe := func() types.ScalingActivity {
		t.Helper()
		activities := must(f.aas.DescribeScalingActivities(f.ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: ns, ResourceId: aws.String(resource)}))(t).ScalingActivities
		if len(activities) != 1 {
			t.Fatalf("activities = %+v, want 1", activities)
		}
		return activities[0]
	}
	if a := describe(); a.StatusCode != types.ScalingActivityStatusCodeInProgress || a.EndTime != nil {
		t.Errorf("recorded activity = %s, end %v; want InProgress without an end", a.StatusCode, a.EndTime)
	}
	must(0, backend.FinishActivity(ctx, id, applicationautoscaling.ActivitySuccessful, "Successfully set desired count to 2."))(t)
	must(0, backend.FinishActivity(ctx, id, applicationautoscaling.ActivityFailed, "too late"))(t)
	if a := describe(); a.StatusCode != types.ScalingActivityStatusCodeSuccessful || a.EndTime == nil || aws.ToString(a.StatusMessage) != "Successfully set desired count to 2." {
		t.Errorf("finished activity = %s %q, end %v; want Successful with its message and an end", a.StatusCode, aws.ToString(a.StatusMessage), a.EndTime)
	}
	if err := backend.FinishActivity(ctx, id, applicationautoscaling.ActivityInProgress, ""); err == nil {
		t.Error("FinishActivity accepted InProgress as an outcome")
	}
}

func TestTags(t *testing.T) {
	f := start(t)
	arn := must(f.aas.RegisterScalableTarget(f.ctx, register(f.service(t, "api"), 1, 2)))(t).ScalableTargetARN
	tests := []struct {
		name string
		tags map[string]string
		code string
	}{
		{"add", map[string]string{"team": "web", "env": "dev"}, ""},
		{"reserved prefix", map[string]string{"aws:owner": "me"}, "ValidationException"},
		{"too many", func() map[string]string {
			m := map[string]string{}
			for i := range 50 {
				m[strings.Repeat("k", i+1)] = "v"
			}
			return m
		}(), "TooManyTagsException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.aas.TagResource(f.ctx, &aas.TagResourceInput{ResourceARN: arn, Tags: tt.tags})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	must(f.aas.UntagResource(f.ctx, &aas.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"env", "absent"}}))(t)
	tags := must(f.aas.ListTagsForResource(f.ctx, &aas.ListTagsForResourceInput{ResourceARN: arn}))(t).Tags
	if len(tags) != 1 || tags["team"] != "web" {
		t.Errorf("tags = %v", tags)
	}
	_, err := f.aas.ListTagsForResource(f.ctx, &aas.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0000")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
}

// TestAWSCLI walks the write-up's setup through the AWS CLI, whose botocore
// parser is stricter than the Go SDK: every response shape is read by it
// once (the CLI starts slowly, so writes it need not parse go through the
// SDK).
func TestAWSCLI(t *testing.T) {
	f := start(t)
	resource := f.service(t, "api")
	label, _, _ := f.loadBalancer(t)
	endpoint := f.cloud.Endpoint

	var reg struct{ ScalableTargetARN string }
	awsCLI(t, endpoint, &reg, "application-autoscaling", "register-scalable-target", "--service-namespace", "ecs",
		"--resource-id", resource, "--scalable-dimension", "ecs:service:DesiredCount", "--min-capacity", "2", "--max-capacity", "6")
	if !strings.Contains(reg.ScalableTargetARN, ":scalable-target/") {
		t.Errorf("register-scalable-target = %+v", reg)
	}
	var put struct {
		PolicyARN string
		Alarms    []struct{ AlarmName, AlarmARN string }
	}
	awsCLI(t, endpoint, &put, "application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs",
		"--resource-id", resource, "--scalable-dimension", "ecs:service:DesiredCount", "--policy-name", "requests",
		"--policy-type", "TargetTrackingScaling", "--target-tracking-scaling-policy-configuration",
		`{"TargetValue":500,"PredefinedMetricSpecification":{"PredefinedMetricType":"ALBRequestCountPerTarget","ResourceLabel":"`+label+`"},"ScaleOutCooldown":60}`)
	if put.PolicyARN == "" || len(put.Alarms) != 2 {
		t.Errorf("put-scaling-policy = %+v", put)
	}
	must(f.aas.PutScheduledAction(f.ctx, &aas.PutScheduledActionInput{
		ServiceNamespace: ns, ResourceId: aws.String(resource), ScalableDimension: dimension, ScheduledActionName: aws.String("morning"),
		Schedule: aws.String("cron(0 7 ? * MON-FRI *)"), ScalableTargetAction: &types.ScalableTargetAction{MinCapacity: aws.Int32(3), MaxCapacity: aws.Int32(6)},
	}))(t)
	must(f.aas.TagResource(f.ctx, &aas.TagResourceInput{ResourceARN: aws.String(reg.ScalableTargetARN), Tags: map[string]string{"team": "web"}}))(t)

	var targets struct {
		ScalableTargets []struct {
			ResourceID     string `json:"ResourceId"`
			MinCapacity    int
			MaxCapacity    int
			RoleARN        string
			CreationTime   float64
			SuspendedState struct{ DynamicScalingInSuspended bool }
		}
	}
	awsCLI(t, endpoint, &targets, "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs", "--resource-ids", resource)
	if len(targets.ScalableTargets) != 1 || targets.ScalableTargets[0].MinCapacity != 2 || targets.ScalableTargets[0].RoleARN != ecsRole {
		t.Errorf("describe-scalable-targets = %+v", targets)
	}
	var policies struct {
		ScalingPolicies []struct {
			PolicyName                               string
			PolicyType                               string
			TargetTrackingScalingPolicyConfiguration struct {
				TargetValue                   float64
				PredefinedMetricSpecification struct{ ResourceLabel string }
			}
		}
	}
	awsCLI(t, endpoint, &policies, "application-autoscaling", "describe-scaling-policies", "--service-namespace", "ecs")
	if len(policies.ScalingPolicies) != 1 || policies.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.ResourceLabel != label {
		t.Errorf("describe-scaling-policies = %+v", policies)
	}
	var scheduled struct {
		ScheduledActions []struct {
			ScheduledActionName  string
			Schedule             string
			ScalableTargetAction struct{ MinCapacity int }
		}
	}
	awsCLI(t, endpoint, &scheduled, "application-autoscaling", "describe-scheduled-actions", "--service-namespace", "ecs")
	if len(scheduled.ScheduledActions) != 1 || scheduled.ScheduledActions[0].ScalableTargetAction.MinCapacity != 3 {
		t.Errorf("describe-scheduled-actions = %+v", scheduled)
	}
	var activities struct{ ScalingActivities []any }
	awsCLI(t, endpoint, &activities, "application-autoscaling", "describe-scaling-activities", "--service-namespace", "ecs")
	if activities.ScalingActivities == nil {
		t.Errorf("describe-scaling-activities printed no list")
	}
	var tags struct{ Tags map[string]string }
	awsCLI(t, endpoint, &tags, "application-autoscaling", "list-tags-for-resource", "--resource-arn", reg.ScalableTargetARN)
	if tags.Tags["team"] != "web" {
		t.Errorf("list-tags-for-resource = %+v", tags)
	}
}
