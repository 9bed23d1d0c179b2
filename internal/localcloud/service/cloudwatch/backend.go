// Package cloudwatch is the local cloud's Amazon CloudWatch: custom metrics
// (PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics), metric
// alarms evaluated against them by the data plane's passes, and tags.
//
// CloudWatch speaks three protocols with one set of handlers: Smithy RPC v2
// CBOR (the only one aws-sdk-go-v2's cloudwatch module sends since it moved
// to CBOR; v1.75.7, the version this module builds with, sends CBOR to
// POST /service/GraniteServiceVersion20100801/operation/{Op}), awsJson 1.0
// (botocore ≥ 1.42.7: the AWS CLI and boto3 installed here, botocore
// 1.43.11) and query (older SDKs, Version 2010-08-01).
package cloudwatch

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/protocol/cbor"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	signingName  = "monitoring"
	serviceShape = "GraniteServiceVersion20100801" // the target prefix and the CBOR path's service
	namespace    = "com.amazonaws.cloudwatch"
	version      = "2010-08-01"
	xmlNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/"
)

// Backend holds CloudWatch's state: alarms in the store, metric data in
// memory (see metrics.go).
type Backend struct {
	store   *store.Store
	metrics *metrics
	now     func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, metrics: newMetrics(), now: time.Now}
}

// Services returns CloudWatch's operation table once per protocol it
// speaks: the router finds CBOR by path, awsJson 1.0 by target prefix and
// query by Version. The operations are the same handlers.
func (b *Backend) Services() []*protocol.Service {
	ops := b.operations()
	return []*protocol.Service{
		{SigningName: signingName, Codec: cbor.Codec{ServiceName: serviceShape, Namespace: namespace, QueryErrors: errorShapes}, Operations: ops},
		{SigningName: signingName, TargetPrefix: serviceShape, Codec: awsjson.Codec{Version: "1.0", Namespace: namespace, QueryErrors: errorShapes}, Operations: ops},
		{SigningName: signingName, Version: version, Codec: query.Codec{Namespace: xmlNamespace}, Operations: ops},
	}
}

func (b *Backend) operations() []protocol.Operation {
	return []protocol.Operation{
		protocol.Op("PutMetricData", b.putMetricData),
		protocol.Op("GetMetricStatistics", b.getMetricStatistics),
		protocol.Op("GetMetricData", b.getMetricData),
		protocol.Op("ListMetrics", b.listMetrics),
		protocol.Op("PutMetricAlarm", b.putMetricAlarm),
		protocol.Op("DescribeAlarms", b.describeAlarms),
		protocol.Op("DescribeAlarmsForMetric", b.describeAlarmsForMetric),
		protocol.Op("DeleteAlarms", b.deleteAlarms),
		protocol.Op("SetAlarmState", b.setAlarmState),
		protocol.Op("EnableAlarmActions", b.enableAlarmActions),
		protocol.Op("DisableAlarmActions", b.disableAlarmActions),
		protocol.Op("DescribeAlarmHistory", b.describeAlarmHistory),
		protocol.Op("TagResource", b.tagResource),
		protocol.Op("UntagResource", b.untagResource),
		protocol.Op("ListTagsForResource", b.listTagsForResource),
	}
}

// Reset forgets all metric data (the store's reset forgets the alarms).
func (b *Backend) Reset() { b.metrics.reset() }

func scopeOf(ctx context.Context) (store.Scope, error) {
	scope, ok := store.ScopeFrom(ctx)
	if !ok || scope.Region == "" {
		return store.Scope{}, fmt.Errorf("cloudwatch: the context carries no account and region")
	}
	return scope, nil
}

// Put records one value of a metric in the scope ctx carries, as
// PutMetricData with Value would: for the local cloud's own producers
// (load balancers, tasks, Auto Scaling) that report metrics in-process.
// Unlike PutMetricData it may write the AWS/ namespaces, as AWS's own
// services do; unit "" is None and a zero time is now. The value is kept
// at one-second resolution, so that the shortened periods of a local
// cloud with a time scale (controller.Options.TimeScale) can read it; a
// minute's statistics are the same either way.
func (b *Backend) Put(ctx context.Context, namespace, name string, dims []Dimension, value float64, unit string, at time.Time) error {
	scope, err := scopeOf(ctx)
	if err != nil {
		return err
	}
	if unit == "" {
		unit = "None"
	}
	if at.IsZero() {
		at = b.now()
	}
	b.metrics.put(scope, namespace, name, dims, sample{at: at, highRes: true, unit: unit, count: 1, sum: value, min: value, max: value,
		values: []valueCount{{value, 1}}}, b.now())
	return nil
}

// StatisticsQuery asks for one statistic of a metric over [Start, End) in
// periods of Period.
type StatisticsQuery struct {
	Namespace, MetricName string
	Dimensions            []Dimension
	// Statistic is SampleCount, Average, Sum, Minimum, Maximum or pNN.
	Statistic  string
	Unit       string // "" matches any
	Start, End time.Time
	Period     time.Duration
}

// StatisticPoint is one period's value of a statistic.
type StatisticPoint struct {
	Timestamp   time.Time
	Value       float64
	SampleCount float64
}

// Statistics returns the statistic for each period that holds data, oldest
// first, as GetMetricStatistics computes it.
func (b *Backend) Statistics(ctx context.Context, q StatisticsQuery) ([]StatisticPoint, error) {
	scope, err := scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []StatisticPoint
	for _, a := range b.metrics.aggregates(scope, q.Namespace, q.MetricName, q.Dimensions, q.Unit, q.Start, q.End, q.Period) {
		if v, ok := a.statistic(q.Statistic); ok {
			out = append(out, StatisticPoint{Timestamp: a.start, Value: v, SampleCount: a.count})
		}
	}
	return out, nil
}
