package autoscaling_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	asg "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
)

func createInput(name string) *asg.CreateAutoScalingGroupInput {
	return &asg.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name),
		LaunchTemplate:       &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("ecs"), Version: aws.String("$Latest")},
		MinSize:              aws.Int32(1), MaxSize: aws.Int32(4),
		VPCZoneIdentifier: aws.String("subnet-a,subnet-b"),
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("ecs-node"), PropagateAtLaunch: aws.Bool(true)},
			{Key: aws.String("AmazonECSManaged"), Value: aws.String(""), PropagateAtLaunch: aws.Bool(true)}},
		NewInstancesProtectedFromScaleIn: aws.Bool(true),
		HealthCheckGracePeriod:           aws.Int32(60),
	}
}

func describeGroup(t *testing.T, f *fixture, name string) *types.AutoScalingGroup {
	t.Helper()
	out, err := f.client.DescribeAutoScalingGroups(ctx, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	localcloudtest.WantCode(t, err, "")
	if len(out.AutoScalingGroups) == 0 {
		return nil
	}
	return &out.AutoScalingGroups[0]
}

func TestGroupLifecycle(t *testing.T) {
	f := start(t)
	_, err := f.client.CreateAutoScalingGroup(ctx, createInput("web"))
	localcloudtest.WantCode(t, err, "")
	g := describeGroup(t, f, "web")
	if !regexp.MustCompile(`^arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName/web$`).MatchString(*g.AutoScalingGroupARN) {
		t.Errorf("ARN %s", *g.AutoScalingGroupARN)
	}
	if *g.DesiredCapacity != 1 || *g.MinSize != 1 || *g.MaxSize != 4 || *g.DefaultCooldown != 300 || *g.HealthCheckType != "EC2" ||
		*g.HealthCheckGracePeriod != 60 || *g.VPCZoneIdentifier != "subnet-a,subnet-b" || len(g.AvailabilityZones) != 2 ||
		!*g.NewInstancesProtectedFromScaleIn || *g.LaunchTemplate.LaunchTemplateName != "ecs" || *g.LaunchTemplate.Version != "$Latest" ||
		len(g.Tags) != 2 || !*g.Tags[0].PropagateAtLaunch || *g.Tags[0].ResourceId != "web" || g.Status != nil {
		t.Errorf("group %+v", g)
	}

	errors := []struct {
		name   string
		mutate func(in *asg.CreateAutoScalingGroupInput)
		code   string
	}{
		{"exists", func(in *asg.CreateAutoScalingGroupInput) {}, "AlreadyExists"},
		{"min above max", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.MinSize = aws.Int32(5)
		}, "ValidationError"},
		{"desired above max", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.DesiredCapacity = aws.Int32(5)
		}, "ValidationError"},
		{"desired below min", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.DesiredCapacity = aws.Int32(0)
		}, "ValidationError"},
		{"no launch template", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.LaunchTemplate = nil
		}, "ValidationError"},
		{"template id and name", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.LaunchTemplate.LaunchTemplateId = aws.String("lt-1")
		}, "ValidationError"},
		{"no subnets", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.VPCZoneIdentifier = nil
		}, "ValidationError"},
		{"bad health check type", func(in *asg.CreateAutoScalingGroupInput) {
			in.AutoScalingGroupName = aws.String("x")
			in.HealthCheckType = aws.String("HTTP")
		}, "ValidationError"},
	}
	for _, tt := range errors {
		t.Run(tt.name, func(t *testing.T) {
			in := createInput("web")
			tt.mutate(in)
			_, err := f.client.CreateAutoScalingGroup(ctx, in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	// A mixed instances policy's template is the group's template.
	mixed := createInput("mixed")
	mixed.LaunchTemplate = nil
	mixed.MixedInstancesPolicy = &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{
		LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-0abc")},
		Overrides:                   []types.LaunchTemplateOverrides{{InstanceType: aws.String("t3.medium")}}}}
	_, err = f.client.CreateAutoScalingGroup(ctx, mixed)
	localcloudtest.WantCode(t, err, "")
	group, err := f.backend.Group(ctx, "mixed")
	localcloudtest.WantCode(t, err, "")
	if group.LaunchTemplate != (autoscaling.LaunchTemplate{ID: "lt-0abc", Version: "$Default"}) {
		t.Errorf("mixed template %+v", group.LaunchTemplate)
	}
	if m := describeGroup(t, f, "mixed").MixedInstancesPolicy; m == nil || *m.LaunchTemplate.Overrides[0].InstanceType != "t3.medium" {
		t.Errorf("mixed instances policy %+v", m)
	}

	// Updates: a minimum above the desired capacity carries it along.
	_, err = f.client.UpdateAutoScalingGroup(ctx, &asg.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(2)})
	localcloudtest.WantCode(t, err, "")
	if g := describeGroup(t, f, "web"); *g.DesiredCapacity != 2 {
		t.Errorf("desired after raising min: %d", *g.DesiredCapacity)
	}
	_, err = f.client.UpdateAutoScalingGroup(ctx, &asg.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MaxSize: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "ValidationError")
	_, err = f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(3)})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(5)})
	localcloudtest.WantCode(t, err, "ValidationError")
	localcloudtest.WantCode(t, f.backend.SetDesiredCapacity(ctx, "web", 1), "ValidationError")

	for _, call := range []func() error{
		func() error {
			_, err := f.client.UpdateAutoScalingGroup(ctx, &asg.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("nope"), MinSize: aws.Int32(0)})
			return err
		},
		func() error {
			_, err := f.client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("nope")})
			return err
		},
		func() error {
			_, err := f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("nope"), DesiredCapacity: aws.Int32(1)})
			return err
		},
	} {
		localcloudtest.WantCode(t, call(), "ValidationError")
	}
	if g := describeGroup(t, f, "nope"); g != nil {
		t.Errorf("unknown group described: %+v", g)
	}

	_, err = f.client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("mixed")})
	localcloudtest.WantCode(t, err, "")
	if g := describeGroup(t, f, "mixed"); g != nil {
		t.Errorf("deleted group still described")
	}
}

