package applicationautoscaling

import (
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
)

// The records the store keeps. Policies and activities are kept as the
// wire shapes generated from AWS's model, which is how they are described;
// a scheduled action is its wire shape with the schedule's rules; a
// scalable target keeps its capacity as numbers (the scaling controller
// does arithmetic on it) and its tags, and is described through wire().

// ScalableTarget is a registered resource dimension with its capacity range.
type ScalableTarget struct {
	ServiceNamespace  string          `json:"ServiceNamespace"`
	ResourceID        string          `json:"ResourceId"`
	ScalableDimension string          `json:"ScalableDimension"`
	MinCapacity       int32           `json:"MinCapacity"`
	MaxCapacity       int32           `json:"MaxCapacity"`
	RoleARN           string          `json:"RoleARN"`
	CreationTime      awsjson.Time    `json:"CreationTime"`
	SuspendedState    *SuspendedState `json:"SuspendedState,omitempty"`
	ScalableTargetARN string          `json:"ScalableTargetARN"`
	// Tags are served by ListTagsForResource only.
	Tags map[string]string `json:"BerthTags,omitempty"`
}

// ScheduledAction changes a target's capacity range on a schedule.
type ScheduledAction struct {
	wire.ScheduledAction
}

// The wire shapes the records are made of.
type (
	SuspendedState                           = wire.SuspendedState
	ScalingPolicy                            = wire.ScalingPolicy
	Alarm                                    = wire.Alarm
	StepScalingPolicyConfiguration           = wire.StepScalingPolicyConfiguration
	StepAdjustment                           = wire.StepAdjustment
	TargetTrackingScalingPolicyConfiguration = wire.TargetTrackingScalingPolicyConfiguration
	PredefinedMetricSpecification            = wire.PredefinedMetricSpecification
	CustomizedMetricSpecification            = wire.CustomizedMetricSpecification
	ScalableTargetAction                     = wire.ScalableTargetAction
	ScalingActivity                          = wire.ScalingActivity
	NotScaledReason                          = wire.NotScaledReason
)
