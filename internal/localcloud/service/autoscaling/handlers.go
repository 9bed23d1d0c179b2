package autoscaling

import (
	"context"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

type tagInput struct {
	ResourceId        string
	ResourceType      string
	Key               string
	Value             string
	PropagateAtLaunch *bool
}

type filterInput struct {
	Name   string
	Values []string
}

func filtersFrom(in []filterInput) []Filter {
	out := make([]Filter, len(in))
	for i, f := range in {
		out[i] = Filter(f)
	}
	return out
}

// ---- groups ----

type groupInput struct {
	AutoScalingGroupName             string
	LaunchTemplate                   *LaunchTemplateSpecification
	MixedInstancesPolicy             *MixedInstancesPolicy
	LaunchConfigurationName          string
	InstanceId                       string
	MinSize                          *int
	MaxSize                          *int
	DesiredCapacity                  *int
	DefaultCooldown                  *int
	AvailabilityZones                []string
	LoadBalancerNames                []string
	TargetGroupARNs                  []string
	HealthCheckType                  string
	HealthCheckGracePeriod           *int
	VPCZoneIdentifier                *string
	TerminationPolicies              []string
	NewInstancesProtectedFromScaleIn *bool
	CapacityRebalance                *bool
	Tags                             []tagInput
	ServiceLinkedRoleARN             string
	MaxInstanceLifetime              *int
	Context                          string
	DesiredCapacityType              string
	DefaultInstanceWarmup            *int
}

func (in *groupInput) request() GroupRequest {
	req := GroupRequest{
		Name: in.AutoScalingGroupName, LaunchTemplate: in.LaunchTemplate, MixedInstancesPolicy: in.MixedInstancesPolicy,
		LaunchConfigurationName: in.LaunchConfigurationName, InstanceID: in.InstanceId,
		MinSize: in.MinSize, MaxSize: in.MaxSize, DesiredCapacity: in.DesiredCapacity, DefaultCooldown: in.DefaultCooldown,
		AvailabilityZones: in.AvailabilityZones, VPCZoneIdentifier: in.VPCZoneIdentifier, TargetGroupARNs: in.TargetGroupARNs,
		LoadBalancerNames: in.LoadBalancerNames, HealthCheckType: in.HealthCheckType, HealthCheckGracePeriod: in.HealthCheckGracePeriod,
		TerminationPolicies: in.TerminationPolicies, NewInstancesProtectedFromScaleIn: in.NewInstancesProtectedFromScaleIn,
		CapacityRebalance: in.CapacityRebalance, MaxInstanceLifetime: in.MaxInstanceLifetime, DefaultInstanceWarmup: in.DefaultInstanceWarmup,
		DesiredCapacityType: in.DesiredCapacityType, Context: in.Context, ServiceLinkedRoleARN: in.ServiceLinkedRoleARN,
	}
	for _, t := range in.Tags {
		req.Tags = append(req.Tags, Tag{Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch != nil && *t.PropagateAtLaunch})
	}
	return req
}

type emptyOutput struct{}

func (b *Backend) handleCreateAutoScalingGroup(ctx context.Context, in *groupInput) (*emptyOutput, error) {
	_, err := b.CreateGroup(ctx, in.request())
	return nil, err
}

func (b *Backend) handleUpdateAutoScalingGroup(ctx context.Context, in *groupInput) (*emptyOutput, error) {
	return nil, b.UpdateAutoScalingGroup(ctx, in.request())
}

type deleteGroupInput struct {
	AutoScalingGroupName string
	ForceDelete          bool
}

func (b *Backend) handleDeleteAutoScalingGroup(ctx context.Context, in *deleteGroupInput) (*emptyOutput, error) {
	return nil, b.DeleteGroup(ctx, in.AutoScalingGroupName, in.ForceDelete)
}

type setDesiredCapacityInput struct {
	AutoScalingGroupName string
	DesiredCapacity      *int
	HonorCooldown        bool
}

func (b *Backend) handleSetDesiredCapacity(ctx context.Context, in *setDesiredCapacityInput) (*emptyOutput, error) {
	if err := required("desiredCapacity", in.DesiredCapacity != nil); err != nil {
		return nil, err
	}
	return nil, b.SetDesiredCapacityHonoring(ctx, in.AutoScalingGroupName, *in.DesiredCapacity, in.HonorCooldown)
}

type instanceXML struct {
	InstanceId           string                       `xml:"InstanceId"`
	AutoScalingGroupName string                       `xml:"AutoScalingGroupName,omitempty"`
	InstanceType         string                       `xml:"InstanceType,omitempty"`
	AvailabilityZone     string                       `xml:"AvailabilityZone"`
	LifecycleState       string                       `xml:"LifecycleState"`
	HealthStatus         string                       `xml:"HealthStatus"`
	LaunchTemplate       *LaunchTemplateSpecification `xml:"LaunchTemplate,omitempty"`
	ProtectedFromScaleIn bool                         `xml:"ProtectedFromScaleIn"`
}

func templateOut(lt LaunchTemplate) *LaunchTemplateSpecification {
	if lt == (LaunchTemplate{}) {
		return nil // launched from a launch configuration
	}
	return &LaunchTemplateSpecification{LaunchTemplateId: lt.ID, LaunchTemplateName: lt.Name, Version: lt.Version}
}

func instanceOut(inst GroupInstance, lt LaunchTemplate) instanceXML {
	health := inst.HealthStatus
	if health == "" {
		health = "Healthy"
	}
	state := inst.LifecycleState
	if state == "" {
		state = StatePending
	}
	return instanceXML{InstanceId: inst.InstanceID, InstanceType: inst.InstanceType, AvailabilityZone: inst.AvailabilityZone,
		LifecycleState: state, HealthStatus: health, LaunchTemplate: templateOut(lt), ProtectedFromScaleIn: inst.ProtectedFromScaleIn}
}

type tagDescriptionXML struct {
	ResourceId        string `xml:"ResourceId"`
	ResourceType      string `xml:"ResourceType"`
	Key               string `xml:"Key"`
	Value             string `xml:"Value"`
	PropagateAtLaunch bool   `xml:"PropagateAtLaunch"`
}

func tagOut(group string, t Tag) tagDescriptionXML {
	return tagDescriptionXML{ResourceId: group, ResourceType: "auto-scaling-group", Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch}
}

type trafficSourceXML struct {
	Identifier string `xml:"Identifier"`
	Type       string `xml:"Type"`
}

type groupXML struct {
	AutoScalingGroupName             string                       `xml:"AutoScalingGroupName"`
	AutoScalingGroupARN              string                       `xml:"AutoScalingGroupARN"`
	LaunchConfigurationName          string                       `xml:"LaunchConfigurationName,omitempty"`
	LaunchTemplate                   *LaunchTemplateSpecification `xml:"LaunchTemplate,omitempty"`
	MixedInstancesPolicy             *MixedInstancesPolicy        `xml:"MixedInstancesPolicy,omitempty"`
	MinSize                          int                          `xml:"MinSize"`
	MaxSize                          int                          `xml:"MaxSize"`
	DesiredCapacity                  int                          `xml:"DesiredCapacity"`
	DefaultCooldown                  int                          `xml:"DefaultCooldown"`
	AvailabilityZones                members[string]              `xml:"AvailabilityZones"`
	LoadBalancerNames                members[string]              `xml:"LoadBalancerNames"`
	TargetGroupARNs                  members[string]              `xml:"TargetGroupARNs"`
	HealthCheckType                  string                       `xml:"HealthCheckType"`
	HealthCheckGracePeriod           int                          `xml:"HealthCheckGracePeriod"`
	Instances                        members[instanceXML]         `xml:"Instances"`
	CreatedTime                      protocol.XMLTime             `xml:"CreatedTime"`
	SuspendedProcesses               members[SuspendedProcess]    `xml:"SuspendedProcesses"`
	VPCZoneIdentifier                string                       `xml:"VPCZoneIdentifier,omitempty"`
	EnabledMetrics                   members[string]              `xml:"EnabledMetrics"`
	Status                           string                       `xml:"Status,omitempty"`
	Tags                             members[tagDescriptionXML]   `xml:"Tags"`
	TerminationPolicies              members[string]              `xml:"TerminationPolicies"`
	NewInstancesProtectedFromScaleIn bool                         `xml:"NewInstancesProtectedFromScaleIn"`
	ServiceLinkedRoleARN             string                       `xml:"ServiceLinkedRoleARN"`
	MaxInstanceLifetime              *int                         `xml:"MaxInstanceLifetime,omitempty"`
	CapacityRebalance                bool                         `xml:"CapacityRebalance"`
	Context                          string                       `xml:"Context,omitempty"`
	DesiredCapacityType              string                       `xml:"DesiredCapacityType,omitempty"`
	DefaultInstanceWarmup            *int                         `xml:"DefaultInstanceWarmup,omitempty"`
	TrafficSources                   members[trafficSourceXML]    `xml:"TrafficSources"`
}

func groupOut(g *Group) groupXML {
	out := groupXML{
		AutoScalingGroupName: g.Name, AutoScalingGroupARN: g.ARN, MixedInstancesPolicy: g.MixedInstancesPolicy,
		MinSize: g.MinSize, MaxSize: g.MaxSize, DesiredCapacity: g.DesiredCapacity, DefaultCooldown: g.DefaultCooldown,
		AvailabilityZones: append(members[string]{}, g.AvailabilityZones...), LoadBalancerNames: append(members[string]{}, g.LoadBalancerNames...),
		TargetGroupARNs: append(members[string]{}, g.TargetGroupARNs...), HealthCheckType: g.HealthCheckType,
		HealthCheckGracePeriod: g.HealthCheckGracePeriod, Instances: members[instanceXML]{}, CreatedTime: protocol.XMLTime(g.CreatedTime),
		SuspendedProcesses: append(members[SuspendedProcess]{}, g.SuspendedProcesses...), VPCZoneIdentifier: strings.Join(g.SubnetIDs, ","), EnabledMetrics: members[string]{},
		Tags: members[tagDescriptionXML]{}, TerminationPolicies: append(members[string]{}, g.TerminationPolicies...),
		NewInstancesProtectedFromScaleIn: g.NewInstancesProtectedFromScaleIn, ServiceLinkedRoleARN: g.ServiceLinkedRoleARN,
		MaxInstanceLifetime: g.MaxInstanceLifetime, CapacityRebalance: g.CapacityRebalance, Context: g.Context,
		DesiredCapacityType: g.DesiredCapacityType, DefaultInstanceWarmup: g.DefaultInstanceWarmup, TrafficSources: members[trafficSourceXML]{},
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
	for _, inst := range g.Instances {
		out.Instances = append(out.Instances, instanceOut(inst, g.LaunchTemplate))
	}
	for _, t := range g.Tags {
		out.Tags = append(out.Tags, tagOut(g.Name, t))
	}
	for _, arn := range g.TargetGroupARNs {
		out.TrafficSources = append(out.TrafficSources, trafficSourceXML{Identifier: arn, Type: "elbv2"})
	}
	return out
}

type describeGroupsInput struct {
	AutoScalingGroupNames []string
	IncludeInstances      *bool
	NextToken             string
	MaxRecords            *int
	Filters               []filterInput
}

type describeGroupsOutput struct {
	AutoScalingGroups members[groupXML] `xml:"AutoScalingGroups"`
	NextToken         string            `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeAutoScalingGroups(ctx context.Context, in *describeGroupsInput) (*describeGroupsOutput, error) {
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
	out := &describeGroupsOutput{AutoScalingGroups: members[groupXML]{}, NextToken: next}
	for _, g := range page {
		x := groupOut(g)
		if in.IncludeInstances != nil && !*in.IncludeInstances {
			x.Instances = members[instanceXML]{}
		}
		out.AutoScalingGroups = append(out.AutoScalingGroups, x)
	}
	return out, nil
}

type describeInstancesInput struct {
	InstanceIds []string
	MaxRecords  *int
	NextToken   string
}

type describeInstancesOutput struct {
	AutoScalingInstances members[instanceXML] `xml:"AutoScalingInstances"`
	NextToken            string               `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeAutoScalingInstances(ctx context.Context, in *describeInstancesInput) (*describeInstancesOutput, error) {
	details, err := b.Instances(ctx, in.InstanceIds)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(details, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &describeInstancesOutput{AutoScalingInstances: members[instanceXML]{}, NextToken: next}
	for _, d := range page {
		x := instanceOut(d.Instance, d.Template)
		x.AutoScalingGroupName = d.GroupName
		// This call reports health in capitals, unlike DescribeAutoScalingGroups.
		x.HealthStatus = strings.ToUpper(x.HealthStatus)
		out.AutoScalingInstances = append(out.AutoScalingInstances, x)
	}
	return out, nil
}

type activityXML struct {
	ActivityId           string           `xml:"ActivityId"`
	AutoScalingGroupName string           `xml:"AutoScalingGroupName"`
	AutoScalingGroupARN  string           `xml:"AutoScalingGroupARN,omitempty"`
	Description          string           `xml:"Description"`
	Cause                string           `xml:"Cause"`
	StartTime            protocol.XMLTime `xml:"StartTime"`
	EndTime              protocol.XMLTime `xml:"EndTime"`
	StatusCode           string           `xml:"StatusCode"`
	Progress             int              `xml:"Progress"`
	Details              string           `xml:"Details"`
}

func activityOut(a *Activity) activityXML {
	return activityXML{ActivityId: a.ID, AutoScalingGroupName: a.GroupName, AutoScalingGroupARN: a.GroupARN, Description: a.Description,
		Cause: a.Cause, StartTime: protocol.XMLTime(a.StartTime), EndTime: protocol.XMLTime(a.EndTime), StatusCode: a.StatusCode,
		Progress: 100, Details: "{}"}
}

type terminateInstanceInput struct {
	InstanceId                     string
	ShouldDecrementDesiredCapacity *bool
}

type terminateInstanceOutput struct {
	Activity activityXML `xml:"Activity"`
}

func (b *Backend) handleTerminateInstance(ctx context.Context, in *terminateInstanceInput) (*terminateInstanceOutput, error) {
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
	return &terminateInstanceOutput{Activity: activityOut(a)}, nil
}

type setInstanceProtectionInput struct {
	InstanceIds          []string
	AutoScalingGroupName string
	ProtectedFromScaleIn *bool
}

func (b *Backend) handleSetInstanceProtection(ctx context.Context, in *setInstanceProtectionInput) (*emptyOutput, error) {
	if err := required("protectedFromScaleIn", in.ProtectedFromScaleIn != nil); err != nil {
		return nil, err
	}
	return nil, b.SetInstanceProtection(ctx, in.AutoScalingGroupName, in.InstanceIds, *in.ProtectedFromScaleIn)
}

type describeActivitiesInput struct {
	ActivityIds          []string
	AutoScalingGroupName string
	IncludeDeletedGroups bool
	MaxRecords           *int
	NextToken            string
}

type describeActivitiesOutput struct {
	Activities members[activityXML] `xml:"Activities"`
	NextToken  string               `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeScalingActivities(ctx context.Context, in *describeActivitiesInput) (*describeActivitiesOutput, error) {
	activities, err := b.Activities(ctx, in.AutoScalingGroupName, in.ActivityIds, in.IncludeDeletedGroups)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(activities, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &describeActivitiesOutput{Activities: members[activityXML]{}, NextToken: next}
	for _, a := range page {
		out.Activities = append(out.Activities, activityOut(a))
	}
	return out, nil
}

// ---- tags ----

type tagsInput struct {
	Tags []tagInput
}

func groupTagsFrom(in []tagInput) ([]GroupTag, error) {
	out := make([]GroupTag, 0, len(in))
	for _, t := range in {
		if t.ResourceType != "" && t.ResourceType != "auto-scaling-group" {
			return nil, validationError("Resource type '%s' must be auto-scaling-group", t.ResourceType)
		}
		if t.Key == "" {
			return nil, validationError("1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null")
		}
		out = append(out, GroupTag{GroupName: t.ResourceId, Tag: Tag{Key: t.Key, Value: t.Value, PropagateAtLaunch: t.PropagateAtLaunch != nil && *t.PropagateAtLaunch}})
	}
	return out, nil
}

func (b *Backend) handleCreateOrUpdateTags(ctx context.Context, in *tagsInput) (*emptyOutput, error) {
	tags, err := groupTagsFrom(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, b.PutTags(ctx, tags)
}

func (b *Backend) handleDeleteTags(ctx context.Context, in *tagsInput) (*emptyOutput, error) {
	tags, err := groupTagsFrom(in.Tags)
	if err != nil {
		return nil, err
	}
	return nil, b.DeleteTags(ctx, tags)
}

type describeTagsInput struct {
	Filters    []filterInput
	NextToken  string
	MaxRecords *int
}

type describeTagsOutput struct {
	Tags      members[tagDescriptionXML] `xml:"Tags"`
	NextToken string                     `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *describeTagsInput) (*describeTagsOutput, error) {
	tags, err := b.Tags(ctx, filtersFrom(in.Filters))
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(tags, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &describeTagsOutput{Tags: members[tagDescriptionXML]{}, NextToken: next}
	for _, t := range page {
		out.Tags = append(out.Tags, tagOut(t.GroupName, t.Tag))
	}
	return out, nil
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

// putPolicyInput lists PolicySpec's members flat: the form decoder does
// not flatten embedded structs.
type putPolicyInput struct {
	AutoScalingGroupName        string
	PolicyName                  string
	PolicyType                  string
	AdjustmentType              string
	MinAdjustmentStep           *int
	MinAdjustmentMagnitude      *int
	ScalingAdjustment           *int
	Cooldown                    *int
	MetricAggregationType       string
	StepAdjustments             []StepAdjustment
	EstimatedInstanceWarmup     *int
	TargetTrackingConfiguration *TargetTrackingConfiguration
	Enabled                     *bool
}

type putPolicyOutput struct {
	PolicyARN string         `xml:"PolicyARN"`
	Alarms    members[Alarm] `xml:"Alarms"`
}

func (b *Backend) handlePutScalingPolicy(ctx context.Context, in *putPolicyInput) (*putPolicyOutput, error) {
	p, err := b.PutPolicy(ctx, in.AutoScalingGroupName, in.PolicyName, PolicySpec{
		PolicyType: in.PolicyType, AdjustmentType: in.AdjustmentType, MinAdjustmentStep: in.MinAdjustmentStep,
		MinAdjustmentMagnitude: in.MinAdjustmentMagnitude, ScalingAdjustment: in.ScalingAdjustment, Cooldown: in.Cooldown,
		MetricAggregationType: in.MetricAggregationType, StepAdjustments: in.StepAdjustments, EstimatedInstanceWarmup: in.EstimatedInstanceWarmup,
		TargetTrackingConfiguration: in.TargetTrackingConfiguration, Enabled: in.Enabled,
	})
	if err != nil {
		return nil, err
	}
	return &putPolicyOutput{PolicyARN: p.ARN, Alarms: append(members[Alarm]{}, p.Alarms...)}, nil
}

type describePoliciesInput struct {
	AutoScalingGroupName string
	PolicyNames          []string
	PolicyTypes          []string
	NextToken            string
	MaxRecords           *int
}

type policyXML struct {
	AutoScalingGroupName string `xml:"AutoScalingGroupName"`
	PolicyName           string `xml:"PolicyName"`
	PolicyARN            string `xml:"PolicyARN"`
	PolicySpec
	Alarms members[Alarm] `xml:"Alarms"`
}

type describePoliciesOutput struct {
	ScalingPolicies members[policyXML] `xml:"ScalingPolicies"`
	NextToken       string             `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribePolicies(ctx context.Context, in *describePoliciesInput) (*describePoliciesOutput, error) {
	policies, err := b.Policies(ctx, in.AutoScalingGroupName, in.PolicyNames, in.PolicyTypes)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(policies, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &describePoliciesOutput{ScalingPolicies: members[policyXML]{}, NextToken: next}
	for _, p := range page {
		out.ScalingPolicies = append(out.ScalingPolicies, policyXML{AutoScalingGroupName: p.GroupName, PolicyName: p.Name,
			PolicyARN: p.ARN, PolicySpec: p.Spec, Alarms: append(members[Alarm]{}, p.Alarms...)})
	}
	return out, nil
}

type deletePolicyInput struct {
	AutoScalingGroupName string
	PolicyName           string
}

func (b *Backend) handleDeletePolicy(ctx context.Context, in *deletePolicyInput) (*emptyOutput, error) {
	return nil, b.DeletePolicy(ctx, in.AutoScalingGroupName, in.PolicyName)
}
