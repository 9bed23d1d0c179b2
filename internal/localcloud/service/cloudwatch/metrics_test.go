package cloudwatch_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	cw "github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
)

func dims(kv ...string) []types.Dimension {
	var out []types.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// The SDK speaks CBOR, answered with exactly 200, the protocol header and
// CBOR's content type; its data come back as statistics per period.
func TestPutAndGetStatisticsOverCBOR(t *testing.T) {
	f := start(t)
	base := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("App"),
		MetricData: []types.MetricDatum{
			{MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"), Timestamp: aws.Time(base), Value: aws.Float64(10), Unit: types.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"), Timestamp: aws.Time(base.Add(10 * time.Second)), Values: []float64{20, 30}, Counts: []float64{1, 2}, Unit: types.StandardUnitMilliseconds},
			{MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"), Timestamp: aws.Time(base.Add(time.Minute)),
				StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(400), Minimum: aws.Float64(50), Maximum: aws.Float64(150)}, Unit: types.StandardUnitMilliseconds},
			// Another metric: the same name with other dimensions.
			{MetricName: aws.String("Latency"), Dimensions: dims("Service", "api"), Timestamp: aws.Time(base), Value: aws.Float64(1000)},
		},
	})
	localcloudtest.WantCode(t, err, "")
	put := f.wire.last(t)
	if put.path != "/service/GraniteServiceVersion20100801/operation/PutMetricData" || put.smithyProtocol != "rpc-v2-cbor" {
		t.Fatalf("the SDK did not send CBOR: %+v", put)
	}
	if put.status != 200 || put.replyProtocol != "rpc-v2-cbor" || put.replyType != "application/cbor" {
		t.Fatalf("reply = %+v, want 200, Smithy-Protocol rpc-v2-cbor, application/cbor", put)
	}

	out, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"),
		StartTime: aws.Time(base), EndTime: aws.Time(base.Add(5 * time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticSampleCount, types.StatisticAverage, types.StatisticSum, types.StatisticMinimum, types.StatisticMaximum},
	})
	localcloudtest.WantCode(t, err, "")
	if len(out.Datapoints) != 2 {
		t.Fatalf("got %d datapoints, want 2: %+v", len(out.Datapoints), out.Datapoints)
	}
	slices.SortFunc(out.Datapoints, func(a, b types.Datapoint) int { return a.Timestamp.Compare(*b.Timestamp) })
	first, second := out.Datapoints[0], out.Datapoints[1]
	if !first.Timestamp.Equal(base) || *first.SampleCount != 4 || *first.Sum != 90 || *first.Average != 22.5 || *first.Minimum != 10 || *first.Maximum != 30 {
		t.Errorf("first minute = %s n=%v sum=%v avg=%v min=%v max=%v, want n=4 sum=90 avg=22.5 min=10 max=30",
			first.Timestamp, *first.SampleCount, *first.Sum, *first.Average, *first.Minimum, *first.Maximum)
	}
	if first.Unit != types.StandardUnitMilliseconds {
		t.Errorf("unit = %s, want Milliseconds", first.Unit)
	}
	if *second.SampleCount != 4 || *second.Average != 100 || *second.Maximum != 150 {
		t.Errorf("second minute = n=%v avg=%v max=%v, want the statistic set 4/100/150", *second.SampleCount, *second.Average, *second.Maximum)
	}

	pct, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"),
		StartTime: aws.Time(base), EndTime: aws.Time(base.Add(time.Minute)), Period: aws.Int32(60),
		ExtendedStatistics: []string{"p50", "p99"},
	})
	localcloudtest.WantCode(t, err, "")
	if len(pct.Datapoints) != 1 || pct.Datapoints[0].ExtendedStatistics["p50"] != 20 || pct.Datapoints[0].ExtendedStatistics["p99"] != 30 {
		t.Fatalf("percentiles = %+v, want p50 20 and p99 30", pct.Datapoints)
	}

	// A start within a minute rounds down to it, as AWS's does.
	rounded, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims("Service", "web"),
		StartTime: aws.Time(base.Add(20 * time.Second)), EndTime: aws.Time(base.Add(time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticSampleCount},
	})
	localcloudtest.WantCode(t, err, "")
	if len(rounded.Datapoints) != 1 || !rounded.Datapoints[0].Timestamp.Equal(base) || *rounded.Datapoints[0].SampleCount != 4 {
		t.Fatalf("start at :20 gave %+v, want the whole minute at %s", rounded.Datapoints, base)
	}

	// A unit that no datum has matches nothing; dimensions match exactly.
	for name, in := range map[string]*cloudwatch.GetMetricStatisticsInput{
		"other unit":       {Unit: types.StandardUnitBytes, Dimensions: dims("Service", "web")},
		"dimension subset": {},
	} {
		in.Namespace, in.MetricName, in.StartTime, in.EndTime, in.Period = aws.String("App"), aws.String("Latency"), aws.Time(base), aws.Time(base.Add(5*time.Minute)), aws.Int32(60)
		in.Statistics = []types.Statistic{types.StatisticSum}
		got, err := f.client.GetMetricStatistics(f.ctx, in)
		localcloudtest.WantCode(t, err, "")
		if len(got.Datapoints) != 0 {
			t.Errorf("%s: got %d datapoints, want none", name, len(got.Datapoints))
		}
	}
}

