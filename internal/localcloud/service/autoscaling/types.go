package autoscaling

import (
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
)

// Group is an Auto Scaling group as the store keeps it. The controller
// launches and terminates the EC2 instances and records them here.
type Group struct {
	Name           string
	ARN            string
	LaunchTemplate LaunchTemplate
	// LaunchConfigurationName is set instead of LaunchTemplate for a group
	// launched from a launch configuration.
	LaunchConfigurationName          string                     `json:",omitempty"`
	MixedInstancesPolicy             *wire.MixedInstancesPolicy `json:",omitempty"`
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
	SuspendedProcesses []wire.SuspendedProcess `json:",omitempty"`
	// CooldownUntil is when the cooldown of the last scaling change through
	// the API (SetDesiredCapacity, ExecutePolicy) ends.
	CooldownUntil time.Time `json:",omitzero"`
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
	Alarms    []wire.Alarm
}

// PolicySpec is a PutScalingPolicy request's settings, kept in the API's
// shapes.
type PolicySpec struct {
	PolicyType                  string
	AdjustmentType              string
	MinAdjustmentStep           *int
	MinAdjustmentMagnitude      *int
	ScalingAdjustment           *int
	Cooldown                    *int
	MetricAggregationType       string
	StepAdjustments             []wire.StepAdjustment
	EstimatedInstanceWarmup     *int
	TargetTrackingConfiguration *wire.TargetTrackingConfiguration
	Enabled                     *bool
}