func addInstances(t *testing.T, f *fixture, group string, ids ...string) {
	t.Helper()
	err := f.backend.UpdateGroup(ctx, group, func(g *autoscaling.Group) error {
		for i, id := range ids {
			g.Instances = append(g.Instances, autoscaling.GroupInstance{InstanceID: id, AvailabilityZone: g.AvailabilityZones[i%2],
				SubnetID: g.SubnetIDs[i%2], InstanceType: "t3.medium", LifecycleState: autoscaling.StateInService, HealthStatus: "Healthy",
				ProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn})
		}
		return nil
	})
	localcloudtest.WantCode(t, err, "")
}

func TestInstancesAndDeletion(t *testing.T) {
	f := start(t)
	in := createInput("web")
	in.DesiredCapacity = aws.Int32(2)
	_, err := f.client.CreateAutoScalingGroup(ctx, in)
	localcloudtest.WantCode(t, err, "")
	addInstances(t, f, "web", "i-0000000000000000a", "i-0000000000000000b")

	instances, err := f.client.DescribeAutoScalingInstances(ctx, &asg.DescribeAutoScalingInstancesInput{InstanceIds: []string{"i-0000000000000000a"}})
	localcloudtest.WantCode(t, err, "")
	if len(instances.AutoScalingInstances) != 1 || *instances.AutoScalingInstances[0].HealthStatus != "HEALTHY" ||
		*instances.AutoScalingInstances[0].AutoScalingGroupName != "web" || !*instances.AutoScalingInstances[0].ProtectedFromScaleIn {
		t.Errorf("instances %+v", instances.AutoScalingInstances)
	}

	_, err = f.client.SetInstanceProtection(ctx, &asg.SetInstanceProtectionInput{AutoScalingGroupName: aws.String("web"),
		InstanceIds: []string{"i-0000000000000000a"}, ProtectedFromScaleIn: aws.Bool(false)})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.SetInstanceProtection(ctx, &asg.SetInstanceProtectionInput{AutoScalingGroupName: aws.String("web"),
		InstanceIds: []string{"i-0000000000000000z"}, ProtectedFromScaleIn: aws.Bool(false)})
	localcloudtest.WantCode(t, err, "ValidationError")

	_, err = f.client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "ResourceInUse")

	term, err := f.client.TerminateInstanceInAutoScalingGroup(ctx, &asg.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String("i-0000000000000000a"), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	if term.Activity.StatusCode != types.ScalingActivityStatusCodeSuccessful || !strings.Contains(*term.Activity.Description, "i-0000000000000000a") {
		t.Errorf("activity %+v", term.Activity)
	}
	g := describeGroup(t, f, "web")
	if *g.DesiredCapacity != 1 || g.Instances[0].LifecycleState != types.LifecycleStateTerminating {
		t.Errorf("after terminate: desired %d, %+v", *g.DesiredCapacity, g.Instances)
	}
	_, err = f.client.TerminateInstanceInAutoScalingGroup(ctx, &asg.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String("i-0000000000000000b"), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "ValidationError") // would go below the minimum
	_, err = f.client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "ScalingActivityInProgress")

	localcloudtest.WantCode(t, f.backend.AddActivity(ctx, "web", "Launching a new EC2 instance: i-0000000000000000b", "an instance was started"), "")
	activities, err := f.client.DescribeScalingActivities(ctx, &asg.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(activities.Activities) != 2 {
		t.Errorf("activities %+v", activities.Activities)
	}

	// Force delete: the group empties, then disappears once the controller
	// has terminated its instances.
	_, err = f.client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	g = describeGroup(t, f, "web")
	if g == nil || g.Status == nil || *g.Status != "Delete in progress" || *g.DesiredCapacity != 0 {
		t.Fatalf("force-deleted group %+v", g)
	}
	_, err = f.client.SetDesiredCapacity(ctx, &asg.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(0)})
	localcloudtest.WantCode(t, err, "ScalingActivityInProgress")
	localcloudtest.WantCode(t, f.backend.FinishDelete(ctx, "web"), "ResourceInUse")
	localcloudtest.WantCode(t, f.backend.UpdateGroup(ctx, "web", func(g *autoscaling.Group) error { g.Instances = nil; return nil }), "")
	localcloudtest.WantCode(t, f.backend.FinishDelete(ctx, "web"), "")
	if g := describeGroup(t, f, "web"); g != nil {
		t.Errorf("group left after FinishDelete: %+v", g)
	}
}

