package cloudwatch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func alarmInput(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String("CPU"),
		Dimensions: dims("Service", "web"), Statistic: types.StatisticAverage, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(80), ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmActions: []string{"arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:x:autoScalingGroupName/g:policyName/up"},
	}
}

func (f *fixture) putCPU(t *testing.T, at time.Time, v float64) {
	t.Helper()
	_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("CPU"), Dimensions: dims("Service", "web"), Timestamp: aws.Time(at), Value: aws.Float64(v)}}})
	localcloudtest.WantCode(t, err, "")
}

func (f *fixture) evaluate(t *testing.T, now time.Time) {
	t.Helper()
	if err := f.cloud.CloudWatch.EvaluateAlarms(f.inScope(), now, 1); err != nil {
		t.Fatalf("EvaluateAlarms: %v", err)
	}
}

func (f *fixture) alarm(t *testing.T, name string) types.MetricAlarm {
	t.Helper()
	out, err := f.client.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	localcloudtest.WantCode(t, err, "")
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms %s: %d alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

// An alarm exists (the SDK's waiter says so), starts INSUFFICIENT_DATA and
// goes to ALARM when its metric crosses the threshold, then back to OK.
func TestAlarmReachesAlarm(t *testing.T) {
	f := start(t)
	_, err := f.client.PutMetricAlarm(f.ctx, alarmInput("cpu-high"))
	localcloudtest.WantCode(t, err, "")
	waiter := cloudwatch.NewAlarmExistsWaiter(f.client, func(o *cloudwatch.AlarmExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high"}}, time.Minute); err != nil {
		t.Fatalf("AlarmExists waiter: %v", err)
	}
	a := f.alarm(t, "cpu-high")
	if a.StateValue != types.StateValueInsufficientData || !*a.ActionsEnabled || a.StateUpdatedTimestamp == nil ||
		*a.AlarmArn != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high" {
		t.Fatalf("new alarm = %s enabled=%v arn=%s", a.StateValue, *a.ActionsEnabled, *a.AlarmArn)
	}

	now := time.Now().UTC()
	f.putCPU(t, now, 95)
	f.evaluate(t, now)
	a = f.alarm(t, "cpu-high")
	if a.StateValue != types.StateValueAlarm || !strings.Contains(*a.StateReason, "95") || !strings.Contains(*a.StateReasonData, `"recentDatapoints":[95]`) {
		t.Fatalf("after 95%%: %s (%s; %s), want ALARM naming the datapoint", a.StateValue, *a.StateReason, *a.StateReasonData)
	}
	byState, err := f.client.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueAlarm})
	localcloudtest.WantCode(t, err, "")
	if len(byState.MetricAlarms) != 1 {
		t.Fatalf("StateValue ALARM lists %d alarms, want 1", len(byState.MetricAlarms))
	}

	// A minute later the average is low: OK.
	f.putCPU(t, now.Add(time.Minute), 10)
	f.evaluate(t, now.Add(time.Minute))
	if a = f.alarm(t, "cpu-high"); a.StateValue != types.StateValueOk {
		t.Fatalf("after 10%%: %s (%s), want OK", a.StateValue, *a.StateReason)
	}

	hist, err := f.client.DescribeAlarmHistory(f.ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("cpu-high"), HistoryItemType: types.HistoryItemTypeStateUpdate})
	localcloudtest.WantCode(t, err, "")
	if len(hist.AlarmHistoryItems) != 2 || *hist.AlarmHistoryItems[0].HistorySummary != "Alarm updated from ALARM to OK" {
		var got []string
		for _, h := range hist.AlarmHistoryItems {
			got = append(got, *h.HistorySummary)
		}
		t.Fatalf("state history (newest first) = %q", got)
	}
}

