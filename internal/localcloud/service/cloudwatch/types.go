package cloudwatch

import (
	"encoding/json"
	"math"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
)

// The wire shapes. One set serves the three protocols CloudWatch speaks:
// Go field names are the model's member names (the JSON and CBOR keys, and
// the query form's keys, lists as X.member.N), `xml` tags give the query
// protocol's <member> lists, and Time is a timestamp in each protocol's form.

// Time is a timestamp: epoch seconds in JSON, tag 1 in CBOR, ISO 8601 in
// query forms and XML.
type Time struct{ time.Time }

func newTime(t time.Time) *Time { return &Time{t.UTC()} }

// MarshalJSON writes epoch seconds (the Go SDK rejects strings).
func (t Time) MarshalJSON() ([]byte, error) { return awsjson.NewTime(t.Time).MarshalJSON() }

// UnmarshalJSON reads epoch seconds or, leniently, RFC 3339.
func (t *Time) UnmarshalJSON(b []byte) error {
	var a awsjson.Time
	if err := a.UnmarshalJSON(b); err != nil {
		return err
	}
	t.Time = a.Time()
	return nil
}

// MarshalText is the query protocol's XML form.
func (t Time) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// UnmarshalText reads a query form's ISO 8601 timestamp.
func (t *Time) UnmarshalText(b []byte) error {
	parsed, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// CBORTime makes CBOR send the value as a tag 1 timestamp.
func (t Time) CBORTime() time.Time { return t.Time }

// Dimension is a name/value pair of a metric's identity.
type Dimension struct {
	Name  string
	Value string
}

// DimensionFilter matches a dimension by name, and by value when given.
type DimensionFilter struct {
	Name  string
	Value *string `json:",omitempty"`
}

// Double is a request's double: JSON and CBOR (through JSON) carry NaN and
// the infinities as the strings Smithy's JSON protocols use, so that they
// reach the handler and get CloudWatch's InvalidParameterValue.
type Double float64

// UnmarshalJSON reads a number or "NaN", "Infinity", "-Infinity".
func (d *Double) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*d = Double(math.NaN())
	case `"Infinity"`:
		*d = Double(math.Inf(1))
	case `"-Infinity"`:
		*d = Double(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*d = Double(f)
	}
	return nil
}

// StatisticSet is a datum given as its aggregate.
type StatisticSet struct {
	SampleCount *Double
	Sum         *Double
	Minimum     *Double
	Maximum     *Double
}

// MetricDatum is one PutMetricData entry.
type MetricDatum struct {
	MetricName        string
	Dimensions        []Dimension
	Timestamp         *Time
	Value             *Double
	StatisticValues   *StatisticSet
	Values            []Double
	Counts            []Double
	Unit              string
	StorageResolution *int32
}

type putMetricDataInput struct {
	Namespace  string
	MetricData []MetricDatum
	// EntityMetricData and StrictEntityValidation are accepted and unused:
	// entities only link metrics to resources in AWS's consoles.
}

