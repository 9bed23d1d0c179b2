package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	tableAlarms  = "cloudwatch/alarms"  // by alarm name
	tableHistory = "cloudwatch/history" // by alarm name; outlives the alarm, as AWS's does
	// maxHistory bounds each alarm's history (AWS keeps 30 days of it).
	maxHistory = 100
	// maxAlarms is CloudWatch's default quota of metric alarms per region.
	maxAlarms = 10000
)

// The alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

var comparisonOperators = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}

// Alarm is a stored metric alarm: its configuration as put, and its state.
type Alarm struct {
	Config        wire.PutMetricAlarmInput `json:"config"`
	ARN           string                   `json:"arn"`
	ConfigUpdated time.Time                `json:"configUpdated"`
	State         string                   `json:"state"`
	Reason        string                   `json:"reason"`
	ReasonData    string                   `json:"reasonData,omitempty"`
	StateUpdated  time.Time                `json:"stateUpdated"`
	// Transitioned is when the state last changed value (a SetAlarmState
	// to the same state updates StateUpdated only).
	Transitioned time.Time     `json:"transitioned"`
	Tags         []tagging.Tag `json:"tags,omitempty"`
}

type history struct {
	Items []historyItem `json:"items"`
}

type historyItem struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Summary string    `json:"summary"`
	Data    string    `json:"data"`
}

func (a *Alarm) wire() wire.MetricAlarm {
	c := a.Config
	return wire.MetricAlarm{
		AlarmName:                          c.AlarmName,
		AlarmArn:                           a.ARN,
		AlarmDescription:                   c.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: wire.NewTime(a.ConfigUpdated),
		ActionsEnabled:                     ptr(c.ActionsEnabled == nil || *c.ActionsEnabled),
		OKActions:                          orEmpty(c.OKActions),
		AlarmActions:                       orEmpty(c.AlarmActions),
		InsufficientDataActions:            orEmpty(c.InsufficientDataActions),
		StateValue:                         a.State,
		StateReason:                        a.Reason,
		StateReasonData:                    a.ReasonData,
		StateUpdatedTimestamp:              wire.NewTime(a.StateUpdated),
		StateTransitionedTimestamp:         wire.NewTime(a.Transitioned),
		MetricName:                         c.MetricName,
		Namespace:                          c.Namespace,
		Statistic:                          c.Statistic,
		ExtendedStatistic:                  c.ExtendedStatistic,
		Dimensions:                         orEmpty(c.Dimensions),
		Period:                             c.Period,
		Unit:                               c.Unit,
		EvaluationPeriods:                  ptr(valueOf(c.EvaluationPeriods)),
		DatapointsToAlarm:                  c.DatapointsToAlarm,
		Threshold:                          c.Threshold,
		ComparisonOperator:                 c.ComparisonOperator,
		TreatMissingData:                   c.TreatMissingData,
		EvaluateLowSampleCountPercentile:   c.EvaluateLowSampleCountPercentile,
		Metrics:                            c.Metrics,
		ThresholdMetricId:                  c.ThresholdMetricId,
	}
}

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func loadAlarm(tx *store.Tx, name string) (*Alarm, error) {
	return store.Get[Alarm](tx, tableAlarms, name)
}

func addHistory(tx *store.Tx, name string, item historyItem) error {
	h, err := store.Get[history](tx, tableHistory, name)
	if err != nil {
		return err
	}
	if h == nil {
		h = &history{}
	}
	h.Items = append(h.Items, item)
	if len(h.Items) > maxHistory {
		h.Items = slices.Delete(h.Items, 0, len(h.Items)-maxHistory)
	}
	return tx.Put(tableHistory, name, h)
}