// Evaluation periods, datapoints to alarm and missing data, pass by pass.
func TestAlarmEvaluation(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour) // a fixed grid of minutes
	minute := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	tests := []struct {
		name    string
		edit    func(*cloudwatch.PutMetricAlarmInput)
		points  map[int]float64 // minute → value
		at      int             // the minute the pass runs in (after its data)
		want    types.StateValue
		initial types.StateValue
	}{
		{"one breaching period", nil, map[int]float64{0: 90}, 0, types.StateValueAlarm, ""},
		{"below threshold", nil, map[int]float64{0: 50}, 0, types.StateValueOk, ""},
		{"no data, missing", nil, nil, 5, types.StateValueInsufficientData, ""},
		{"no data, breaching", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("breaching") }, nil, 5, types.StateValueAlarm, ""},
		{"no data, notBreaching", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("notBreaching") }, nil, 5, types.StateValueOk, ""},
		{"no data, ignore keeps the state", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("ignore") }, nil, 5, types.StateValueAlarm, types.StateValueAlarm},
		{"2 of 3 breach", func(in *cloudwatch.PutMetricAlarmInput) {
			in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(2)
		},
			map[int]float64{0: 90, 1: 10, 2: 85}, 2, types.StateValueAlarm, ""},
		{"1 of 3 breach, 2 needed", func(in *cloudwatch.PutMetricAlarmInput) {
			in.EvaluationPeriods, in.DatapointsToAlarm = aws.Int32(3), aws.Int32(2)
		},
			map[int]float64{0: 90, 1: 10, 2: 15}, 2, types.StateValueOk, ""},
		{"3 of 3 needed, one missing", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(3) },
			map[int]float64{0: 90, 2: 85}, 2, types.StateValueOk, ""},
		{"3 of 3 needed, missing breaches", func(in *cloudwatch.PutMetricAlarmInput) {
			in.EvaluationPeriods, in.TreatMissingData = aws.Int32(3), aws.String("breaching")
		}, map[int]float64{0: 90, 2: 85}, 2, types.StateValueAlarm, ""},
		{"old data is outside the window", nil, map[int]float64{0: 90}, 3, types.StateValueInsufficientData, ""},
		{"less than", func(in *cloudwatch.PutMetricAlarmInput) {
			in.ComparisonOperator = types.ComparisonOperatorLessThanThreshold
		},
			map[int]float64{0: 5}, 0, types.StateValueAlarm, ""},
		{"p90", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic, in.ExtendedStatistic = "", aws.String("p90") },
			map[int]float64{0: 100}, 0, types.StateValueAlarm, ""},
		{"metric math", func(in *cloudwatch.PutMetricAlarmInput) {
			in.Namespace, in.MetricName, in.Statistic, in.Period, in.Dimensions = nil, nil, "", nil, nil
			in.Metrics = []types.MetricDataQuery{
				{Id: aws.String("cpu"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"),
					MetricName: aws.String("CPU"), Dimensions: dims("Service", "web")}, Period: aws.Int32(60), Stat: aws.String("Maximum")}},
				{Id: aws.String("double"), Expression: aws.String("cpu * 2")},
			}
		}, map[int]float64{0: 45}, 0, types.StateValueAlarm, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t)
			name := fmt.Sprintf("alarm-%d", i)
			in := alarmInput(name)
			if tt.edit != nil {
				tt.edit(in)
			}
			_, err := f.client.PutMetricAlarm(f.ctx, in)
			localcloudtest.WantCode(t, err, "")
			if tt.initial != "" {
				_, err := f.client.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: tt.initial, StateReason: aws.String("test")})
				localcloudtest.WantCode(t, err, "")
			}
			for m, v := range tt.points {
				f.putCPU(t, minute(m).Add(5*time.Second), v)
			}
			f.evaluate(t, minute(tt.at).Add(30*time.Second))
			if a := f.alarm(t, name); a.StateValue != tt.want {
				t.Fatalf("state %s (%s), want %s", a.StateValue, *a.StateReason, tt.want)
			}
		})
	}
}

