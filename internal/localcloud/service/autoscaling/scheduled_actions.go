package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Scheduled actions change a group's sizes at a time, once or on a cron
// recurrence. The controller asks RunScheduledActions on each pass; what
// is due runs then, by the backend's clock.

const tableScheduledActions = "autoscaling/scheduled-actions" // by group/action name

// ScheduledAction is one scheduled action; NextRun is when it runs next.
type ScheduledAction struct {
	GroupName, Name, ARN string
	StartTime, EndTime   time.Time
	Recurrence           string
	TimeZone             string
	MinSize, MaxSize     *int
	DesiredCapacity      *int
	NextRun              time.Time
}

func actionKey(group, name string) string { return group + "/" + name }

// scheduledActionRequest is a Put or BatchPut call's action in domain
// terms.
type scheduledActionRequest struct {
	ScheduledActionName string
	Time                *time.Time
	StartTime           *time.Time
	EndTime             *time.Time
	Recurrence          string
	MinSize             *int
	MaxSize             *int
	DesiredCapacity     *int
	TimeZone            string
}

// nextRun is when an action runs first or next after now: its start time
// for a one-off, the recurrence's next minute (in its time zone, not
// before its start) otherwise; zero when it never runs again.
func (a *ScheduledAction) nextRun(now time.Time) (time.Time, error) {
	if a.Recurrence == "" {
		if a.StartTime.After(now) {
			return a.StartTime, nil
		}
		return time.Time{}, nil
	}
	cron, err := parseCron(a.Recurrence)
	if err != nil {
		return time.Time{}, err
	}
	loc := time.UTC
	if a.TimeZone != "" {
		if loc, err = time.LoadLocation(a.TimeZone); err != nil {
			return time.Time{}, fmt.Errorf("unknown time zone %q", a.TimeZone)
		}
	}
	from := now
	if a.StartTime.After(from) {
		from = a.StartTime.Add(-time.Minute)
	}
	next := cron.next(from.In(loc)).UTC()
	if !a.EndTime.IsZero() && next.After(a.EndTime) {
		return time.Time{}, nil
	}
	return next, nil
}

// putScheduledAction creates or replaces one action of group g.
func (b *Backend) putScheduledAction(tx *store.Tx, g *Group, req scheduledActionRequest) error {
	if req.ScheduledActionName == "" {
		return required("scheduledActionName", false)
	}
	if req.MinSize == nil && req.MaxSize == nil && req.DesiredCapacity == nil {
		return validationError("At least one of MinSize, MaxSize or DesiredCapacity must be specified.")
	}
	now := b.now().UTC()
	a := &ScheduledAction{GroupName: g.Name, Name: req.ScheduledActionName, Recurrence: strings.TrimSpace(req.Recurrence), TimeZone: req.TimeZone,
		MinSize: req.MinSize, MaxSize: req.MaxSize, DesiredCapacity: req.DesiredCapacity}
	switch {
	case req.StartTime != nil:
		a.StartTime = req.StartTime.UTC()
	case req.Time != nil:
		a.StartTime = req.Time.UTC()
	}
	if req.EndTime != nil {
		a.EndTime = req.EndTime.UTC()
	}
	switch {
	case a.Recurrence == "" && a.StartTime.IsZero():
		return validationError("A scheduled action needs a StartTime or a Recurrence.")
	case a.Recurrence == "" && !a.StartTime.After(now):
		return validationError("Given start time is in the past")
	case !a.EndTime.IsZero() && !a.EndTime.After(now):
		return validationError("Given end time is in the past")
	case !a.EndTime.IsZero() && !a.StartTime.IsZero() && !a.EndTime.After(a.StartTime):
		return validationError("Start time must be before end time")
	}
	next, err := a.nextRun(now)
	if err != nil {
		return validationError("Invalid recurrence %q: %v", a.Recurrence, err)
	}
	if next.IsZero() {
		return validationError("The scheduled action %s would never run", a.Name)
	}
	a.NextRun = next
	existing, err := store.Get[ScheduledAction](tx, tableScheduledActions, actionKey(g.Name, a.Name))
	if err != nil {
		return err
	}
	if existing != nil {
		a.ARN = existing.ARN
	} else {
		a.ARN = tx.ARN("autoscaling", "scheduledUpdateGroupAction:"+store.NewUUID()+":autoScalingGroupName/"+g.Name+":scheduledActionName/"+a.Name)
	}
	return tx.Put(tableScheduledActions, actionKey(g.Name, a.Name), a)
}