// checkAlarm applies the rules the model cannot express.
func checkAlarm(in *wire.PutMetricAlarmInput) error {
	if in.AlarmName == "" {
		return errMissing("The parameter AlarmName is required.")
	}
	if in.EvaluationPeriods == nil || *in.EvaluationPeriods < 1 {
		return errMissing("The parameter EvaluationPeriods is required and must be at least 1.")
	}
	if in.DatapointsToAlarm != nil && (*in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > *in.EvaluationPeriods) {
		return errInvalidValue("DatapointsToAlarm must be between 1 and EvaluationPeriods (%d).", *in.EvaluationPeriods)
	}
	if !slices.Contains(comparisonOperators, in.ComparisonOperator) {
		if in.ComparisonOperator == "" {
			return errMissing("The parameter ComparisonOperator is required.")
		}
		return errInvalidValue("The comparison operator %s is not supported by the local cloud (anomaly detection bands are not); use one of %s.", in.ComparisonOperator, strings.Join(comparisonOperators, ", "))
	}
	if in.Threshold == nil {
		return errMissing("The parameter Threshold is required.")
	}
	switch in.TreatMissingData {
	case "", "missing", "breaching", "notBreaching", "ignore":
	default:
		return errInvalidValue("The value %s for parameter TreatMissingData is invalid: it must be breaching, notBreaching, ignore or missing.", in.TreatMissingData)
	}
	switch in.EvaluateLowSampleCountPercentile {
	case "", "evaluate", "ignore":
	default:
		return errInvalidValue("The value %s for parameter EvaluateLowSampleCountPercentile is invalid: it must be evaluate or ignore.", in.EvaluateLowSampleCountPercentile)
	}
	if len(in.Metrics) > 0 {
		if in.MetricName != "" || in.Namespace != "" || in.Statistic != "" || in.ExtendedStatistic != "" || len(in.Dimensions) > 0 || in.Period != nil {
			return errCombination("The parameters Metrics and MetricName (Namespace, Statistic, ExtendedStatistic, Dimensions, Period) are mutually exclusive.")
		}
		returned := 0
		for _, q := range in.Metrics {
			if q.ReturnData == nil || *q.ReturnData {
				returned++
			}
		}
		if returned != 1 {
			return errInvalidValue("Exactly one element of the Metrics array must have ReturnData set to true; %d do.", returned)
		}
		_, err := checkQueries(in.Metrics, "Metrics")
		return err
	}
	if in.MetricName == "" || in.Namespace == "" {
		return errMissing("The parameters MetricName and Namespace are required unless Metrics is given.")
	}
	switch {
	case in.Statistic == "" && in.ExtendedStatistic == "":
		return errMissing("One of the parameters Statistic or ExtendedStatistic must be specified.")
	case in.Statistic != "" && in.ExtendedStatistic != "":
		return errCombination("The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.")
	case in.Statistic != "" && !slices.Contains(standardStatistics, in.Statistic):
		return errInvalidValue("The value %s for parameter Statistic is invalid.", in.Statistic)
	}
	if in.ExtendedStatistic != "" {
		if _, ok := percentile(in.ExtendedStatistic); !ok {
			return errInvalidValue("The value %s for parameter ExtendedStatistic is invalid.", in.ExtendedStatistic)
		}
	}
	if _, err := checkPeriod(in.Period, "Period"); err != nil {
		return err
	}
	if p := int64(*in.Period) * int64(*in.EvaluationPeriods); p > 7*24*3600 {
		return errInvalidValue("The evaluation range (Period × EvaluationPeriods) must not exceed one week (604800 seconds); it is %d.", p)
	}
	return nil
}