type getMetricStatisticsInput struct {
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	StartTime          *Time
	EndTime            *Time
	Period             *int32
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

// Datapoint is one period's statistics, as GetMetricStatistics returns it.
type Datapoint struct {
	Timestamp          *Time              `json:",omitempty" xml:",omitempty"`
	SampleCount        *float64           `json:",omitempty" xml:",omitempty"`
	Average            *float64           `json:",omitempty" xml:",omitempty"`
	Sum                *float64           `json:",omitempty" xml:",omitempty"`
	Minimum            *float64           `json:",omitempty" xml:",omitempty"`
	Maximum            *float64           `json:",omitempty" xml:",omitempty"`
	Unit               string             `json:",omitempty" xml:",omitempty"`
	ExtendedStatistics map[string]float64 `json:",omitempty" xml:"-"`
	// XMLExtendedStatistics is ExtendedStatistics as the query protocol's
	// map entries.
	XMLExtendedStatistics []xmlEntry `json:"-" xml:"ExtendedStatistics>entry,omitempty"`
}

type xmlEntry struct {
	Key   string  `xml:"key"`
	Value float64 `xml:"value"`
}

type getMetricStatisticsOutput struct {
	Label      string      `json:",omitempty" xml:",omitempty"`
	Datapoints []Datapoint `xml:"Datapoints>member"`
}

// Metric names a metric.
type Metric struct {
	Namespace  string      `json:",omitempty" xml:",omitempty"`
	MetricName string      `json:",omitempty" xml:",omitempty"`
	Dimensions []Dimension `xml:"Dimensions>member"`
}

// MetricStat is a metric, a period and a statistic.
type MetricStat struct {
	Metric Metric
	Period int32
	Stat   string
	Unit   string `json:",omitempty" xml:",omitempty"`
}

// MetricDataQuery is one query of GetMetricData or of a metric-math alarm.
type MetricDataQuery struct {
	Id         string
	MetricStat *MetricStat `json:",omitempty" xml:",omitempty"`
	Expression string      `json:",omitempty" xml:",omitempty"`
	Label      string      `json:",omitempty" xml:",omitempty"`
	ReturnData *bool       `json:",omitempty" xml:",omitempty"`
	Period     *int32      `json:",omitempty" xml:",omitempty"`
	AccountId  string      `json:",omitempty" xml:",omitempty"`
}

type getMetricDataInput struct {
	MetricDataQueries []MetricDataQuery
	StartTime         *Time
	EndTime           *Time
	NextToken         string
	ScanBy            string
	MaxDatapoints     *int32
}

// MessageData is a note attached to a result.
type MessageData struct {
	Code  string `json:",omitempty" xml:",omitempty"`
	Value string `json:",omitempty" xml:",omitempty"`
}

// MetricDataResult is one query's series.
type MetricDataResult struct {
	Id         string
	Label      string
	Timestamps []Time        `xml:"Timestamps>member"`
	Values     []float64     `xml:"Values>member"`
	StatusCode string        `json:",omitempty" xml:",omitempty"`
	Messages   []MessageData `xml:"Messages>member"`
}

type getMetricDataOutput struct {
	MetricDataResults []MetricDataResult `xml:"MetricDataResults>member"`
	NextToken         string             `json:",omitempty" xml:",omitempty"`
	Messages          []MessageData      `xml:"Messages>member"`
}

type listMetricsInput struct {
	Namespace      string
	MetricName     string
	Dimensions     []DimensionFilter
	NextToken      string
	RecentlyActive string
}

type listMetricsOutput struct {
	Metrics   []Metric `xml:"Metrics>member"`
	NextToken string   `json:",omitempty" xml:",omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

type putMetricAlarmInput struct {
	AlarmName                        string
	AlarmDescription                 *string
	ActionsEnabled                   *bool
	OKActions                        []string
	AlarmActions                     []string
	InsufficientDataActions          []string
	MetricName                       string
	Namespace                        string
	Statistic                        string
	ExtendedStatistic                string
	Dimensions                       []Dimension
	Period                           *int32
	Unit                             string
	EvaluationPeriods                *int32
	DatapointsToAlarm                *int32
	Threshold                        *float64
	ComparisonOperator               string
	TreatMissingData                 string
	EvaluateLowSampleCountPercentile string
	Metrics                          []MetricDataQuery
	Tags                             []Tag
	ThresholdMetricId                string
}

// MetricAlarm is an alarm as DescribeAlarms returns it.
type MetricAlarm struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string `json:",omitempty" xml:",omitempty"`
	AlarmConfigurationUpdatedTimestamp *Time  `json:",omitempty" xml:",omitempty"`
	ActionsEnabled                     bool
	OKActions                          []string `xml:"OKActions>member"`
	AlarmActions                       []string `xml:"AlarmActions>member"`
	InsufficientDataActions            []string `xml:"InsufficientDataActions>member"`
	StateValue                         string
	StateReason                        string
	StateReasonData                    string      `json:",omitempty" xml:",omitempty"`
	StateUpdatedTimestamp              *Time       `json:",omitempty" xml:",omitempty"`
	StateTransitionedTimestamp         *Time       `json:",omitempty" xml:",omitempty"`
	MetricName                         string      `json:",omitempty" xml:",omitempty"`
	Namespace                          string      `json:",omitempty" xml:",omitempty"`
	Statistic                          string      `json:",omitempty" xml:",omitempty"`
	ExtendedStatistic                  string      `json:",omitempty" xml:",omitempty"`
	Dimensions                         []Dimension `xml:"Dimensions>member"`
	Period                             *int32      `json:",omitempty" xml:",omitempty"`
	Unit                               string      `json:",omitempty" xml:",omitempty"`
	EvaluationPeriods                  int32
	DatapointsToAlarm                  *int32   `json:",omitempty" xml:",omitempty"`
	Threshold                          *float64 `json:",omitempty" xml:",omitempty"`
	ComparisonOperator                 string
	TreatMissingData                   string            `json:",omitempty" xml:",omitempty"`
	EvaluateLowSampleCountPercentile   string            `json:",omitempty" xml:",omitempty"`
	Metrics                            []MetricDataQuery `json:",omitempty" xml:"Metrics>member"`
	ThresholdMetricId                  string            `json:",omitempty" xml:",omitempty"`
	EvaluationState                    string            `json:",omitempty" xml:",omitempty"`
}

type describeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          string
	ActionPrefix        string
	MaxRecords          *int32
	NextToken           string
}

type describeAlarmsOutput struct {
	MetricAlarms    []MetricAlarm `xml:"MetricAlarms>member"`
	CompositeAlarms []struct{}    `json:",omitempty" xml:"CompositeAlarms>member"`
	NextToken       string        `json:",omitempty" xml:",omitempty"`
}

type describeAlarmsForMetricInput struct {
	MetricName        string
	Namespace         string
	Statistic         string
	ExtendedStatistic string
	Dimensions        []Dimension
	Period            *int32
	Unit              string
}

type describeAlarmsForMetricOutput struct {
	MetricAlarms []MetricAlarm `xml:"MetricAlarms>member"`
}

type alarmNamesInput struct {
	AlarmNames []string
}

type setAlarmStateInput struct {
	AlarmName       string
	StateValue      string
	StateReason     string
	StateReasonData *string
}

type describeAlarmHistoryInput struct {
	AlarmName          string
	AlarmContributorId string
	AlarmTypes         []string
	HistoryItemType    string
	StartDate          *Time
	EndDate            *Time
	MaxRecords         *int32
	NextToken          string
	ScanBy             string
}

// AlarmHistoryItem is one entry of an alarm's history.
type AlarmHistoryItem struct {
	AlarmName       string
	AlarmType       string
	Timestamp       *Time
	HistoryItemType string
	HistorySummary  string
	HistoryData     string
}

type describeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem `xml:"AlarmHistoryItems>member"`
	NextToken         string             `json:",omitempty" xml:",omitempty"`
}

type tagResourceInput struct {
	ResourceARN string
	Tags        []Tag
}

type untagResourceInput struct {
	ResourceARN string
	TagKeys     []string
}

type listTagsForResourceInput struct {
	ResourceARN string
}

type listTagsForResourceOutput struct {
	Tags []Tag `xml:"Tags>member"`
}

type empty struct{}
