package cloudwatch

import (
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
)

// The handlers take and return the shapes generated from CloudWatch's model
// (package wire), one set for the three protocols it speaks.

// Dimension is a name/value pair of a metric's identity.
type Dimension = wire.Dimension

// The in-process API of managed alarms (ManagedAlarm.Metrics) names its
// metric math queries with these, as Application Auto Scaling builds them;
// PutManagedAlarmTx stores them as the wire's queries.

// MetricDataQuery is one query of a managed alarm's metric math.
type MetricDataQuery struct {
	Id         string
	MetricStat *MetricStat
	Expression string
	Label      string
	ReturnData *bool
	Period     *int32
}

// MetricStat is a metric, a period and a statistic.
type MetricStat struct {
	Metric Metric
	Period int32
	Stat   string
	Unit   string
}

// Metric names a metric.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

func (q MetricDataQuery) wire() wire.MetricDataQuery {
	out := wire.MetricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
	if q.Period != nil {
		out.Period = ptr(int(*q.Period))
	}
	if s := q.MetricStat; s != nil {
		out.MetricStat = &wire.MetricStat{Period: ptr(int(s.Period)), Stat: s.Stat, Unit: s.Unit,
			Metric: &wire.Metric{Namespace: s.Metric.Namespace, MetricName: s.Metric.MetricName, Dimensions: s.Metric.Dimensions}}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