func (b *Backend) putMetricAlarm(ctx context.Context, in *wire.PutMetricAlarmInput) (*struct{}, error) {
	if err := checkAlarm(in); err != nil {
		return nil, err
	}
	if len(in.Metrics) > 0 { // an expression that cannot be evaluated is refused now, not at every pass
		scope, err := scopeOf(ctx)
		if err != nil {
			return nil, err
		}
		now := b.now()
		if _, err := b.runQueries(scope, in.Metrics, now.Add(-time.Minute), now, "Metrics"); err != nil {
			return nil, err
		}
	}
	tags := toTags(in.Tags)
	if err := tagging.Common.Check(nil, tags); err != nil {
		return nil, errInvalidValue("%v", err)
	}
	now := b.now().UTC()
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := loadAlarm(tx, in.AlarmName)
		if err != nil {
			return err
		}
		config := *in
		config.Tags = nil
		summary := fmt.Sprintf("Alarm %q updated", in.AlarmName)
		alarm := existing
		if alarm == nil {
			names, err := store.Keys(tx, tableAlarms)
			if err != nil {
				return err
			}
			if len(names) >= maxAlarms {
				return errLimitExceeded("The maximum number of alarms (%d) has been reached.", maxAlarms)
			}
			summary = fmt.Sprintf("Alarm %q created", in.AlarmName)
			alarm = &Alarm{
				ARN:   tx.ARN("cloudwatch", "alarm:"+in.AlarmName),
				State: StateInsufficientData, Reason: "Unchecked: Initial alarm creation",
				StateUpdated: now, Transitioned: now, Tags: tags,
			}
		} // an update ignores Tags, as AWS's does: tags change through TagResource
		alarm.Config, alarm.ConfigUpdated = config, now
		if err := tx.Put(tableAlarms, in.AlarmName, alarm); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"version": "1.0", "type": map[bool]string{true: "Create", false: "Update"}[existing == nil]})
		return addHistory(tx, in.AlarmName, historyItem{Time: now, Type: "ConfigurationUpdate", Summary: summary, Data: string(data)})
	})
	if err != nil {
		return nil, err
	}
	return nil, nil
}

func (b *Backend) listAlarms(ctx context.Context) ([]*Alarm, error) {
	var alarms []*Alarm
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		alarms, err = store.List[Alarm](tx, tableAlarms)
		return err
	})
	return alarms, err
}

func (b *Backend) describeAlarms(ctx context.Context, in *wire.DescribeAlarmsInput) (*wire.DescribeAlarmsOutput, error) {
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, errCombination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.")
	}
	if in.ChildrenOfAlarmName != "" || in.ParentsOfAlarmName != "" {
		return &wire.DescribeAlarmsOutput{MetricAlarms: []wire.MetricAlarm{}}, nil // composite alarms are not kept here
	}
	wantMetric := len(in.AlarmTypes) == 0 || slices.Contains(in.AlarmTypes, "MetricAlarm")
	for _, t := range in.AlarmTypes {
		if t != "MetricAlarm" && t != "CompositeAlarm" {
			return nil, errInvalidValue("The value %s for parameter AlarmTypes is invalid.", t)
		}
	}
	switch in.StateValue {
	case "", StateOK, StateAlarm, StateInsufficientData:
	default:
		return nil, errInvalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	limit := 50
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, errInvalidValue("The parameter MaxRecords must be between 1 and 100.")
		}
		limit = int(*in.MaxRecords)
	}
	alarms, err := b.listAlarms(ctx)
	if err != nil {
		return nil, err
	}
	var matched []*Alarm
	for _, a := range alarms {
		c := a.Config
		switch {
		case !wantMetric,
			len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, c.AlarmName),
			!strings.HasPrefix(c.AlarmName, in.AlarmNamePrefix),
			in.StateValue != "" && a.State != in.StateValue,
			in.ActionPrefix != "" && !hasActionPrefix(c, in.ActionPrefix):
			continue
		}
		matched = append(matched, a)
	}
	page, next, err := paging.Page(matched, func(a *Alarm) string { return a.Config.AlarmName }, in.NextToken, limit)
	if err != nil {
		return nil, errBadToken()
	}
	out := &wire.DescribeAlarmsOutput{MetricAlarms: make([]wire.MetricAlarm, 0, len(page)), NextToken: next}
	for _, a := range page {
		out.MetricAlarms = append(out.MetricAlarms, a.wire())
	}
	return out, nil
}

