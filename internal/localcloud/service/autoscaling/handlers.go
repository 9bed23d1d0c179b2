package autoscaling

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
)

// list is items as a response list that is written even when empty
// (<Name/>), as Auto Scaling answers "none".
func list[T any](items []T) query.List[T] {
	return append(query.List[T]{}, items...)
}

// listOf converts items to a response list written even when empty.
func listOf[T, W any](items []T, conv func(T) W) query.List[W] {
	out := make(query.List[W], 0, len(items))
	for _, item := range items {
		out = append(out, conv(item))
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func xmlTime(t time.Time) *protocol.XMLTime {
	x := protocol.XMLTime(t)
	return &x
}

func filtersFrom(in []wire.Filter) []Filter {
	out := make([]Filter, len(in))
	for i, f := range in {
		out[i] = Filter{Name: f.Name, Values: f.Values}
	}
	return out
}

func tagsFrom(in []wire.Tag) []Tag {
	var out []Tag
	for _, t := range in {
		out = append(out, Tag{Key: t.Key, Value: t.Value, PropagateAtLaunch: isTrue(t.PropagateAtLaunch)})
	}
	return out
}

// vpcZoneIdentifier is the subnets a request names; "" leaves them as
// they are.
func vpcZoneIdentifier(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ---- groups ----

func (b *Backend) handleCreateAutoScalingGroup(ctx context.Context, in *wire.CreateAutoScalingGroupType) (*struct{}, error) {
	_, err := b.CreateGroup(ctx, GroupRequest{
		Name: in.AutoScalingGroupName, LaunchTemplate: in.LaunchTemplate, MixedInstancesPolicy: in.MixedInstancesPolicy,
		LaunchConfigurationName: in.LaunchConfigurationName, InstanceID: in.InstanceId,
		MinSize: in.MinSize, MaxSize: in.MaxSize, DesiredCapacity: in.DesiredCapacity, DefaultCooldown: in.DefaultCooldown,
		AvailabilityZones: in.AvailabilityZones, VPCZoneIdentifier: vpcZoneIdentifier(in.VPCZoneIdentifier), TargetGroupARNs: in.TargetGroupARNs,
		LoadBalancerNames: in.LoadBalancerNames, HealthCheckType: in.HealthCheckType, HealthCheckGracePeriod: in.HealthCheckGracePeriod,
		TerminationPolicies: in.TerminationPolicies, NewInstancesProtectedFromScaleIn: in.NewInstancesProtectedFromScaleIn,
		CapacityRebalance: in.CapacityRebalance, MaxInstanceLifetime: in.MaxInstanceLifetime, DefaultInstanceWarmup: in.DefaultInstanceWarmup,
		DesiredCapacityType: in.DesiredCapacityType, Context: in.Context, ServiceLinkedRoleARN: in.ServiceLinkedRoleARN,
		Tags: tagsFrom(in.Tags),
	})
	return nil, err
}

func (b *Backend) handleUpdateAutoScalingGroup(ctx context.Context, in *wire.UpdateAutoScalingGroupType) (*struct{}, error) {
	return nil, b.UpdateAutoScalingGroup(ctx, GroupRequest{
		Name: in.AutoScalingGroupName, LaunchTemplate: in.LaunchTemplate, MixedInstancesPolicy: in.MixedInstancesPolicy,
		LaunchConfigurationName: in.LaunchConfigurationName,
		MinSize:                 in.MinSize, MaxSize: in.MaxSize, DesiredCapacity: in.DesiredCapacity, DefaultCooldown: in.DefaultCooldown,
		AvailabilityZones: in.AvailabilityZones, VPCZoneIdentifier: vpcZoneIdentifier(in.VPCZoneIdentifier),
		HealthCheckType: in.HealthCheckType, HealthCheckGracePeriod: in.HealthCheckGracePeriod,
		TerminationPolicies: in.TerminationPolicies, NewInstancesProtectedFromScaleIn: in.NewInstancesProtectedFromScaleIn,
		CapacityRebalance: in.CapacityRebalance, MaxInstanceLifetime: in.MaxInstanceLifetime, DefaultInstanceWarmup: in.DefaultInstanceWarmup,
		DesiredCapacityType: in.DesiredCapacityType, Context: in.Context, ServiceLinkedRoleARN: in.ServiceLinkedRoleARN,
	})
}

func (b *Backend) handleDeleteAutoScalingGroup(ctx context.Context, in *wire.DeleteAutoScalingGroupType) (*struct{}, error) {
	return nil, b.DeleteGroup(ctx, in.AutoScalingGroupName, isTrue(in.ForceDelete))
}

func (b *Backend) handleSetDesiredCapacity(ctx context.Context, in *wire.SetDesiredCapacityType) (*struct{}, error) {
	if err := required("desiredCapacity", in.DesiredCapacity != nil); err != nil {
		return nil, err
	}
	return nil, b.SetDesiredCapacityHonoring(ctx, in.AutoScalingGroupName, *in.DesiredCapacity, isTrue(in.HonorCooldown))
}

func templateOut(lt LaunchTemplate) *wire.LaunchTemplateSpecification {
	if lt == (LaunchTemplate{}) {
		return nil // launched from a launch configuration
	}
	return &wire.LaunchTemplateSpecification{LaunchTemplateId: lt.ID, LaunchTemplateName: lt.Name, Version: lt.Version}
}

func instanceOut(inst GroupInstance, lt LaunchTemplate) wire.Instance {
	health := inst.HealthStatus
	if health == "" {
		health = "Healthy"
	}
	state := inst.LifecycleState
	if state == "" {
		state = StatePending
	}
	return wire.Instance{InstanceId: inst.InstanceID, InstanceType: inst.InstanceType, AvailabilityZone: inst.AvailabilityZone,
		LifecycleState: state, HealthStatus: health, LaunchTemplate: templateOut(lt), ProtectedFromScaleIn: ptr(inst.ProtectedFromScaleIn)}
}

func tagOut(group string, t Tag) wire.TagDescription {
	return wire.TagDescription{ResourceId: group, ResourceType: "auto-scaling-group", Key: t.Key, Value: t.Value, PropagateAtLaunch: ptr(t.PropagateAtLaunch)}
}

func groupOut(g *Group) wire.AutoScalingGroup {
	out := wire.AutoScalingGroup{
		AutoScalingGroupName: g.Name, AutoScalingGroupARN: g.ARN, MixedInstancesPolicy: g.MixedInstancesPolicy,
		MinSize: ptr(g.MinSize), MaxSize: ptr(g.MaxSize), DesiredCapacity: ptr(g.DesiredCapacity), DefaultCooldown: ptr(g.DefaultCooldown),
		AvailabilityZones: list(g.AvailabilityZones), LoadBalancerNames: list(g.LoadBalancerNames),
		TargetGroupARNs: list(g.TargetGroupARNs), HealthCheckType: g.HealthCheckType,
		HealthCheckGracePeriod: ptr(g.HealthCheckGracePeriod), CreatedTime: xmlTime(g.CreatedTime),
		Instances:          listOf(g.Instances, func(inst GroupInstance) wire.Instance { return instanceOut(inst, g.LaunchTemplate) }),
		SuspendedProcesses: list(g.SuspendedProcesses), VPCZoneIdentifier: strings.Join(g.SubnetIDs, ","), EnabledMetrics: query.List[wire.EnabledMetric]{},
		Tags:                             query.List[wire.TagDescription]{},
		TerminationPolicies:              list(g.TerminationPolicies),
		NewInstancesProtectedFromScaleIn: ptr(g.NewInstancesProtectedFromScaleIn), ServiceLinkedRoleARN: g.ServiceLinkedRoleARN,
		MaxInstanceLifetime: g.MaxInstanceLifetime, CapacityRebalance: ptr(g.CapacityRebalance), Context: g.Context,
		DesiredCapacityType: g.DesiredCapacityType, DefaultInstanceWarmup: g.DefaultInstanceWarmup,
		TrafficSources: listOf(g.TargetGroupARNs, func(arn string) wire.TrafficSourceIdentifier {
			return wire.TrafficSourceIdentifier{Identifier: arn, Type: "elbv2"}
		}),
	}
	switch {
	case g.LaunchConfigurationName != "":
		out.LaunchConfigurationName = g.LaunchConfigurationName
	case g.MixedInstancesPolicy == nil:
		out.LaunchTemplate = templateOut(g.LaunchTemplate)
	}
	if g.Deleting {
		out.Status = statusDeleting
	}
	for _, t := range g.Tags {
		out.Tags = append(out.Tags, tagOut(g.Name, t))
	}
	return out
}

func (b *Backend) handleDescribeAutoScalingGroups(ctx context.Context, in *wire.AutoScalingGroupNamesType) (*wire.AutoScalingGroupsType, error) {
	groups, err := b.Groups(ctx)
	if err != nil {
		return nil, err
	}
	var matched []*Group
	for _, g := range groups {
		if len(in.AutoScalingGroupNames) > 0 && !slices.Contains(in.AutoScalingGroupNames, g.Name) {
			continue
		}
		ok, err := groupMatches(g, filtersFrom(in.Filters))
		if err != nil {
			return nil, err
		}
		if ok {
			matched = append(matched, g)
		}
	}
	page, next, err := paginate(matched, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &wire.AutoScalingGroupsType{AutoScalingGroups: query.List[wire.AutoScalingGroup]{}, NextToken: next}
	for _, g := range page {
		x := groupOut(g)
		if in.IncludeInstances != nil && !*in.IncludeInstances {
			x.Instances = query.List[wire.Instance]{}
		}
		out.AutoScalingGroups = append(out.AutoScalingGroups, x)
	}
	return out, nil
}

func (b *Backend) handleDescribeAutoScalingInstances(ctx context.Context, in *wire.DescribeAutoScalingInstancesType) (*wire.AutoScalingInstancesType, error) {
	details, err := b.Instances(ctx, in.InstanceIds)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(details, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &wire.AutoScalingInstancesType{AutoScalingInstances: query.List[wire.AutoScalingInstanceDetails]{}, NextToken: next}
	for _, d := range page {
		x := instanceOut(d.Instance, d.Template)
		out.AutoScalingInstances = append(out.AutoScalingInstances, wire.AutoScalingInstanceDetails{
			InstanceId: x.InstanceId, AutoScalingGroupName: d.GroupName, InstanceType: x.InstanceType, AvailabilityZone: x.AvailabilityZone,
			LifecycleState: x.LifecycleState, LaunchTemplate: x.LaunchTemplate, ProtectedFromScaleIn: x.ProtectedFromScaleIn,
			// This call reports health in capitals, unlike DescribeAutoScalingGroups.
			HealthStatus: strings.ToUpper(x.HealthStatus),
		})
	}
	return out, nil
}

func activityOut(a *Activity) wire.Activity {
	return wire.Activity{ActivityId: a.ID, AutoScalingGroupName: a.GroupName, AutoScalingGroupARN: a.GroupARN, Description: a.Description,
		Cause: a.Cause, StartTime: xmlTime(a.StartTime), EndTime: xmlTime(a.EndTime), StatusCode: a.StatusCode,
		Progress: ptr(100), Details: "{}"}
}

func (b *Backend) handleTerminateInstance(ctx context.Context, in *wire.TerminateInstanceInAutoScalingGroupType) (*wire.ActivityType, error) {
	if err := required("instanceId", in.InstanceId != ""); err != nil {
		return nil, err
	}
	if err := required("shouldDecrementDesiredCapacity", in.ShouldDecrementDesiredCapacity != nil); err != nil {
		return nil, err
	}
	a, err := b.TerminateInstance(ctx, in.InstanceId, *in.ShouldDecrementDesiredCapacity)
	if err != nil {
		return nil, err
	}
	x := activityOut(a)
	return &wire.ActivityType{Activity: &x}, nil
}

func (b *Backend) handleSetInstanceProtection(ctx context.Context, in *wire.SetInstanceProtectionQuery) (*wire.SetInstanceProtectionAnswer, error) {
	if err := required("protectedFromScaleIn", in.ProtectedFromScaleIn != nil); err != nil {
		return nil, err
	}
	return nil, b.SetInstanceProtection(ctx, in.AutoScalingGroupName, in.InstanceIds, *in.ProtectedFromScaleIn)
}

func (b *Backend) handleDescribeScalingActivities(ctx context.Context, in *wire.DescribeScalingActivitiesType) (*wire.ActivitiesType, error) {
	activities, err := b.Activities(ctx, in.AutoScalingGroupName, in.ActivityIds, isTrue(in.IncludeDeletedGroups))
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(activities, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.ActivitiesType{Activities: listOf(page, activityOut), NextToken: next}, nil
}

// ---- tags ----

func groupTagsFrom(in []wire.Tag) ([]GroupTag, error) {
	out := make([]GroupTag, 0, len(in))
	for _, t := range in {
		if t.ResourceType != "" && t.ResourceType != "auto-scaling-group" {
			return nil, validationError("Resource type '%s' must be auto-scaling-group", t.ResourceType)
		}
		if t.Key == "" {
			return nil, validationError("1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null")
		}
		out = append(out, GroupTag{GroupName: t.ResourceId, Tag: Tag{Key: t.Key, Value: t.Value, PropagateAtLaunch: isTrue(t.PropagateAtLaunch)}})
	}
	return out, nil
}

func (b *Backend) handleCreateOrUpdateTags(ctx context.Context, in *wire.CreateOrUpdateTagsType) (*struct{}, error) {
	tags, err := groupTagsFrom(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, b.PutTags(ctx, tags)
}

func (b *Backend) handleDeleteTags(ctx context.Context, in *wire.DeleteTagsType) (*struct{}, error) {
	tags, err := groupTagsFrom(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, b.DeleteTags(ctx, tags)
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *wire.DescribeTagsType) (*wire.TagsType, error) {
	tags, err := b.Tags(ctx, filtersFrom(in.Filters))
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(tags, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.TagsType{Tags: listOf(page, func(t GroupTag) wire.TagDescription { return tagOut(t.GroupName, t.Tag) }), NextToken: next}, nil
}

// existingGroup checks that a named group exists, for the calls that
// answer about one.
func (b *Backend) existingGroup(ctx context.Context, name string) error {
	if err := required("autoScalingGroupName", name != ""); err != nil {
		return err
	}
	g, err := b.Group(ctx, name)
	if err != nil {
		return err
	}
	if g == nil {
		return groupNotFound(name)
	}
	return nil
}

// ---- scaling policies ----

func (b *Backend) handlePutScalingPolicy(ctx context.Context, in *wire.PutScalingPolicyType) (*wire.PolicyARNType, error) {
	p, err := b.PutPolicy(ctx, in.AutoScalingGroupName, in.PolicyName, PolicySpec{
		PolicyType: in.PolicyType, AdjustmentType: in.AdjustmentType, MinAdjustmentStep: in.MinAdjustmentStep,
		MinAdjustmentMagnitude: in.MinAdjustmentMagnitude, ScalingAdjustment: in.ScalingAdjustment, Cooldown: in.Cooldown,
		MetricAggregationType: in.MetricAggregationType, StepAdjustments: in.StepAdjustments, EstimatedInstanceWarmup: in.EstimatedInstanceWarmup,
		TargetTrackingConfiguration: in.TargetTrackingConfiguration, Enabled: in.Enabled,
	})
	if err != nil {
		return nil, err
	}
	return &wire.PolicyARNType{PolicyARN: p.ARN, Alarms: list(p.Alarms)}, nil
}

func policyOut(p *Policy) wire.ScalingPolicy {
	s := p.Spec
	return wire.ScalingPolicy{AutoScalingGroupName: p.GroupName, PolicyName: p.Name, PolicyARN: p.ARN,
		PolicyType: s.PolicyType, AdjustmentType: s.AdjustmentType, MinAdjustmentStep: s.MinAdjustmentStep,
		MinAdjustmentMagnitude: s.MinAdjustmentMagnitude, ScalingAdjustment: s.ScalingAdjustment, Cooldown: s.Cooldown,
		MetricAggregationType: s.MetricAggregationType, StepAdjustments: list(s.StepAdjustments), EstimatedInstanceWarmup: s.EstimatedInstanceWarmup,
		TargetTrackingConfiguration: s.TargetTrackingConfiguration, Enabled: s.Enabled, Alarms: list(p.Alarms)}
}

func (b *Backend) handleDescribePolicies(ctx context.Context, in *wire.DescribePoliciesType) (*wire.PoliciesType, error) {
	policies, err := b.Policies(ctx, in.AutoScalingGroupName, in.PolicyNames, in.PolicyTypes)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(policies, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.PoliciesType{ScalingPolicies: listOf(page, policyOut), NextToken: next}, nil
}

func (b *Backend) handleDeletePolicy(ctx context.Context, in *wire.DeletePolicyType) (*struct{}, error) {
	return nil, b.DeletePolicy(ctx, in.AutoScalingGroupName, in.PolicyName)
}
