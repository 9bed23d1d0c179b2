package applicationautoscaling

import "github.com/berthdev/berth/internal/localcloud/protocol/awsjson"

// The records below are both what the store keeps and what the wire
// carries: their JSON names are the API's member names (PascalCase).

// ScalableTarget is a registered resource dimension with its capacity range.
type ScalableTarget struct {
	ServiceNamespace  string          `json:"ServiceNamespace"`
	ResourceID        string          `json:"ResourceId"`
	ScalableDimension string          `json:"ScalableDimension"`
	MinCapacity       int32           `json:"MinCapacity"`
	MaxCapacity       int32           `json:"MaxCapacity"`
	PredictedCapacity *int32          `json:"PredictedCapacity,omitempty"`
	RoleARN           string          `json:"RoleARN"`
	CreationTime      awsjson.Time    `json:"CreationTime"`
	SuspendedState    *SuspendedState `json:"SuspendedState,omitempty"`
	ScalableTargetARN string          `json:"ScalableTargetARN"`
	// Tags are served by ListTagsForResource only.
	Tags map[string]string `json:"BerthTags,omitempty"`
}

// SuspendedState says which kinds of scaling are paused on a target.
type SuspendedState struct {
	DynamicScalingInSuspended  *bool `json:"DynamicScalingInSuspended,omitempty"`
	DynamicScalingOutSuspended *bool `json:"DynamicScalingOutSuspended,omitempty"`
	ScheduledScalingSuspended  *bool `json:"ScheduledScalingSuspended,omitempty"`
}

// ScalingPolicy is a policy on a scalable target.
type ScalingPolicy struct {
	PolicyARN                                string                                    `json:"PolicyARN"`
	PolicyName                               string                                    `json:"PolicyName"`
	ServiceNamespace                         string                                    `json:"ServiceNamespace"`
	ResourceID                               string                                    `json:"ResourceId"`
	ScalableDimension                        string                                    `json:"ScalableDimension"`
	PolicyType                               string                                    `json:"PolicyType"`
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration           `json:"StepScalingPolicyConfiguration,omitempty"`
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	PredictiveScalingPolicyConfiguration     *PredictiveScalingPolicyConfiguration     `json:"PredictiveScalingPolicyConfiguration,omitempty"`
	Alarms                                   []Alarm                                   `json:"Alarms"`
	CreationTime                             awsjson.Time                              `json:"CreationTime"`
}

// Alarm is a CloudWatch alarm that drives a policy.
type Alarm struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

// StepScalingPolicyConfiguration is a step scaling policy's body.
type StepScalingPolicyConfiguration struct {
	AdjustmentType         string           `json:"AdjustmentType,omitempty"`
	StepAdjustments        []StepAdjustment `json:"StepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int32           `json:"MinAdjustmentMagnitude,omitempty"`
	Cooldown               *int32           `json:"Cooldown,omitempty"`
	MetricAggregationType  string           `json:"MetricAggregationType,omitempty"`
}

// StepAdjustment is one step: bounds relative to the alarm's threshold.
type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"MetricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"MetricIntervalUpperBound,omitempty"`
	ScalingAdjustment        int32    `json:"ScalingAdjustment"`
}

