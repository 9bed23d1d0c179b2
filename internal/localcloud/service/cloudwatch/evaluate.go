package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// EvaluateAlarms evaluates every metric alarm of the scope ctx carries
// against the metric data at now, as CloudWatch does each period; the data
// plane's passes call it. It writes only alarms whose state changes, so at
// rest it commits nothing.
//
// The window is the alarm's last EvaluationPeriods periods (aligned to the
// epoch). The newest is the period now falls in when it already holds data
// (so that a local alarm answers within a pass of the datapoint, not a
// period later), else the last complete one. A window of which
// DatapointsToAlarm periods breach is ALARM; otherwise missing periods
// count as TreatMissingData says: missing (the default) and ignore leave
// them out (all missing is INSUFFICIENT_DATA for missing, no change for
// ignore), breaching and notBreaching count them as such.
//
// timeScale (see ScaledPeriod) shortens every alarm's period for tests and
// demos; 1 is AWS's timing. The alarms keep and describe their own period.
func (b *Backend) EvaluateAlarms(ctx context.Context, now time.Time, timeScale float64) error {
	scope, err := scopeOf(ctx)
	if err != nil {
		return err
	}
	alarms, err := b.listAlarms(ctx)
	if err != nil {
		return err
	}
	type change struct {
		name, state, reason, data string
	}
	var changes []change
	for _, a := range alarms {
		state, reason, data, ok := b.evaluate(scope, a, now, timeScale)
		if ok && state != a.State {
			changes = append(changes, change{a.Config.AlarmName, state, reason, data})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return b.store.Update(ctx, func(tx *store.Tx) error {
		for _, c := range changes {
			a, err := loadAlarm(tx, c.name)
			if err != nil {
				return err
			}
			if a == nil { // deleted meanwhile
				continue
			}
			if err := b.transition(tx, a, c.state, c.reason, c.data, false); err != nil {
				return err
			}
		}
		return nil
	})
}

// evaluate returns the state the alarm's data puts it in; ok is false when
// the state should not change (ignore with no data).
func (b *Backend) evaluate(scope store.Scope, a *Alarm, now time.Time, timeScale float64) (state, reason, data string, ok bool) {
	c := a.Config
	n := int(*c.EvaluationPeriods)
	m := n
	if c.DatapointsToAlarm != nil {
		m = int(*c.DatapointsToAlarm)
	}
	values, period, stat := b.alarmSeries(scope, c, now, n, timeScale)
	if period <= 0 {
		return "", "", "", false
	}
	p := int64(period / time.Second)
	newest := now.Unix() / p * p
	if _, has := values[newest]; !has {
		newest -= p
	}
	threshold := float64(*c.Threshold)
	var breaching, present int
	var recent []float64
	var evaluated []map[string]any
	for i := range n {
		t := newest - int64(i)*p
		v, has := values[t]
		if !has {
			switch c.TreatMissingData {
			case "breaching":
				breaching++
			}
			continue
		}
		present++
		recent = append(recent, v)
		evaluated = append(evaluated, map[string]any{"timestamp": time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05.000+0000"), "value": v})
		if breaches(c.ComparisonOperator, v, threshold) {
			breaching++
		}
	}
	switch {
	case breaching >= m:
		state = StateAlarm
	case present == 0 && (c.TreatMissingData == "" || c.TreatMissingData == "missing"):
		state = StateInsufficientData
	case present == 0 && c.TreatMissingData == "ignore":
		return "", "", "", false
	default:
		state = StateOK
	}
	if state == StateInsufficientData {
		reason = fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", n)
	} else {
		verb := "was"
		if state == StateOK {
			verb = "was not"
		}
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %d datapoints for OK -> ALARM transition).",
			breaching, n, formatValues(recent), verb, operatorWords[c.ComparisonOperator], strconv.FormatFloat(threshold, 'f', -1, 64), m)
	}
	raw, _ := json.Marshal(map[string]any{
		"version": "1.0", "queryDate": now.UTC().Format("2006-01-02T15:04:05.000+0000"),
		"statistic": stat, "period": p, "recentDatapoints": orEmpty(recent), "threshold": threshold,
		"evaluatedDatapoints": orEmpty(evaluated),
	})
	return state, reason, string(raw), true
}

// alarmSeries reads the alarm's metric (or its metric math's returned
// query) over the evaluation window.
func (b *Backend) alarmSeries(scope store.Scope, c wire.PutMetricAlarmInput, now time.Time, n int, timeScale float64) (seriesValues, time.Duration, string) {
	if len(c.Metrics) == 0 {
		period := ScaledPeriod(time.Duration(*c.Period)*time.Second, timeScale)
		stat := c.Statistic
		if stat == "" {
			stat = c.ExtendedStatistic
		}
		start, end := window(now, period, n)
		values := seriesValues{}
		for _, a := range b.metrics.aggregates(scope, c.Namespace, c.MetricName, c.Dimensions, c.Unit, start, end, period) {
			if v, ok := a.statistic(stat); ok {
				values[a.start.Unix()] = v
			}
		}
		return values, period, stat
	}
	// The period is the returned query's: its MetricStat's, else its own
	// Period, else that of the first metric it can be reading.
	var returned *wire.MetricDataQuery
	var firstStat time.Duration
	for i := range c.Metrics {
		q := &c.Metrics[i]
		if q.ReturnData == nil || *q.ReturnData {
			returned = q
		}
		if q.MetricStat != nil && firstStat == 0 {
			firstStat = time.Duration(valueOf(q.MetricStat.Period)) * time.Second
		}
	}
	if returned == nil {
		return nil, 0, ""
	}
	period := firstStat
	switch {
	case returned.MetricStat != nil:
		period = time.Duration(valueOf(returned.MetricStat.Period)) * time.Second
	case returned.Period != nil:
		period = time.Duration(*returned.Period) * time.Second
	}
	if period <= 0 {
		return nil, 0, ""
	}
	period = ScaledPeriod(period, timeScale)
	start, end := window(now, period, n)
	series, err := b.runQueries(scope, c.Metrics, start, end, "Metrics")
	if err != nil {
		return seriesValues{}, period, "expression"
	}
	return series[returned.Id], period, "expression"
}

// window is the time range holding the last n periods and the current one.
func window(now time.Time, period time.Duration, n int) (time.Time, time.Time) {
	p := int64(period / time.Second)
	current := now.Unix() / p * p
	return time.Unix(current-int64(n)*p, 0), time.Unix(current+p, 0)
}

func breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

var operatorWords = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

func formatValues(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// ScaledPeriod is d on a time scale: d/timeScale, at least a second and in
// whole seconds when d is (CloudWatch's finest resolution). A timeScale of
// 1 or less is AWS's timing, and 0 stays 0.
func ScaledPeriod(d time.Duration, timeScale float64) time.Duration {
	if timeScale <= 1 || d <= 0 {
		return d
	}
	out := time.Duration(float64(d) / timeScale)
	if d%time.Second == 0 {
		out = out.Round(time.Second)
	}
	return max(out, time.Second)
}
