package autoscaling

import "time"

// Group is an Auto Scaling group as the store keeps it. The controller
// launches and terminates the EC2 instances and records them here.
type Group struct {
	Name           string
	ARN            string
	LaunchTemplate LaunchTemplate
	// LaunchConfigurationName is set instead of LaunchTemplate for a group
	// launched from a launch configuration.
	LaunchConfigurationName          string                `json:",omitempty"`
	MixedInstancesPolicy             *MixedInstancesPolicy `json:",omitempty"`
	MinSize                          int
	MaxSize                          int
	DesiredCapacity                  int
	DefaultCooldown                  int
	AvailabilityZones                []string
	SubnetIDs                        []string
	TargetGroupARNs                  []string
	LoadBalancerNames                []string
	HealthCheckType                  string
	HealthCheckGracePeriod           int
	TerminationPolicies              []string
	NewInstancesProtectedFromScaleIn bool
	CapacityRebalance                bool
	MaxInstanceLifetime              *int   `json:",omitempty"`
	DefaultInstanceWarmup            *int   `json:",omitempty"`
	DesiredCapacityType              string `json:",omitempty"`
	Context                          string `json:",omitempty"`
	ServiceLinkedRoleARN             string
	Instances                        []GroupInstance
	Tags                             []Tag
	// Deleting marks a force-deleted group whose instances are still being
	// terminated; FinishDelete removes it.
	Deleting    bool
	CreatedTime time.Time
	// SuspendedProcesses are the scaling processes SuspendProcesses
	// stopped, with the reason.
	SuspendedProcesses []SuspendedProcess `json:",omitempty"`
	// CooldownUntil is when the cooldown of the last scaling change through
	// the API (SetDesiredCapacity, ExecutePolicy) ends.
	CooldownUntil time.Time `json:",omitzero"`
}

// SuspendedProcess is one suspended scaling process.
type SuspendedProcess struct {
	ProcessName      string `xml:"ProcessName"`
	SuspensionReason string `xml:"SuspensionReason"`
}

// LaunchTemplate names the template (by id or name) and version instances
// launch from.
type LaunchTemplate struct {
	ID      string
	Name    string
	Version string
}

// GroupInstance is one instance of a group.
type GroupInstance struct {
	InstanceID       string
	AvailabilityZone string
	SubnetID         string
	InstanceType     string
	// LifecycleState is Pending, InService or Terminating.
	LifecycleState       string
	HealthStatus         string // Healthy | Unhealthy
	ProtectedFromScaleIn bool
	// While it waits in Pending:Wait or Terminating:Wait: the deadline of
	// each lifecycle hook not yet completed, the action's token, and when
	// the wait began (the global timeout counts from it).
	LifecycleWaits map[string]time.Time `json:",omitempty"`
	LifecycleToken string               `json:",omitempty"`
	LifecycleSince time.Time            `json:",omitzero"`
}

// Tag is a group tag.
type Tag struct {
	Key               string
	Value             string
	PropagateAtLaunch bool
}

// Activity is one scaling activity of a group.
type Activity struct {
	ID          string
	GroupName   string
	GroupARN    string
	Description string
	Cause       string
	StartTime   time.Time
	EndTime     time.Time
	StatusCode  string // Successful
}

// Policy is a scaling policy, kept in its API shape.
type Policy struct {
	GroupName string
	Name      string
	ARN       string
	Spec      PolicySpec
	Alarms    []Alarm
}

// The shapes below are the API's own: decoded from requests, stored, and
// written back in responses.

// LaunchTemplateSpecification names a launch template in requests and
// responses.
type LaunchTemplateSpecification struct {
	LaunchTemplateId   string `query:"LaunchTemplateId" xml:"LaunchTemplateId,omitempty"`
	LaunchTemplateName string `query:"LaunchTemplateName" xml:"LaunchTemplateName,omitempty"`
	Version            string `query:"Version" xml:"Version,omitempty"`
}

// MixedInstancesPolicy is kept for Describe; instances launch from its
// launch template.
type MixedInstancesPolicy struct {
	LaunchTemplate        *MixedLaunchTemplate   `query:"LaunchTemplate" xml:"LaunchTemplate,omitempty"`
	InstancesDistribution *InstancesDistribution `query:"InstancesDistribution" xml:"InstancesDistribution,omitempty"`
}

// MixedLaunchTemplate is the launch template of a mixed instances policy.
type MixedLaunchTemplate struct {
	LaunchTemplateSpecification *LaunchTemplateSpecification `query:"LaunchTemplateSpecification" xml:"LaunchTemplateSpecification,omitempty"`
	Overrides                   members[Override]            `query:"Overrides" xml:"Overrides,omitempty"`
}