func TestAlarmOperations(t *testing.T) {
	f := start(t)
	for _, name := range []string{"web-cpu", "web-mem", "api-cpu"} {
		_, err := f.client.PutMetricAlarm(f.ctx, alarmInput(name))
		localcloudtest.WantCode(t, err, "")
	}
	names := func(out *cloudwatch.DescribeAlarmsOutput) []string {
		var got []string
		for _, a := range out.MetricAlarms {
			got = append(got, *a.AlarmName)
		}
		return got
	}
	list := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want string
	}{
		{"all", cloudwatch.DescribeAlarmsInput{}, "api-cpu web-cpu web-mem"},
		{"prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-")}, "web-cpu web-mem"},
		{"names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"api-cpu", "nope"}}, "api-cpu"},
		{"composite only", cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}, ""},
		{"action prefix", cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:autoscaling:")}, "api-cpu web-cpu web-mem"},
		{"state", cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueOk}, ""},
	}
	for _, tt := range list {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.client.DescribeAlarms(f.ctx, &tt.in)
			localcloudtest.WantCode(t, err, "")
			if got := strings.Join(names(out), " "); got != tt.want {
				t.Fatalf("listed %q, want %q", got, tt.want)
			}
		})
	}
	var paged []string
	pages := cloudwatch.NewDescribeAlarmsPaginator(f.client, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		paged = append(paged, names(page)...)
	}
	if strings.Join(paged, " ") != "api-cpu web-cpu web-mem" {
		t.Fatalf("paged %q", paged)
	}

	forMetric, err := f.client.DescribeAlarmsForMetric(f.ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("App"), MetricName: aws.String("CPU"),
		Dimensions: dims("Service", "web")})
	localcloudtest.WantCode(t, err, "")
	if len(forMetric.MetricAlarms) != 3 {
		t.Fatalf("DescribeAlarmsForMetric: %d alarms, want 3", len(forMetric.MetricAlarms))
	}
	otherDims, err := f.client.DescribeAlarmsForMetric(f.ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("App"), MetricName: aws.String("CPU"),
		Dimensions: dims("Service", "api")})
	localcloudtest.WantCode(t, err, "")
	if len(otherDims.MetricAlarms) != 0 {
		t.Fatalf("DescribeAlarmsForMetric with other dimensions: %d alarms, want 0", len(otherDims.MetricAlarms))
	}

	_, err = f.client.DisableAlarmActions(f.ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"web-cpu"}})
	localcloudtest.WantCode(t, err, "")
	if a := f.alarm(t, "web-cpu"); *a.ActionsEnabled {
		t.Fatal("DisableAlarmActions left actions enabled")
	}
	_, err = f.client.EnableAlarmActions(f.ctx, &cloudwatch.EnableAlarmActionsInput{AlarmNames: []string{"web-cpu"}})
	localcloudtest.WantCode(t, err, "")
	if a := f.alarm(t, "web-cpu"); !*a.ActionsEnabled {
		t.Fatal("EnableAlarmActions left actions disabled")
	}

	// Updating keeps the state; SetAlarmState sets it until the next pass.
	_, err = f.client.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-cpu"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("testing"), StateReasonData: aws.String(`{"by":"test"}`)})
	localcloudtest.WantCode(t, err, "")
	update := alarmInput("web-cpu")
	update.Threshold = aws.Float64(70)
	_, err = f.client.PutMetricAlarm(f.ctx, update)
	localcloudtest.WantCode(t, err, "")
	if a := f.alarm(t, "web-cpu"); a.StateValue != types.StateValueAlarm || *a.StateReason != "testing" || *a.Threshold != 70 {
		t.Fatalf("after update: %s %q threshold %v", a.StateValue, *a.StateReason, *a.Threshold)
	}

	arn := *f.alarm(t, "web-cpu").AlarmArn
	_, err = f.client.TagResource(f.ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.UntagResource(f.ctx, &cloudwatch.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"env"}})
	localcloudtest.WantCode(t, err, "")
	tags, err := f.client.ListTagsForResource(f.ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	localcloudtest.WantCode(t, err, "")
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags = %+v, want team only", tags.Tags)
	}

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"set state of a missing alarm", func() error {
			_, err := f.client.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
			return err
		}, "ResourceNotFound"},
		{"state reason data not JSON", func() error {
			_, err := f.client.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-cpu"), StateValue: types.StateValueOk,
				StateReason: aws.String("x"), StateReasonData: aws.String("{")})
			return err
		}, "InvalidFormat"},
		{"delete a missing alarm", func() error {
			_, err := f.client.DeleteAlarms(f.ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"web-cpu", "nope"}})
			return err
		}, "ResourceNotFound"},
		{"tag a missing alarm", func() error {
			_, err := f.client.TagResource(f.ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope"),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "ResourceNotFoundException"},
		{"reserved tag key", func() error {
			_, err := f.client.TagResource(f.ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
			return err
		}, "InvalidParameterValue"},
		{"names and prefix", func() error {
			_, err := f.client.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
			return err
		}, "InvalidParameterCombination"},
		{"foreign token", func() error {
			_, err := f.client.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("x")})
			return err
		}, "InvalidNextToken"},
		{"statistic and extended statistic", func() error {
			in := alarmInput("bad")
			in.ExtendedStatistic = aws.String("p99")
			_, err := f.client.PutMetricAlarm(f.ctx, in)
			return err
		}, "InvalidParameterCombination"},
		{"datapoints beyond periods", func() error {
			in := alarmInput("bad")
			in.DatapointsToAlarm = aws.Int32(2)
			_, err := f.client.PutMetricAlarm(f.ctx, in)
			return err
		}, "InvalidParameterValue"},
		{"unsupported expression", func() error {
			in := alarmInput("bad")
			in.Namespace, in.MetricName, in.Statistic, in.Period, in.Dimensions = nil, nil, "", nil, nil
			in.Metrics = []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("FILL(m1, 0)")}}
			_, err := f.client.PutMetricAlarm(f.ctx, in)
			return err
		}, "InvalidParameterValue"},
		{"anomaly band operator", func() error {
			in := alarmInput("bad")
			in.ComparisonOperator = types.ComparisonOperatorLessThanLowerOrGreaterThanUpperThreshold
			_, err := f.client.PutMetricAlarm(f.ctx, in)
			return err
		}, "InvalidParameterValue"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			localcloudtest.WantCode(t, tt.call(), tt.code)
		})
	}
	// Typed errors reach the caller: the CBOR __type names the shape.
	_, err = f.client.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	var notFound *types.ResourceNotFound
	if !errors.As(err, &notFound) || f.wire.last(t).status != 404 {
		t.Fatalf("SetAlarmState of a missing alarm: %v (status %d), want *types.ResourceNotFound with 404", err, f.wire.last(t).status)
	}

	// The failed delete deleted nothing; a good one deletes.
	if a := f.alarm(t, "web-cpu"); a.AlarmName == nil {
		t.Fatal("web-cpu is gone")
	}
	_, err = f.client.DeleteAlarms(f.ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"web-cpu", "web-mem"}})
	localcloudtest.WantCode(t, err, "")
	out, err := f.client.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{})
	localcloudtest.WantCode(t, err, "")
	if got := strings.Join(names(out), " "); got != "api-cpu" {
		t.Fatalf("after delete: %q", got)
	}
}

// With the data plane running, its passes evaluate alarms by themselves:
// the SDK's AlarmExists waiter, asked for alarms in ALARM, sees it get there.
func TestDataPlaneEvaluatesAlarms(t *testing.T) {
	cloud := localcloudtest.Start(t)
	client := cloudwatch.NewFromConfig(cloud.Config)
	ctx := context.Background()
	_, err := client.PutMetricAlarm(ctx, alarmInput("cpu-high"))
	localcloudtest.WantCode(t, err, "")
	_, err = client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("CPU"), Dimensions: dims("Service", "web"), Value: aws.Float64(99)}}})
	localcloudtest.WantCode(t, err, "")
	waiter := cloudwatch.NewAlarmExistsWaiter(client, func(o *cloudwatch.AlarmExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	})
	in := &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high"}, StateValue: types.StateValueAlarm}
	if err := waiter.Wait(ctx, in, 2*time.Minute); err != nil {
		t.Fatalf("waiting for ALARM: %v", err)
	}
}