// TargetTrackingScalingPolicyConfiguration is a target tracking policy's
// body.
type TargetTrackingScalingPolicyConfiguration struct {
	TargetValue                   *float64                       `json:"TargetValue,omitempty"`
	PredefinedMetricSpecification *PredefinedMetricSpecification `json:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification *CustomizedMetricSpecification `json:"CustomizedMetricSpecification,omitempty"`
	ScaleOutCooldown              *int32                         `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown               *int32                         `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn                *bool                          `json:"DisableScaleIn,omitempty"`
}

// PredefinedMetricSpecification names one of AWS's predefined metrics.
type PredefinedMetricSpecification struct {
	PredefinedMetricType string `json:"PredefinedMetricType"`
	ResourceLabel        string `json:"ResourceLabel,omitempty"`
}

// CustomizedMetricSpecification is a CloudWatch metric (or metric math) to
// track.
type CustomizedMetricSpecification struct {
	MetricName string            `json:"MetricName,omitempty"`
	Namespace  string            `json:"Namespace,omitempty"`
	Dimensions []MetricDimension `json:"Dimensions,omitempty"`
	Statistic  string            `json:"Statistic,omitempty"`
	Unit       string            `json:"Unit,omitempty"`
	Metrics    []MetricDataQuery `json:"Metrics,omitempty"`
}

// MetricDimension is a CloudWatch dimension.
type MetricDimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// MetricDataQuery is one query of a metric-math customized metric.
type MetricDataQuery struct {
	Expression string      `json:"Expression,omitempty"`
	ID         string      `json:"Id"`
	Label      string      `json:"Label,omitempty"`
	MetricStat *MetricStat `json:"MetricStat,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
}

// MetricStat is a metric with its statistic.
type MetricStat struct {
	Metric Metric `json:"Metric"`
	Stat   string `json:"Stat"`
	Unit   string `json:"Unit,omitempty"`
}

// Metric is a CloudWatch metric by name, namespace and dimensions.
type Metric struct {
	Dimensions []MetricDimension `json:"Dimensions,omitempty"`
	MetricName string            `json:"MetricName,omitempty"`
	Namespace  string            `json:"Namespace,omitempty"`
}

// PredictiveScalingPolicyConfiguration is kept as the client sent it: the
// local cloud records predictive policies but does not forecast.
type PredictiveScalingPolicyConfiguration map[string]any

// ScheduledAction changes a target's capacity range on a schedule.
type ScheduledAction struct {
	ScheduledActionName  string                `json:"ScheduledActionName"`
	ScheduledActionARN   string                `json:"ScheduledActionARN"`
	ServiceNamespace     string                `json:"ServiceNamespace"`
	Schedule             string                `json:"Schedule"`
	Timezone             string                `json:"Timezone,omitempty"`
	ResourceID           string                `json:"ResourceId"`
	ScalableDimension    string                `json:"ScalableDimension"`
	StartTime            *awsjson.Time         `json:"StartTime,omitempty"`
	EndTime              *awsjson.Time         `json:"EndTime,omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:"ScalableTargetAction,omitempty"`
	CreationTime         awsjson.Time          `json:"CreationTime"`
}

// ScalableTargetAction is the capacity range a scheduled action sets.
type ScalableTargetAction struct {
	MinCapacity *int32 `json:"MinCapacity,omitempty"`
	MaxCapacity *int32 `json:"MaxCapacity,omitempty"`
}

// ScalingActivity is one attempt to change a target's capacity.
type ScalingActivity struct {
	ActivityID        string            `json:"ActivityId"`
	ServiceNamespace  string            `json:"ServiceNamespace"`
	ResourceID        string            `json:"ResourceId"`
	ScalableDimension string            `json:"ScalableDimension"`
	Description       string            `json:"Description"`
	Cause             string            `json:"Cause"`
	StartTime         awsjson.Time      `json:"StartTime"`
	EndTime           *awsjson.Time     `json:"EndTime,omitempty"`
	StatusCode        string            `json:"StatusCode"`
	StatusMessage     string            `json:"StatusMessage,omitempty"`
	Details           string            `json:"Details,omitempty"`
	NotScaledReasons  []NotScaledReason `json:"NotScaledReasons,omitempty"`
}

// NotScaledReason says why an activity did not scale.
type NotScaledReason struct {
	Code            string `json:"Code"`
	MaxCapacity     *int32 `json:"MaxCapacity,omitempty"`
	MinCapacity     *int32 `json:"MinCapacity,omitempty"`
	CurrentCapacity *int32 `json:"CurrentCapacity,omitempty"`
}
