package applicationautoscaling

import (
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// The shape of the alarms AWS creates for a target tracking policy: the
// high alarm scales out after 3 one-minute datapoints above the target,
// the low alarm scales in after 15 below 90% of it.
const (
	alarmPeriod         = 60
	highAlarmPeriods    = 3
	lowAlarmPeriods     = 15
	lowThresholdPercent = 0.9
)

// putPolicyAlarms writes a target tracking policy's alarms in CloudWatch,
// in the policy's own transaction, and deletes the ones it no longer has
// (its low alarm, once scale-in is disabled). Without CloudWatch (a test
// of this package alone) the alarms are only named.
func (b *Backend) putPolicyAlarms(tx *store.Tx, p *ScalingPolicy, previous []Alarm) error {
	if b.CloudWatch == nil {
		return nil
	}
	var gone []string
	for _, old := range previous {
		kept := false
		for _, a := range p.Alarms {
			kept = kept || a.AlarmName == old.AlarmName
		}
		if !kept {
			gone = append(gone, old.AlarmName)
		}
	}
	if err := b.CloudWatch.DeleteAlarmsTx(tx, gone); err != nil {
		return err
	}
	c := p.TargetTrackingScalingPolicyConfiguration
	if p.PolicyType != PolicyTargetTracking || c == nil {
		return nil
	}
	base := trackedMetric(p.ResourceId, c)
	base.Description = "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.PolicyARN + "."
	base.AlarmActions = []string{p.PolicyARN}
	base.Period = alarmPeriod
	for _, a := range p.Alarms {
		alarm := base
		alarm.Name = a.AlarmName
		if strings.Contains(a.AlarmName, "-AlarmHigh-") {
			alarm.ComparisonOperator = "GreaterThanThreshold"
			alarm.Threshold = *c.TargetValue
			alarm.EvaluationPeriods, alarm.DatapointsToAlarm = highAlarmPeriods, highAlarmPeriods
		} else {
			alarm.ComparisonOperator = "LessThanThreshold"
			alarm.Threshold = *c.TargetValue * lowThresholdPercent
			alarm.EvaluationPeriods, alarm.DatapointsToAlarm = lowAlarmPeriods, lowAlarmPeriods
		}
		if _, err := b.CloudWatch.PutManagedAlarmTx(tx, alarm); err != nil {
			return err
		}
	}
	return nil
}

// deletePolicyAlarms deletes the alarms AWS created for a target tracking
// policy; a step policy's alarms are its owner's and stay.
func (b *Backend) deletePolicyAlarms(tx *store.Tx, p *ScalingPolicy) error {
	if b.CloudWatch == nil || p.PolicyType != PolicyTargetTracking {
		return nil
	}
	names := make([]string, 0, len(p.Alarms))
	for _, a := range p.Alarms {
		names = append(names, a.AlarmName)
	}
	return b.CloudWatch.DeleteAlarmsTx(tx, names)
}

// trackedMetric is the metric a target tracking policy's alarms watch: a
// predefined metric's CloudWatch metric for the service, or the customized
// one.
func trackedMetric(resourceID string, c *TargetTrackingScalingPolicyConfiguration) cloudwatch.ManagedAlarm {
	if m := c.PredefinedMetricSpecification; m != nil {
		svc, _ := ecsResource(resourceID)
		serviceDims := []cloudwatch.Dimension{{Name: "ClusterName", Value: svc.Cluster}, {Name: "ServiceName", Value: svc.Service}}
		switch m.PredefinedMetricType {
		case "ECSServiceAverageCPUUtilization":
			return cloudwatch.ManagedAlarm{Namespace: "AWS/ECS", Metric: "CPUUtilization", Dimensions: serviceDims, Statistic: "Average", Unit: "Percent"}
		case "ECSServiceAverageMemoryUtilization":
			return cloudwatch.ManagedAlarm{Namespace: "AWS/ECS", Metric: "MemoryUtilization", Dimensions: serviceDims, Statistic: "Average", Unit: "Percent"}
		case "ALBRequestCountPerTarget":
			// The label is app/<lb>/<id>/targetgroup/<tg>/<id>; the
			// metric's TargetGroup dimension is its second half.
			_, group, _ := strings.Cut(m.ResourceLabel, "/targetgroup/")
			return cloudwatch.ManagedAlarm{Namespace: "AWS/ApplicationELB", Metric: "RequestCountPerTarget",
				Dimensions: []cloudwatch.Dimension{{Name: "TargetGroup", Value: "targetgroup/" + group}}, Statistic: "Sum"}
		}
	}
	m := c.CustomizedMetricSpecification
	if m == nil {
		return cloudwatch.ManagedAlarm{}
	}
	if len(m.Metrics) == 0 {
		alarm := cloudwatch.ManagedAlarm{Namespace: m.Namespace, Metric: m.MetricName, Statistic: m.Statistic, Unit: m.Unit}
		for _, d := range m.Dimensions {
			alarm.Dimensions = append(alarm.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
		}
		return alarm
	}
	var queries []cloudwatch.MetricDataQuery
	for _, q := range m.Metrics {
		query := cloudwatch.MetricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
		if q.Expression != "" && (q.ReturnData == nil || *q.ReturnData) {
			period := int32(alarmPeriod)
			query.Period = &period
		}
		if s := q.MetricStat; s != nil {
			stat := &cloudwatch.MetricStat{Period: alarmPeriod, Stat: s.Stat, Unit: s.Unit,
				Metric: cloudwatch.Metric{Namespace: s.Metric.Namespace, MetricName: s.Metric.MetricName}}
			for _, d := range s.Metric.Dimensions {
				stat.Metric.Dimensions = append(stat.Metric.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
			}
			query.MetricStat = stat
		}
		queries = append(queries, query)
	}
	return cloudwatch.ManagedAlarm{Metrics: queries}
}