// timeOf is a request's optional timestamp as a time.Time.
func timeOf(t *protocol.XMLTime) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time()
	return &v
}

func (b *Backend) liveGroupTx(tx *store.Tx, name string) (*Group, error) {
	if name == "" {
		return nil, required("autoScalingGroupName", false)
	}
	g, err := getGroup(tx, name)
	if err != nil {
		return nil, err
	}
	if g.Deleting {
		return nil, pendingDelete(name)
	}
	return g, nil
}

func (b *Backend) handlePutScheduledUpdateGroupAction(ctx context.Context, in *wire.PutScheduledUpdateGroupActionType) (*struct{}, error) {
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := b.liveGroupTx(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		return b.putScheduledAction(tx, g, scheduledActionRequest{ScheduledActionName: in.ScheduledActionName, Time: timeOf(in.Time), StartTime: timeOf(in.StartTime),
			EndTime: timeOf(in.EndTime), Recurrence: in.Recurrence, MinSize: in.MinSize, MaxSize: in.MaxSize, DesiredCapacity: in.DesiredCapacity, TimeZone: in.TimeZone})
	}))
}

// handleBatchPutScheduledUpdateGroupAction puts each action; one that is
// refused is reported and does not stop the others.
func (b *Backend) handleBatchPutScheduledUpdateGroupAction(ctx context.Context, in *wire.BatchPutScheduledUpdateGroupActionType) (*wire.BatchPutScheduledUpdateGroupActionAnswer, error) {
	out := &wire.BatchPutScheduledUpdateGroupActionAnswer{FailedScheduledUpdateGroupActions: query.List[wire.FailedScheduledUpdateGroupActionRequest]{}}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := b.liveGroupTx(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		for _, a := range in.ScheduledUpdateGroupActions {
			req := scheduledActionRequest{ScheduledActionName: a.ScheduledActionName, StartTime: timeOf(a.StartTime), EndTime: timeOf(a.EndTime),
				Recurrence: a.Recurrence, MinSize: a.MinSize, MaxSize: a.MaxSize, DesiredCapacity: a.DesiredCapacity, TimeZone: a.TimeZone}
			if err := b.putScheduledAction(tx, g, req); err != nil {
				var aerr *protocol.Error
				if !errors.As(err, &aerr) {
					return err
				}
				out.FailedScheduledUpdateGroupActions = append(out.FailedScheduledUpdateGroupActions,
					wire.FailedScheduledUpdateGroupActionRequest{ScheduledActionName: req.ScheduledActionName, ErrorCode: aerr.Code, ErrorMessage: aerr.Message})
			}
		}
		return nil
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

func (b *Backend) handleDescribeScheduledActions(ctx context.Context, in *wire.DescribeScheduledActionsType) (*wire.ScheduledActionsType, error) {
	var actions []*ScheduledAction
	err := b.store.View(ctx, func(tx *store.Tx) (err error) {
		actions, err = store.List[ScheduledAction](tx, tableScheduledActions)
		return err
	})
	if err != nil {
		return nil, internalError(err)
	}
	actions = slices.DeleteFunc(actions, func(a *ScheduledAction) bool {
		return (in.AutoScalingGroupName != "" && a.GroupName != in.AutoScalingGroupName) ||
			(len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, a.Name)) ||
			(in.StartTime != nil && a.NextRun.Before(in.StartTime.Time())) ||
			(in.EndTime != nil && a.NextRun.After(in.EndTime.Time()))
	})
	slices.SortFunc(actions, func(x, y *ScheduledAction) int { return x.NextRun.Compare(y.NextRun) })
	page, next, err := paginate(actions, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &wire.ScheduledActionsType{ScheduledUpdateGroupActions: listOf(page, scheduledActionOut), NextToken: next}, nil
}

func scheduledActionOut(a *ScheduledAction) wire.ScheduledUpdateGroupAction {
	x := wire.ScheduledUpdateGroupAction{AutoScalingGroupName: a.GroupName, ScheduledActionName: a.Name, ScheduledActionARN: a.ARN,
		Time: xmlTime(a.NextRun), StartTime: xmlTime(a.NextRun), Recurrence: a.Recurrence,
		MinSize: a.MinSize, MaxSize: a.MaxSize, DesiredCapacity: a.DesiredCapacity, TimeZone: a.TimeZone}
	if !a.EndTime.IsZero() {
		x.EndTime = xmlTime(a.EndTime)
	}
	return x
}

func (b *Backend) handleDeleteScheduledAction(ctx context.Context, in *wire.DeleteScheduledActionType) (*struct{}, error) {
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, in.AutoScalingGroupName); err != nil {
			return err
		}
		key := actionKey(in.AutoScalingGroupName, in.ScheduledActionName)
		a, err := store.Get[ScheduledAction](tx, tableScheduledActions, key)
		if err != nil {
			return err
		}
		if a == nil {
			return validationError("Scheduled Update Group Action name not found - Could not find scheduled update group action %s", in.ScheduledActionName)
		}
		return tx.Delete(tableScheduledActions, key)
	}))
}