func hasActionPrefix(c wire.PutMetricAlarmInput, prefix string) bool {
	for _, list := range [][]string{c.OKActions, c.AlarmActions, c.InsufficientDataActions} {
		for _, a := range list {
			if strings.HasPrefix(a, prefix) {
				return true
			}
		}
	}
	return false
}

func (b *Backend) describeAlarmsForMetric(ctx context.Context, in *wire.DescribeAlarmsForMetricInput) (*wire.DescribeAlarmsForMetricOutput, error) {
	if in.MetricName == "" || in.Namespace == "" {
		return nil, errMissing("The parameters MetricName and Namespace are required.")
	}
	alarms, err := b.listAlarms(ctx)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeAlarmsForMetricOutput{MetricAlarms: []wire.MetricAlarm{}}
	for _, a := range alarms {
		c := a.Config
		switch {
		case c.MetricName != in.MetricName || c.Namespace != in.Namespace,
			in.Statistic != "" && c.Statistic != in.Statistic,
			in.ExtendedStatistic != "" && c.ExtendedStatistic != in.ExtendedStatistic,
			in.Period != nil && (c.Period == nil || *c.Period != *in.Period),
			in.Unit != "" && c.Unit != in.Unit,
			in.Dimensions != nil && !sameDimensions(c.Dimensions, in.Dimensions):
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a.wire())
	}
	return out, nil
}

func (b *Backend) deleteAlarms(ctx context.Context, in *wire.DeleteAlarmsInput) (*struct{}, error) {
	if len(in.AlarmNames) == 0 {
		return nil, errMissing("The parameter AlarmNames is required.")
	}
	now := b.now().UTC()
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		// All or nothing: one unknown name fails the call and deletes none.
		for _, name := range in.AlarmNames {
			a, err := loadAlarm(tx, name)
			if err != nil {
				return err
			}
			if a == nil {
				return errAlarmNotFound(name)
			}
		}
		for _, name := range in.AlarmNames {
			if err := tx.Delete(tableAlarms, name); err != nil {
				return err
			}
			if err := addHistory(tx, name, historyItem{Time: now, Type: "ConfigurationUpdate",
				Summary: fmt.Sprintf("Alarm %q deleted", name), Data: `{"version":"1.0","type":"Delete"}`}); err != nil {
				return err
			}
		}
		return nil
	})
	return nil, err
}

func (b *Backend) setAlarmState(ctx context.Context, in *wire.SetAlarmStateInput) (*struct{}, error) {
	switch in.StateValue {
	case StateOK, StateAlarm, StateInsufficientData:
	default:
		return nil, errInvalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return nil, errInvalidFormat("The value of StateReasonData is not valid JSON.")
	}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		a, err := loadAlarm(tx, in.AlarmName)
		if err != nil {
			return err
		}
		if a == nil {
			return errAlarmNotFound(in.AlarmName)
		}
		return b.transition(tx, a, in.StateValue, in.StateReason, in.StateReasonData, true)
	})
	return nil, err
}

// transition records a state (even the same one when forced, as
// SetAlarmState does) and its history item. The caller stores nothing else.
func (b *Backend) transition(tx *store.Tx, a *Alarm, state, reason, data string, forced bool) error {
	now := b.now().UTC()
	old := a.State
	if !forced && old == state {
		return nil
	}
	a.State, a.Reason, a.ReasonData, a.StateUpdated = state, reason, data, now
	if old != state {
		a.Transitioned = now
	}
	if err := tx.Put(tableAlarms, a.Config.AlarmName, a); err != nil {
		return err
	}
	hist, _ := json.Marshal(map[string]any{
		"version":  "1.0",
		"oldState": map[string]string{"stateValue": old},
		"newState": map[string]string{"stateValue": state, "stateReason": reason},
	})
	return addHistory(tx, a.Config.AlarmName, historyItem{Time: now, Type: "StateUpdate",
		Summary: fmt.Sprintf("Alarm updated from %s to %s", old, state), Data: string(hist)})
}