// Override is one instance type override of a mixed instances policy.
type Override struct {
	InstanceType     string `query:"InstanceType" xml:"InstanceType,omitempty"`
	WeightedCapacity string `query:"WeightedCapacity" xml:"WeightedCapacity,omitempty"`
}

// InstancesDistribution splits capacity between On-Demand and Spot.
type InstancesDistribution struct {
	OnDemandAllocationStrategy          string `query:"OnDemandAllocationStrategy" xml:"OnDemandAllocationStrategy,omitempty"`
	OnDemandBaseCapacity                *int   `query:"OnDemandBaseCapacity" xml:"OnDemandBaseCapacity,omitempty"`
	OnDemandPercentageAboveBaseCapacity *int   `query:"OnDemandPercentageAboveBaseCapacity" xml:"OnDemandPercentageAboveBaseCapacity,omitempty"`
	SpotAllocationStrategy              string `query:"SpotAllocationStrategy" xml:"SpotAllocationStrategy,omitempty"`
	SpotInstancePools                   *int   `query:"SpotInstancePools" xml:"SpotInstancePools,omitempty"`
	SpotMaxPrice                        string `query:"SpotMaxPrice" xml:"SpotMaxPrice,omitempty"`
}

// PolicySpec is a PutScalingPolicy request's settings.
type PolicySpec struct {
	PolicyType                  string                       `query:"PolicyType" xml:"PolicyType"`
	AdjustmentType              string                       `query:"AdjustmentType" xml:"AdjustmentType,omitempty"`
	MinAdjustmentStep           *int                         `query:"MinAdjustmentStep" xml:"MinAdjustmentStep,omitempty"`
	MinAdjustmentMagnitude      *int                         `query:"MinAdjustmentMagnitude" xml:"MinAdjustmentMagnitude,omitempty"`
	ScalingAdjustment           *int                         `query:"ScalingAdjustment" xml:"ScalingAdjustment,omitempty"`
	Cooldown                    *int                         `query:"Cooldown" xml:"Cooldown,omitempty"`
	MetricAggregationType       string                       `query:"MetricAggregationType" xml:"MetricAggregationType,omitempty"`
	StepAdjustments             members[StepAdjustment]      `query:"StepAdjustments" xml:"StepAdjustments"`
	EstimatedInstanceWarmup     *int                         `query:"EstimatedInstanceWarmup" xml:"EstimatedInstanceWarmup,omitempty"`
	TargetTrackingConfiguration *TargetTrackingConfiguration `query:"TargetTrackingConfiguration" xml:"TargetTrackingConfiguration,omitempty"`
	Enabled                     *bool                        `query:"Enabled" xml:"Enabled"`
}

// StepAdjustment is one step of a step scaling policy.
type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `query:"MetricIntervalLowerBound" xml:"MetricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `query:"MetricIntervalUpperBound" xml:"MetricIntervalUpperBound,omitempty"`
	ScalingAdjustment        int      `query:"ScalingAdjustment" xml:"ScalingAdjustment"`
}

// TargetTrackingConfiguration keeps a metric near a target value.
type TargetTrackingConfiguration struct {
	PredefinedMetricSpecification *PredefinedMetric `query:"PredefinedMetricSpecification" xml:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification *CustomizedMetric `query:"CustomizedMetricSpecification" xml:"CustomizedMetricSpecification,omitempty"`
	TargetValue                   *float64          `query:"TargetValue" xml:"TargetValue"`
	DisableScaleIn                *bool             `query:"DisableScaleIn" xml:"DisableScaleIn,omitempty"`
}

// PredefinedMetric is one of Auto Scaling's predefined metrics.
type PredefinedMetric struct {
	PredefinedMetricType string `query:"PredefinedMetricType" xml:"PredefinedMetricType"`
	ResourceLabel        string `query:"ResourceLabel" xml:"ResourceLabel,omitempty"`
}

// CustomizedMetric is a CloudWatch metric (ECS managed scaling uses one:
// CapacityProviderReservation).
type CustomizedMetric struct {
	MetricName string             `query:"MetricName" xml:"MetricName,omitempty"`
	Namespace  string             `query:"Namespace" xml:"Namespace,omitempty"`
	Dimensions members[Dimension] `query:"Dimensions" xml:"Dimensions,omitempty"`
	Statistic  string             `query:"Statistic" xml:"Statistic,omitempty"`
	Unit       string             `query:"Unit" xml:"Unit,omitempty"`
}

// Dimension is a metric dimension.
type Dimension struct {
	Name  string `query:"Name" xml:"Name"`
	Value string `query:"Value" xml:"Value"`
}

// Alarm is a CloudWatch alarm a policy uses.
type Alarm struct {
	AlarmName string `xml:"AlarmName"`
	AlarmARN  string `xml:"AlarmARN"`
}
