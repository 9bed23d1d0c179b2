package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ManagedAlarm is a metric alarm another AWS service creates and owns, as
// Application Auto Scaling creates a target tracking policy's alarms.
type ManagedAlarm struct {
	Name, Description  string
	AlarmActions       []string
	Namespace, Metric  string
	Dimensions         []Dimension
	Statistic, Unit    string
	Metrics            []MetricDataQuery // metric math instead of one metric
	Period             int32             // seconds
	EvaluationPeriods  int32
	DatapointsToAlarm  int32
	Threshold          float64
	ComparisonOperator string
}

// PutManagedAlarmTx creates or updates an alarm inside the caller's
// transaction, so that a policy and its alarms are written together. It
// checks the alarm as PutMetricAlarm does and returns its ARN.
func (b *Backend) PutManagedAlarmTx(tx *store.Tx, m ManagedAlarm) (string, error) {
	in := wire.PutMetricAlarmInput{
		AlarmName:          m.Name,
		AlarmDescription:   m.Description,
		AlarmActions:       m.AlarmActions,
		MetricName:         m.Metric,
		Namespace:          m.Namespace,
		Statistic:          m.Statistic,
		Dimensions:         m.Dimensions,
		Unit:               m.Unit,
		EvaluationPeriods:  ptr(int(m.EvaluationPeriods)),
		DatapointsToAlarm:  ptr(int(m.DatapointsToAlarm)),
		Threshold:          ptr(wire.Double(m.Threshold)),
		ComparisonOperator: m.ComparisonOperator,
	}
	for _, q := range m.Metrics {
		in.Metrics = append(in.Metrics, q.wire())
	}
	if len(m.Metrics) == 0 {
		in.Period = ptr(int(m.Period))
	}
	if err := checkAlarm(&in); err != nil {
		return "", err
	}
	now := b.now().UTC()
	existing, err := loadAlarm(tx, m.Name)
	if err != nil {
		return "", err
	}
	alarm := existing
	summary := fmt.Sprintf("Alarm %q updated", m.Name)
	if alarm == nil {
		summary = fmt.Sprintf("Alarm %q created", m.Name)
		alarm = &Alarm{
			ARN:   tx.ARN("cloudwatch", "alarm:"+m.Name),
			State: StateInsufficientData, Reason: "Unchecked: Initial alarm creation",
			StateUpdated: now, Transitioned: now,
		}
	}
	alarm.Config, alarm.ConfigUpdated = in, now
	if err := tx.Put(tableAlarms, m.Name, alarm); err != nil {
		return "", err
	}
	data, _ := json.Marshal(map[string]any{"version": "1.0", "type": map[bool]string{true: "Create", false: "Update"}[existing == nil]})
	return alarm.ARN, addHistory(tx, m.Name, historyItem{Time: now, Type: "ConfigurationUpdate", Summary: summary, Data: string(data)})
}

// DeleteAlarmsTx deletes alarms inside the caller's transaction; names that
// are already gone are skipped (the owner may have lost them to a reset).
func (b *Backend) DeleteAlarmsTx(tx *store.Tx, names []string) error {
	now := b.now().UTC()
	for _, name := range names {
		a, err := loadAlarm(tx, name)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		if err := tx.Delete(tableAlarms, name); err != nil {
			return err
		}
		if err := addHistory(tx, name, historyItem{Time: now, Type: "ConfigurationUpdate",
			Summary: fmt.Sprintf("Alarm %q deleted", name), Data: `{"version":"1.0","type":"Delete"}`}); err != nil {
			return err
		}
	}
	return nil
}

// AlarmState is what an alarm's actions need to know: for Application Auto
// Scaling, which policy to invoke, since when, and the metric's value.
type AlarmState struct {
	Name, ARN    string
	State        string
	Actions      []string // the actions of the current state
	Transitioned time.Time
	Threshold    float64
	// Value is the newest datapoint the last evaluation saw; HasValue is
	// false when it saw none.
	Value    float64
	HasValue bool
}

// AlarmsWithActionPrefix returns the alarms of the scope ctx carries whose
// actions are enabled and whose current state has an action starting with
// prefix (e.g. an Application Auto Scaling policy ARN's).
func (b *Backend) AlarmsWithActionPrefix(ctx context.Context, prefix string) ([]AlarmState, error) {
	alarms, err := b.listAlarms(ctx)
	if err != nil {
		return nil, err
	}
	var out []AlarmState
	for _, a := range alarms {
		c := a.Config
		if c.ActionsEnabled != nil && !*c.ActionsEnabled {
			continue
		}
		var actions []string
		switch a.State {
		case StateAlarm:
			actions = c.AlarmActions
		case StateOK:
			actions = c.OKActions
		case StateInsufficientData:
			actions = c.InsufficientDataActions
		}
		if !slices.ContainsFunc(actions, func(s string) bool { return strings.HasPrefix(s, prefix) }) {
			continue
		}
		st := AlarmState{Name: c.AlarmName, ARN: a.ARN, State: a.State, Actions: actions, Transitioned: a.Transitioned}
		if c.Threshold != nil {
			st.Threshold = float64(*c.Threshold)
		}
		var data struct {
			Recent []float64 `json:"recentDatapoints"`
		}
		if json.Unmarshal([]byte(a.ReasonData), &data) == nil && len(data.Recent) > 0 {
			st.Value, st.HasValue = data.Recent[0], true
		}
		out = append(out, st)
	}
	return out, nil
}

// AlarmsInvoking returns the name and ARN of every alarm of the scope ctx
// carries that has action among its actions (in any state), sorted by
// name: the alarms that drive a step scaling policy.
func (b *Backend) AlarmsInvoking(ctx context.Context, action string) ([][2]string, error) {
	alarms, err := b.listAlarms(ctx)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, a := range alarms {
		c := a.Config
		if slices.Contains(c.AlarmActions, action) || slices.Contains(c.OKActions, action) || slices.Contains(c.InsufficientDataActions, action) {
			out = append(out, [2]string{c.AlarmName, a.ARN})
		}
	}
	slices.SortFunc(out, func(x, y [2]string) int { return strings.Compare(x[0], y[0]) })
	return out, nil
}