// RunScheduledActions runs a group's actions that are due, unless its
// ScheduledActions process is suspended: sizes change (the desired
// capacity kept within the new bounds), an activity records it, and the
// action is rescheduled or, run for the last time, deleted.
func (b *Backend) RunScheduledActions(ctx context.Context, group string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil || g.Deleting || g.Suspended("ScheduledActions") {
			return err
		}
		all, err := store.List[ScheduledAction](tx, tableScheduledActions)
		if err != nil {
			return err
		}
		now := b.now().UTC()
		changed := false
		for _, a := range all {
			if a.GroupName != group || a.NextRun.After(now) {
				continue
			}
			changed = true
			from := fmt.Sprintf("%d/%d/%d", g.MinSize, g.DesiredCapacity, g.MaxSize)
			if a.MinSize != nil {
				g.MinSize = *a.MinSize
			}
			if a.MaxSize != nil {
				g.MaxSize = *a.MaxSize
			}
			if a.DesiredCapacity != nil {
				g.DesiredCapacity = *a.DesiredCapacity
			}
			g.DesiredCapacity = min(max(g.DesiredCapacity, g.MinSize), g.MaxSize)
			if _, err := b.putActivity(tx, g, fmt.Sprintf("Executing scheduled action %s: min/desired/max %s to %d/%d/%d", a.Name, from, g.MinSize, g.DesiredCapacity, g.MaxSize),
				fmt.Sprintf("At %s a scheduled action update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity.", now.Format("2006-01-02T15:04:05Z"), g.MinSize, g.MaxSize, g.DesiredCapacity)); err != nil {
				return err
			}
			next, err := a.nextRun(now)
			if err != nil || next.IsZero() {
				if err := tx.Delete(tableScheduledActions, actionKey(a.GroupName, a.Name)); err != nil {
					return err
				}
				continue
			}
			a.NextRun = next
			if err := tx.Put(tableScheduledActions, actionKey(a.GroupName, a.Name), a); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		return tx.Put(tableGroups, g.Name, g)
	}))
}
