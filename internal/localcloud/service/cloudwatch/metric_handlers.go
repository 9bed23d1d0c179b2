package cloudwatch

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
)

// AWS's limits on PutMetricData (CloudWatch quotas page and the API
// reference): 1,000 datums a call, 30 dimensions a metric, 150 values a
// datum; timestamps up to two weeks old and two hours ahead.
const (
	maxDatums     = 1000
	maxDimensions = 30
	maxValues     = 150
	maxPast       = 14 * 24 * time.Hour
	maxFuture     = 2 * time.Hour
)

var standardStatistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func (b *Backend) putMetricData(ctx context.Context, in *wire.PutMetricDataInput) (*struct{}, error) {
	scope, err := scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.Namespace == "" {
		return nil, errMissing("The parameter Namespace is required.")
	}
	if strings.HasPrefix(in.Namespace, "AWS/") {
		return nil, errInvalidValue("The value %s for parameter Namespace is invalid.", in.Namespace)
	}
	if len(in.MetricData) == 0 {
		return nil, errMissing("The parameter MetricData is required.")
	}
	if len(in.MetricData) > maxDatums {
		return nil, errInvalidValue("The collection MetricData must not have a size greater than %d.", maxDatums)
	}
	now := b.now()
	samples := make([]sample, len(in.MetricData))
	for i, d := range in.MetricData {
		s, err := datumSample(d, fmt.Sprintf("MetricData.member.%d", i+1), now)
		if err != nil {
			return nil, err
		}
		samples[i] = s
	}
	// Validated in full first: a call that fails stores nothing.
	for i, d := range in.MetricData {
		b.metrics.put(scope, in.Namespace, d.MetricName, d.Dimensions, samples[i], now)
	}
	return nil, nil
}