func TestMetricErrors(t *testing.T) {
	f := start(t)
	now := time.Now()
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"reserved namespace", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}}})
			return err
		}, "InvalidParameterValue"},
		{"value and statistic set", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1),
					StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}}}})
			return err
		}, "InvalidParameterCombination"},
		{"no value", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m")}}})
			return err
		}, "MissingParameter"},
		{"counts of another length", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Values: []float64{1, 2}, Counts: []float64{1}}}})
			return err
		}, "InvalidParameterValue"},
		{"timestamp three weeks old", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1), Timestamp: aws.Time(now.Add(-21 * 24 * time.Hour))}}})
			return err
		}, "InvalidParameterValue"},
		{"NaN", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(math.NaN())}}})
			return err
		}, "InvalidParameterValue"},
		{"storage resolution 30", func() error {
			_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"),
				MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1), StorageResolution: aws.Int32(30)}}})
			return err
		}, "InvalidParameterValue"},
		{"start after end", func() error {
			_, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("m"),
				StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour)), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
			return err
		}, "InvalidParameterValue"},
		{"period of 45 s", func() error {
			_, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(45), Statistics: []types.Statistic{types.StatisticSum}})
			return err
		}, "InvalidParameterValue"},
		{"both statistics kinds", func() error {
			_, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60),
				Statistics: []types.Statistic{types.StatisticSum}, ExtendedStatistics: []string{"p90"}})
			return err
		}, "InvalidParameterCombination"},
		{"no statistics", func() error {
			_, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60)})
			return err
		}, "MissingParameter"},
		{"too many datapoints", func() error {
			_, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String("m"),
				StartTime: aws.Time(now.Add(-48 * time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(60), Statistics: []types.Statistic{types.StatisticSum}})
			return err
		}, "InvalidParameterCombination"},
		{"unsupported expression", func() error {
			_, err := f.client.GetMetricData(f.ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("ANOMALY_DETECTION_BAND(m1)")}}})
			return err
		}, "InvalidParameterValue"},
		{"expressions in a cycle", func() error {
			_, err := f.client.GetMetricData(f.ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("e2 + 1")}, {Id: aws.String("e2"), Expression: aws.String("e1 * 2")}}})
			return err
		}, "InvalidParameterValue"},
		{"foreign token", func() error {
			_, err := f.client.ListMetrics(f.ctx, &cloudwatch.ListMetricsInput{NextToken: aws.String("not-ours")})
			return err
		}, "InvalidNextToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			localcloudtest.WantCode(t, err, tt.code)
			got := f.wire.last(t)
			if got.replyProtocol != "rpc-v2-cbor" || got.queryError != tt.code+";Sender" {
				t.Errorf("error reply headers: Smithy-Protocol %q, x-amzn-query-error %q; want rpc-v2-cbor and %s;Sender", got.replyProtocol, got.queryError, tt.code)
			}
		})
	}
	// The SDK maps the shape to its typed error.
	_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}}})
	var typed *types.InvalidParameterValueException
	if !errors.As(err, &typed) {
		t.Fatalf("error %v is not *types.InvalidParameterValueException", err)
	}
}