func TestTagsFiltersAndPagination(t *testing.T) {
	f := start(t)
	for _, name := range []string{"a", "b", "c"} {
		_, err := f.client.CreateAutoScalingGroup(ctx, createInput(name))
		localcloudtest.WantCode(t, err, "")
	}
	_, err := f.client.CreateOrUpdateTags(ctx, &asg.CreateOrUpdateTagsInput{Tags: []types.Tag{
		{ResourceId: aws.String("b"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("env"), Value: aws.String("prod"), PropagateAtLaunch: aws.Bool(false)},
		{ResourceId: aws.String("c"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("env"), Value: aws.String("dev")},
	}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.CreateOrUpdateTags(ctx, &asg.CreateOrUpdateTagsInput{Tags: []types.Tag{
		{ResourceId: aws.String("zzz"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("env"), Value: aws.String("x")}}})
	localcloudtest.WantCode(t, err, "ValidationError")

	byTag, err := f.client.DescribeAutoScalingGroups(ctx, &asg.DescribeAutoScalingGroupsInput{Filters: []types.Filter{{Name: aws.String("tag:env"), Values: []string{"prod"}}}})
	localcloudtest.WantCode(t, err, "")
	if len(byTag.AutoScalingGroups) != 1 || *byTag.AutoScalingGroups[0].AutoScalingGroupName != "b" {
		t.Errorf("tag:env=prod: %d groups", len(byTag.AutoScalingGroups))
	}
	byKey, err := f.client.DescribeAutoScalingGroups(ctx, &asg.DescribeAutoScalingGroupsInput{Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"env"}}}})
	localcloudtest.WantCode(t, err, "")
	if len(byKey.AutoScalingGroups) != 2 {
		t.Errorf("tag-key=env: %d groups", len(byKey.AutoScalingGroups))
	}

	var names []string
	pager := asg.NewDescribeAutoScalingGroupsPaginator(f.client, &asg.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(2)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		localcloudtest.WantCode(t, err, "")
		for _, g := range page.AutoScalingGroups {
			names = append(names, *g.AutoScalingGroupName)
		}
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("paginated %v", names)
	}
	_, err = f.client.DescribeAutoScalingGroups(ctx, &asg.DescribeAutoScalingGroupsInput{NextToken: aws.String("garbage!")})
	localcloudtest.WantCode(t, err, "InvalidNextToken")

	tags, err := f.client.DescribeTags(ctx, &asg.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("key"), Values: []string{"env"}}}})
	localcloudtest.WantCode(t, err, "")
	if len(tags.Tags) != 2 || *tags.Tags[0].ResourceType != "auto-scaling-group" {
		t.Errorf("tags %+v", tags.Tags)
	}
	_, err = f.client.DeleteTags(ctx, &asg.DeleteTagsInput{Tags: []types.Tag{{ResourceId: aws.String("b"), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("env")}}})
	localcloudtest.WantCode(t, err, "")
	tags, err = f.client.DescribeTags(ctx, &asg.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("auto-scaling-group"), Values: []string{"b"}}}})
	localcloudtest.WantCode(t, err, "")
	if len(tags.Tags) != 2 { // the two from createInput remain
		t.Errorf("tags of b after delete %+v", tags.Tags)
	}

	hooks, err := f.client.DescribeLifecycleHooks(ctx, &asg.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String("a")})
	localcloudtest.WantCode(t, err, "")
	if hooks.LifecycleHooks == nil || len(hooks.LifecycleHooks) != 0 {
		t.Errorf("lifecycle hooks %+v", hooks.LifecycleHooks)
	}
	_, err = f.client.DescribeWarmPool(ctx, &asg.DescribeWarmPoolInput{AutoScalingGroupName: aws.String("a")})
	localcloudtest.WantCode(t, err, "")

	tgARN := "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"
	_, err = f.client.UpdateAutoScalingGroup(ctx, &asg.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("a")})
	localcloudtest.WantCode(t, err, "")
	withTG := createInput("d")
	withTG.TargetGroupARNs = []string{tgARN}
	_, err = f.client.CreateAutoScalingGroup(ctx, withTG)
	localcloudtest.WantCode(t, err, "")
	sources, err := f.client.DescribeTrafficSources(ctx, &asg.DescribeTrafficSourcesInput{AutoScalingGroupName: aws.String("d")})
	localcloudtest.WantCode(t, err, "")
	if len(sources.TrafficSources) != 1 || *sources.TrafficSources[0].Identifier != tgARN || *sources.TrafficSources[0].Type != "elbv2" {
		t.Errorf("traffic sources %+v", sources.TrafficSources)
	}
	attached, err := f.client.DescribeLoadBalancerTargetGroups(ctx, &asg.DescribeLoadBalancerTargetGroupsInput{AutoScalingGroupName: aws.String("d")})
	localcloudtest.WantCode(t, err, "")
	if len(attached.LoadBalancerTargetGroups) != 1 || *attached.LoadBalancerTargetGroups[0].LoadBalancerTargetGroupARN != tgARN {
		t.Errorf("target groups %+v", attached.LoadBalancerTargetGroups)
	}
	_, err = f.client.DescribeTrafficSources(ctx, &asg.DescribeTrafficSourcesInput{AutoScalingGroupName: aws.String("nope")})
	localcloudtest.WantCode(t, err, "ValidationError")
}