// datumSample checks one datum as CloudWatch does and turns it into what it
// adds to its metric.
func datumSample(d wire.MetricDatum, member string, now time.Time) (sample, error) {
	if d.MetricName == "" {
		return sample{}, errMissing("The parameter %s.MetricName is required.", member)
	}
	if len(d.Dimensions) > maxDimensions {
		return sample{}, errInvalidValue("The collection %s.Dimensions must not have a size greater than %d.", member, maxDimensions)
	}
	seen := map[string]bool{}
	for j, dim := range d.Dimensions {
		if dim.Name == "" || dim.Value == "" {
			return sample{}, errMissing("The parameters %s.Dimensions.member.%d.Name and Value are required.", member, j+1)
		}
		if seen[dim.Name] {
			return sample{}, errInvalidValue("No metric may have duplicate dimension names: %s.Dimensions has %s twice.", member, dim.Name)
		}
		seen[dim.Name] = true
	}
	unit := d.Unit
	if unit == "" {
		unit = "None"
	}
	if !slices.Contains(units, unit) {
		return sample{}, errInvalidValue("The value %s for parameter %s.Unit is invalid.", d.Unit, member)
	}
	s := sample{at: now, unit: unit}
	if d.Timestamp != nil {
		s.at = d.Timestamp.Time
		if s.at.Before(now.Add(-maxPast)) || s.at.After(now.Add(maxFuture)) {
			return sample{}, errInvalidValue("The parameter %s.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", member)
		}
	}
	if d.StorageResolution != nil {
		switch *d.StorageResolution {
		case 1:
			s.highRes = true
		case 60:
		default:
			return sample{}, errInvalidValue("The value %d for parameter %s.StorageResolution is invalid: it must be 1 or 60.", *d.StorageResolution, member)
		}
	}
	given := 0
	for _, set := range []bool{d.Value != nil, d.StatisticValues != nil, d.Values != nil} {
		if set {
			given++
		}
	}
	switch {
	case given == 0:
		return sample{}, errMissing("One of the parameters %[1]s.Value, %[1]s.StatisticValues or %[1]s.Values must be specified.", member)
	case given > 1:
		return sample{}, errCombination("The parameters %[1]s.Value, %[1]s.StatisticValues and %[1]s.Values are mutually exclusive and you have specified more than one.", member)
	}
	finite := func(v float64, what string) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errInvalidValue("The value %v for parameter %s.%s is invalid.", v, member, what)
		}
		return nil
	}
	switch {
	case d.Value != nil:
		v := float64(*d.Value)
		if err := finite(v, "Value"); err != nil {
			return sample{}, err
		}
		s.count, s.sum, s.min, s.max = 1, v, v, v
		s.values = []valueCount{{v, 1}}
	case d.StatisticValues != nil:
		sv := d.StatisticValues
		for _, f := range []struct {
			name string
			v    *wire.Double
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if f.v == nil {
				return sample{}, errMissing("The parameter %s.StatisticValues.%s is required.", member, f.name)
			}
			if err := finite(float64(*f.v), "StatisticValues."+f.name); err != nil {
				return sample{}, err
			}
		}
		if *sv.SampleCount <= 0 {
			return sample{}, errInvalidValue("The value %v for parameter %s.StatisticValues.SampleCount is invalid: it must be greater than 0.", *sv.SampleCount, member)
		}
		if *sv.Minimum > *sv.Maximum {
			return sample{}, errInvalidValue("The parameter %[1]s.StatisticValues.Minimum must not be greater than %[1]s.StatisticValues.Maximum.", member)
		}
		s.count, s.sum, s.min, s.max = float64(*sv.SampleCount), float64(*sv.Sum), float64(*sv.Minimum), float64(*sv.Maximum)
	default:
		if len(d.Values) > maxValues {
			return sample{}, errInvalidValue("The collection %s.Values must not have a size greater than %d.", member, maxValues)
		}
		if d.Counts != nil && len(d.Counts) != len(d.Values) {
			return sample{}, errInvalidValue("The parameters %[1]s.Values and %[1]s.Counts must be arrays of the same size.", member)
		}
		if len(d.Values) == 0 {
			return sample{}, errMissing("The parameter %s.Values must not be empty.", member)
		}
		s.min, s.max = math.Inf(1), math.Inf(-1)
		for j, dv := range d.Values {
			v := float64(dv)
			if err := finite(v, fmt.Sprintf("Values.member.%d", j+1)); err != nil {
				return sample{}, err
			}
			c := 1.0
			if d.Counts != nil {
				c = float64(d.Counts[j])
				if err := finite(c, fmt.Sprintf("Counts.member.%d", j+1)); err != nil {
					return sample{}, err
				}
				if c < 0 {
					return sample{}, errInvalidValue("The value %v for parameter %s.Counts.member.%d is invalid: counts must not be negative.", c, member, j+1)
				}
				if c == 0 {
					continue
				}
			}
			s.count += c
			s.sum += v * c
			s.min, s.max = math.Min(s.min, v), math.Max(s.max, v)
			s.values = append(s.values, valueCount{v, c})
		}
		if s.count == 0 {
			return sample{}, errInvalidValue("The parameter %s.Counts gives no value a count above 0.", member)
		}
	}
	return s, nil
}

// units are the StandardUnit enum.
var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// checkPeriod applies CloudWatch's rule: 1, 5, 10, 20, 30 or a multiple of
// 60 seconds.
func checkPeriod(period *int, member string) (time.Duration, error) {
	if period == nil {
		return 0, errMissing("The parameter %s is required.", member)
	}
	p := *period
	if p <= 0 || (p%60 != 0 && !slices.Contains([]int{1, 5, 10, 20, 30}, p)) {
		return 0, errInvalidValue("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", member)
	}
	return time.Duration(p) * time.Second, nil
}

func checkStat(stat, member string) error {
	if slices.Contains(standardStatistics, stat) {
		return nil
	}
	if _, ok := percentile(stat); ok {
		return nil
	}
	return errInvalidValue("The value %s for parameter %s is not a supported statistic (SampleCount, Average, Sum, Minimum, Maximum or pNN.NN).", stat, member)
}