// Bodies of 10 KB or more arrive gzip-compressed (the SDK's request
// compression) and are stored like any other.
func TestPutMetricDataGzip(t *testing.T) {
	f := start(t)
	var data []types.MetricDatum
	for i := range 600 {
		data = append(data, types.MetricDatum{MetricName: aws.String(fmt.Sprintf("Metric%03d", i)), Dimensions: dims("Host", "h1"), Value: aws.Float64(float64(i))})
	}
	_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Big"), MetricData: data})
	localcloudtest.WantCode(t, err, "")
	if got := f.wire.last(t); got.contentEncoding != "gzip" {
		t.Fatalf("the SDK sent Content-Encoding %q; the test needs a gzip body", got.contentEncoding)
	}
	var listed []types.Metric
	pages := cloudwatch.NewListMetricsPaginator(f.client, &cloudwatch.ListMetricsInput{Namespace: aws.String("Big")})
	var pageCount int
	for pages.HasMorePages() {
		page, err := pages.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		listed = append(listed, page.Metrics...)
		pageCount++
	}
	if len(listed) != 600 || pageCount != 2 {
		t.Fatalf("listed %d metrics in %d pages, want 600 in 2 (500 a page)", len(listed), pageCount)
	}
}

func TestListMetricsFilters(t *testing.T) {
	f := start(t)
	put := func(ns, name string, d []types.Dimension) {
		t.Helper()
		_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns),
			MetricData: []types.MetricDatum{{MetricName: aws.String(name), Dimensions: d, Value: aws.Float64(1)}}})
		localcloudtest.WantCode(t, err, "")
	}
	put("App", "Requests", dims("Service", "web", "Zone", "a"))
	put("App", "Requests", dims("Service", "api"))
	put("App", "Errors", dims("Service", "web"))
	put("Other", "Requests", nil)
	tests := []struct {
		name string
		in   cloudwatch.ListMetricsInput
		want int
	}{
		{"all", cloudwatch.ListMetricsInput{}, 4},
		{"namespace", cloudwatch.ListMetricsInput{Namespace: aws.String("App")}, 3},
		{"name", cloudwatch.ListMetricsInput{MetricName: aws.String("Requests")}, 3},
		{"dimension value", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Service"), Value: aws.String("web")}}}, 2},
		{"dimension name only", cloudwatch.ListMetricsInput{Dimensions: []types.DimensionFilter{{Name: aws.String("Zone")}}}, 1},
		{"recently active", cloudwatch.ListMetricsInput{RecentlyActive: types.RecentlyActivePt3h, Namespace: aws.String("Other")}, 1},
		{"no match", cloudwatch.ListMetricsInput{Namespace: aws.String("None")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.client.ListMetrics(f.ctx, &tt.in)
			localcloudtest.WantCode(t, err, "")
			if len(out.Metrics) != tt.want {
				t.Fatalf("listed %d metrics, want %d: %+v", len(out.Metrics), tt.want, out.Metrics)
			}
		})
	}
}