func TestScalingPolicies(t *testing.T) {
	f := start(t)
	_, err := f.client.CreateAutoScalingGroup(ctx, createInput("web"))
	localcloudtest.WantCode(t, err, "")
	// The policy ECS puts for managed scaling.
	put, err := f.client.PutScalingPolicy(ctx, &asg.PutScalingPolicyInput{
		AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("ECSManagedAutoScalingPolicy-1"),
		PolicyType: aws.String("TargetTrackingScaling"),
		TargetTrackingConfiguration: &types.TargetTrackingConfiguration{TargetValue: aws.Float64(100), DisableScaleIn: aws.Bool(false),
			CustomizedMetricSpecification: &types.CustomizedMetricSpecification{MetricName: aws.String("CapacityProviderReservation"),
				Namespace: aws.String("AWS/ECS/ManagedScaling"), Statistic: types.MetricStatisticAverage,
				Dimensions: []types.MetricDimension{{Name: aws.String("ClusterName"), Value: aws.String("web")}}}},
	})
	localcloudtest.WantCode(t, err, "")
	if !strings.Contains(*put.PolicyARN, ":scalingPolicy:") || len(put.Alarms) != 2 {
		t.Errorf("put %+v", put)
	}
	_, err = f.client.PutScalingPolicy(ctx, &asg.PutScalingPolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("step"),
		PolicyType: aws.String("StepScaling"), AdjustmentType: aws.String("ChangeInCapacity"),
		StepAdjustments: []types.StepAdjustment{{MetricIntervalLowerBound: aws.Float64(0), ScalingAdjustment: aws.Int32(1)}}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.PutScalingPolicy(ctx, &asg.PutScalingPolicyInput{AutoScalingGroupName: aws.String("nope"), PolicyName: aws.String("p"),
		AdjustmentType: aws.String("ChangeInCapacity"), ScalingAdjustment: aws.Int32(1)})
	localcloudtest.WantCode(t, err, "ValidationError")

	policies, err := f.client.DescribePolicies(ctx, &asg.DescribePoliciesInput{AutoScalingGroupName: aws.String("web"), PolicyTypes: []string{"TargetTrackingScaling"}})
	localcloudtest.WantCode(t, err, "")
	if len(policies.ScalingPolicies) != 1 {
		t.Fatalf("policies %+v", policies.ScalingPolicies)
	}
	p := policies.ScalingPolicies[0]
	if *p.PolicyName != "ECSManagedAutoScalingPolicy-1" || *p.TargetTrackingConfiguration.TargetValue != 100 ||
		*p.TargetTrackingConfiguration.CustomizedMetricSpecification.Dimensions[0].Value != "web" || !*p.Enabled {
		t.Errorf("policy %+v", p)
	}
	_, err = f.client.DeletePolicy(ctx, &asg.DeletePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: p.PolicyARN})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeletePolicy(ctx, &asg.DeletePolicyInput{AutoScalingGroupName: aws.String("web"), PolicyName: aws.String("ECSManagedAutoScalingPolicy-1")})
	localcloudtest.WantCode(t, err, "ValidationError")
	left, err := f.client.DescribePolicies(ctx, &asg.DescribePoliciesInput{AutoScalingGroupName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if len(left.ScalingPolicies) != 1 || *left.ScalingPolicies[0].PolicyName != "step" || *left.ScalingPolicies[0].StepAdjustments[0].ScalingAdjustment != 1 {
		t.Errorf("policies left %+v", left.ScalingPolicies)
	}
}

func TestAWSCLI(t *testing.T) {
	f := start(t)
	_, err := f.client.CreateAutoScalingGroup(ctx, createInput("web"))
	localcloudtest.WantCode(t, err, "")
	addInstances(t, f, "web", "i-0000000000000000a")

	out, err := localcloudtest.AWSCLI(t, f.endpoint, "us-east-1", "autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "web")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AutoScalingGroups []struct {
			AutoScalingGroupName string
			DesiredCapacity      int
			VPCZoneIdentifier    string
			LaunchTemplate       struct{ LaunchTemplateName, Version string }
			Instances            []struct{ InstanceId, LifecycleState, HealthStatus string }
			Tags                 []struct {
				Key               string
				PropagateAtLaunch bool
			}
			CreatedTime string
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	g := doc.AutoScalingGroups[0]
	if g.AutoScalingGroupName != "web" || g.DesiredCapacity != 1 || g.VPCZoneIdentifier != "subnet-a,subnet-b" ||
		g.LaunchTemplate.LaunchTemplateName != "ecs" || len(g.Instances) != 1 || g.Instances[0].LifecycleState != "InService" ||
		len(g.Tags) != 2 || !g.Tags[0].PropagateAtLaunch || g.CreatedTime == "" {
		t.Errorf("describe-auto-scaling-groups: %s", out)
	}
}