func (b *Backend) setActionsEnabled(ctx context.Context, names []string, enabled bool) error {
	if len(names) == 0 {
		return errMissing("The parameter AlarmNames is required.")
	}
	return b.store.Update(ctx, func(tx *store.Tx) error {
		for _, name := range names {
			a, err := loadAlarm(tx, name)
			if err != nil {
				return err
			}
			if a == nil { // unknown names are ignored, as AWS does
				continue
			}
			a.Config.ActionsEnabled = &enabled
			if err := tx.Put(tableAlarms, name, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *Backend) enableAlarmActions(ctx context.Context, in *wire.EnableAlarmActionsInput) (*struct{}, error) {
	return nil, b.setActionsEnabled(ctx, in.AlarmNames, true)
}

func (b *Backend) disableAlarmActions(ctx context.Context, in *wire.DisableAlarmActionsInput) (*struct{}, error) {
	return nil, b.setActionsEnabled(ctx, in.AlarmNames, false)
}

type namedHistoryItem struct {
	name string
	seq  int
	historyItem
}

func (b *Backend) describeAlarmHistory(ctx context.Context, in *wire.DescribeAlarmHistoryInput) (*wire.DescribeAlarmHistoryOutput, error) {
	limit := 100
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, errInvalidValue("The parameter MaxRecords must be between 1 and 100.")
		}
		limit = int(*in.MaxRecords)
	}
	switch in.HistoryItemType {
	case "", "ConfigurationUpdate", "StateUpdate", "Action":
	default:
		return nil, errInvalidValue("The value %s for parameter HistoryItemType is invalid.", in.HistoryItemType)
	}
	descending := true
	switch in.ScanBy {
	case "", "TimestampDescending":
	case "TimestampAscending":
		descending = false
	default:
		return nil, errInvalidValue("The value %s for parameter ScanBy is invalid.", in.ScanBy)
	}
	if len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, "MetricAlarm") {
		return &wire.DescribeAlarmHistoryOutput{AlarmHistoryItems: []wire.AlarmHistoryItem{}}, nil
	}
	var items []namedHistoryItem
	err := b.store.View(ctx, func(tx *store.Tx) error {
		names := []string{in.AlarmName}
		if in.AlarmName == "" {
			var err error
			if names, err = store.Keys(tx, tableHistory); err != nil {
				return err
			}
		}
		for _, name := range names {
			h, err := store.Get[history](tx, tableHistory, name)
			if err != nil || h == nil {
				continue
			}
			for i, it := range h.Items {
				switch {
				case in.HistoryItemType != "" && it.Type != in.HistoryItemType,
					in.StartDate != nil && it.Time.Before(in.StartDate.Time),
					in.EndDate != nil && !it.Time.Before(in.EndDate.Time):
					continue
				}
				items = append(items, namedHistoryItem{name: name, seq: i, historyItem: it})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	key := func(it namedHistoryItem) string {
		t := it.Time.UnixNano()
		seq := it.seq
		if descending {
			t, seq = 1<<62-t, 1<<20-seq
		}
		return fmt.Sprintf("%020d/%08d/%s", t, seq, it.name)
	}
	page, next, err := paging.Page(items, key, in.NextToken, limit)
	if err != nil {
		return nil, errBadToken()
	}
	out := &wire.DescribeAlarmHistoryOutput{AlarmHistoryItems: make([]wire.AlarmHistoryItem, 0, len(page)), NextToken: next}
	for _, it := range page {
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, wire.AlarmHistoryItem{
			AlarmName: it.name, AlarmType: "MetricAlarm", Timestamp: wire.NewTime(it.Time),
			HistoryItemType: it.Type, HistorySummary: it.Summary, HistoryData: it.Data,
		})
	}
	return out, nil
}