func (b *Backend) getMetricStatistics(ctx context.Context, in *wire.GetMetricStatisticsInput) (*wire.GetMetricStatisticsOutput, error) {
	scope, err := scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.StartTime == nil || in.EndTime == nil {
		return nil, errMissing("The parameters StartTime and EndTime are required.")
	}
	if !in.StartTime.Before(in.EndTime.Time) {
		return nil, errInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	period, err := checkPeriod(in.Period, "Period")
	if err != nil {
		return nil, err
	}
	switch {
	case len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0:
		return nil, errMissing("Must specify either Statistics or ExtendedStatistics.")
	case len(in.Statistics) > 0 && len(in.ExtendedStatistics) > 0:
		return nil, errCombination("The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.")
	}
	for i, s := range in.Statistics {
		if !slices.Contains(standardStatistics, s) {
			return nil, errInvalidValue("The value %s for parameter Statistics.member.%d is invalid.", s, i+1)
		}
	}
	for i, s := range in.ExtendedStatistics {
		if _, ok := percentile(s); !ok {
			return nil, errInvalidValue("The value %s for parameter ExtendedStatistics.member.%d is invalid.", s, i+1)
		}
	}
	if n := in.EndTime.Sub(in.StartTime.Time) / period; n > 1440 {
		return nil, errCombination("You have requested up to %d datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n)
	}
	out := &wire.GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []wire.Datapoint{}}
	// As AWS does, a start within a minute rounds down to it (to the
	// period for high-resolution periods), so periods fall on whole
	// minutes.
	start := in.StartTime.Truncate(min(period, time.Minute))
	for _, a := range b.metrics.aggregates(scope, in.Namespace, in.MetricName, in.Dimensions, in.Unit, start, in.EndTime.Time, period) {
		dp := wire.Datapoint{Timestamp: wire.NewTime(a.start), Unit: a.unit}
		for _, s := range in.Statistics {
			f, _ := a.statistic(s)
			v := wire.Double(f)
			switch s {
			case "SampleCount":
				dp.SampleCount = &v
			case "Average":
				dp.Average = &v
			case "Sum":
				dp.Sum = &v
			case "Minimum":
				dp.Minimum = &v
			case "Maximum":
				dp.Maximum = &v
			}
		}
		for _, s := range in.ExtendedStatistics {
			if v, ok := a.statistic(s); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = wire.Map[wire.Double]{}
				}
				dp.ExtendedStatistics[s] = wire.Double(v)
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

func (b *Backend) listMetrics(ctx context.Context, in *wire.ListMetricsInput) (*wire.ListMetricsOutput, error) {
	scope, err := scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	now := b.now()
	var since time.Time
	switch in.RecentlyActive {
	case "":
	case "PT3H":
		since = now.Add(-3 * time.Hour)
	default:
		return nil, errInvalidValue("The value %s for parameter RecentlyActive is invalid: it must be PT3H.", in.RecentlyActive)
	}
	var matched []metricInfo
	for _, m := range b.metrics.list(scope, now) {
		if (in.Namespace != "" && m.Namespace != in.Namespace) || (in.MetricName != "" && m.MetricName != in.MetricName) {
			continue
		}
		if !since.IsZero() && m.last.Before(since.Truncate(time.Minute)) {
			continue
		}
		if !hasDimensions(m.Dimensions, in.Dimensions) {
			continue
		}
		matched = append(matched, m)
	}
	page, next, err := paging.Page(matched, func(m metricInfo) string {
		return seriesKey(m.Namespace, m.MetricName, m.Dimensions)
	}, in.NextToken, 500)
	if err != nil {
		return nil, errBadToken()
	}
	out := &wire.ListMetricsOutput{Metrics: make([]wire.Metric, 0, len(page)), NextToken: next}
	for _, m := range page {
		out.Metrics = append(out.Metrics, m.Metric)
	}
	return out, nil
}

// hasDimensions reports whether dims include every filter (by name, and by
// value when the filter gives one).
func hasDimensions(dims []Dimension, filters []wire.DimensionFilter) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(dims, func(d Dimension) bool {
			return d.Name == f.Name && (f.Value == nil || d.Value == *f.Value)
		}) {
			return false
		}
	}
	return true
}

// sameDimensions reports whether two dimension sets are equal as sets.
func sameDimensions(a, b []Dimension) bool {
	if len(a) != len(b) {
		return false
	}
	return slices.Equal(sortedDims(a), sortedDims(b))
}