func TestGetMetricData(t *testing.T) {
	f := start(t)
	base := time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
	var data []types.MetricDatum
	for i := range 5 {
		at := aws.Time(base.Add(time.Duration(i) * time.Minute))
		data = append(data,
			types.MetricDatum{MetricName: aws.String("Requests"), Timestamp: at, Value: aws.Float64(float64(10 * (i + 1)))},
			types.MetricDatum{MetricName: aws.String("Errors"), Timestamp: at, Value: aws.Float64(float64(i + 1))})
	}
	_, err := f.client.PutMetricData(f.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data})
	localcloudtest.WantCode(t, err, "")
	stat := func(id, name string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String(name)}, Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	queries := []types.MetricDataQuery{
		stat("requests", "Requests"), stat("errors", "Errors"),
		{Id: aws.String("rate"), Expression: aws.String("100 * errors / requests"), Label: aws.String("Error rate")},
		{Id: aws.String("total"), Expression: aws.String("SUM([requests, errors])")},
		{Id: aws.String("ratio"), Expression: aws.String("rate / 100"), ReturnData: aws.Bool(false)}, // an expression of an expression
		{Id: aws.String("check"), Expression: aws.String("(ratio - 0.1) * 1000 + MAX(requests)")},
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(base), EndTime: aws.Time(base.Add(10 * time.Minute)), MetricDataQueries: queries,
		ScanBy: types.ScanByTimestampAscending, MaxDatapoints: aws.Int32(4)}
	var rate, total, check []float64
	var pages int
	paginator := cloudwatch.NewGetMetricDataPaginator(f.client, in)
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		pages++
		if len(page.MetricDataResults) != 3 {
			t.Fatalf("got %d results, want the 3 with ReturnData", len(page.MetricDataResults))
		}
		for _, r := range page.MetricDataResults {
			switch *r.Id {
			case "rate":
				rate = append(rate, r.Values...)
				if *r.Label != "Error rate" {
					t.Errorf("label %q", *r.Label)
				}
			case "total":
				total = append(total, r.Values...)
			case "check":
				check = append(check, r.Values...)
			}
			if len(r.Timestamps) > 1 && r.Timestamps[0].After(r.Timestamps[1]) {
				t.Errorf("ScanBy TimestampAscending gave %v", r.Timestamps)
			}
		}
	}
	if want := []float64{10, 10, 10, 10, 10}; !slices.Equal(rate, want) {
		t.Errorf("rate = %v, want %v", rate, want)
	}
	if want := []float64{11, 22, 33, 44, 55}; !slices.Equal(total, want) {
		t.Errorf("total = %v, want %v", total, want)
	}
	// MAX of one series is a scalar (50), shown at every period.
	if want := []float64{50, 50, 50, 50, 50}; !slices.Equal(check, want) {
		t.Errorf("check = %v, want %v", check, want)
	}
	if pages != 5 {
		t.Errorf("%d pages, want 5 (1 timestamp × 3 results fits 4 datapoints)", pages)
	}
}

// The in-process API autoscaling will use reads what PutMetricData wrote.
func TestInProcessPutAndStatistics(t *testing.T) {
	f := start(t)
	ctx := f.inScope()
	at := time.Now().UTC().Truncate(time.Minute)
	for _, v := range []float64{40, 60} {
		if err := f.cloud.CloudWatch.Put(ctx, "AWS/ECS", "CPUUtilization", []cw.Dimension{{Name: "ServiceName", Value: "web"}}, v, "Percent", at); err != nil {
			t.Fatal(err)
		}
	}
	points, err := f.cloud.CloudWatch.Statistics(ctx, cw.StatisticsQuery{Namespace: "AWS/ECS", MetricName: "CPUUtilization",
		Dimensions: []cw.Dimension{{Name: "ServiceName", Value: "web"}}, Statistic: "Average", Start: at, End: at.Add(time.Minute), Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 1 || points[0].Value != 50 || points[0].SampleCount != 2 {
		t.Fatalf("Statistics = %+v, want one point of average 50 over 2 samples", points)
	}
	out, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"),
		Dimensions: dims("ServiceName", "web"), StartTime: aws.Time(at), EndTime: aws.Time(at.Add(time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticMaximum}})
	localcloudtest.WantCode(t, err, "")
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Maximum != 60 {
		t.Fatalf("the SDK sees %+v, want a maximum of 60", out.Datapoints)
	}
}
