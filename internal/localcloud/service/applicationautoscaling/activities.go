package applicationautoscaling

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Activity status codes.
const (
	ActivityPending     = "Pending"
	ActivityInProgress  = "InProgress"
	ActivitySuccessful  = "Successful"
	ActivityOverridden  = "Overridden"
	ActivityUnfulfilled = "Unfulfilled"
	ActivityFailed      = "Failed"
)

// Scalable is one registered target with what scales it, as the data
// plane's scaling controller needs it.
type Scalable struct {
	Target           ScalableTarget
	Policies         []ScalingPolicy
	ScheduledActions []ScheduledAction
}

// Scalables returns every scalable target of the scope ctx carries, with
// its policies and scheduled actions, in a single read.
func (b *Backend) Scalables(ctx context.Context) ([]Scalable, error) {
	var out []Scalable
	err := b.store.View(ctx, func(tx *store.Tx) error {
		targets, err := store.List[ScalableTarget](tx, tableTargets)
		if err != nil {
			return err
		}
		policies, err := store.List[ScalingPolicy](tx, tablePolicies)
		if err != nil {
			return err
		}
		actions, err := store.List[ScheduledAction](tx, tableScheduled)
		if err != nil {
			return err
		}
		for _, t := range targets {
			s := Scalable{Target: *t}
			s.Target.Tags = nil
			ref := refOf(t)
			for _, p := range policies {
				if (targetRef{p.ServiceNamespace, p.ResourceId, p.ScalableDimension}) == ref {
					s.Policies = append(s.Policies, *p)
				}
			}
			for _, a := range actions {
				if (targetRef{a.ServiceNamespace, a.ResourceId, a.ScalableDimension}) == ref {
					s.ScheduledActions = append(s.ScheduledActions, *a)
				}
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// Activity is what a controller records when it changes (or decides not
// to change) a target's capacity. The Description and Cause are AWS's
// sentences, e.g. "Setting desired count to 3." and "monitor alarm
// TargetTracking-…-AlarmHigh-… in state ALARM triggered policy cpu".
type Activity struct {
	ServiceNamespace, ResourceID, ScalableDimension string
	Description, Cause                              string
	StatusCode                                      string // ActivitySuccessful when empty
	StatusMessage, Details                          string
	NotScaledReasons                                []NotScaledReason
	// StartTime defaults to now; EndTime to StartTime for an activity that
	// ended (any status but Pending and InProgress).
	StartTime, EndTime time.Time
}

// RecordActivity records an activity on a registered target and returns
// its id; a target that is not registered is ObjectNotFoundException.
// Activities older than AWS's six weeks are dropped as new ones come.
func (b *Backend) RecordActivity(ctx context.Context, a Activity) (string, error) {
	ref := targetRef{Namespace: a.ServiceNamespace, ResourceID: a.ResourceID, Dimension: a.ScalableDimension}
	now := b.clock()
	start := a.StartTime
	if start.IsZero() {
		start = now
	}
	status := a.StatusCode
	if status == "" {
		status = ActivitySuccessful
	}
	if !slices.Contains([]string{ActivityPending, ActivityInProgress, ActivitySuccessful, ActivityOverridden, ActivityUnfulfilled, ActivityFailed}, status) {
		return "", fmt.Errorf("application auto scaling: unknown activity status %q", status)
	}
	activity := &ScalingActivity{
		ActivityId:        store.NewUUID(),
		ServiceNamespace:  ref.Namespace,
		ResourceId:        ref.ResourceID,
		ScalableDimension: ref.Dimension,
		Description:       a.Description,
		Cause:             a.Cause,
		StartTime:         stamp(start.UTC().Truncate(time.Millisecond)),
		StatusCode:        status,
		StatusMessage:     a.StatusMessage,
		Details:           a.Details,
		NotScaledReasons:  a.NotScaledReasons,
	}
	if end := a.EndTime; !end.IsZero() || (status != ActivityPending && status != ActivityInProgress) {
		if end.IsZero() {
			end = start
		}
		activity.EndTime = stamp(end.UTC().Truncate(time.Millisecond))
	}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := loadTarget(tx, ref); err != nil {
			return err
		}
		if err := dropOldActivities(tx, now.Add(-activityRetention)); err != nil {
			return err
		}
		return tx.Put(tableActivities, activityKey(activity), activity)
	})
	return activity.ActivityId, err
}

// FinishActivity ends an activity recorded InProgress (or Pending) with
// its outcome, as AWS moves an activity to Successful or Failed once the
// target's service has answered: a describer that sees the capacity change
// sees the activity too. An activity that is gone (dropped after six
// weeks) is not an error; one that already ended is left as it is.
func (b *Backend) FinishActivity(ctx context.Context, id, status, message string) error {
	if status == ActivityPending || status == ActivityInProgress || !slices.Contains([]string{ActivitySuccessful, ActivityOverridden, ActivityUnfulfilled, ActivityFailed}, status) {
		return fmt.Errorf("application auto scaling: %q does not end an activity", status)
	}
	end := stamp(b.clock().UTC().Truncate(time.Millisecond))
	return b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[ScalingActivity](tx, tableActivities)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.ActivityId != id || (a.StatusCode != ActivityPending && a.StatusCode != ActivityInProgress) {
				continue
			}
			a.StatusCode, a.StatusMessage, a.EndTime = status, message, end
			return tx.Put(tableActivities, activityKey(a), a)
		}
		return nil
	})
}

// activityKey orders activities newest first, as AWS lists them.
func activityKey(a *ScalingActivity) string {
	return fmt.Sprintf("%019d|%s", math.MaxInt64-a.StartTime.Time().UnixNano(), a.ActivityId)
}

func dropOldActivities(tx *store.Tx, before time.Time) error {
	keys, err := store.Keys(tx, tableActivities)
	if err != nil {
		return err
	}
	cutoff := fmt.Sprintf("%019d", math.MaxInt64-before.UnixNano())
	for _, k := range keys {
		if k > cutoff {
			if err := tx.Delete(tableActivities, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// describeScalingActivities lists activities newest first. Activities that
// did not scale (they carry NotScaledReasons) are left out unless asked
// for, as AWS leaves them out.
func (b *Backend) describeScalingActivities(ctx context.Context, in *wire.DescribeScalingActivitiesRequest) (*wire.DescribeScalingActivitiesResponse, error) {
	limit, err := paging.Size(in.MaxResults, defaultPageSize, 1, maxPageSize)
	if err != nil {
		return nil, pageError(err)
	}
	var matched []*ScalingActivity
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[ScalingActivity](tx, tableActivities)
		matched = slices.DeleteFunc(all, func(a *ScalingActivity) bool {
			return a.ServiceNamespace != in.ServiceNamespace ||
				(in.ResourceId != "" && a.ResourceId != in.ResourceId) ||
				(in.ScalableDimension != "" && a.ScalableDimension != in.ScalableDimension) ||
				(!isSet(in.IncludeNotScaledActivities) && len(a.NotScaledReasons) > 0)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(matched, activityKey, in.NextToken, limit)
	if err != nil {
		return nil, pageError(err)
	}
	out := &wire.DescribeScalingActivitiesResponse{ScalingActivities: []wire.ScalingActivity{}, NextToken: next}
	for _, a := range page {
		out.ScalingActivities = append(out.ScalingActivities, *a)
	}
	return out, nil
}

// ApplyScheduledAction sets the capacity range a scheduled action names on
// its target (members it leaves out keep their values) and records the
// activity as AWS words it. It returns the target as it now is.
func (b *Backend) ApplyScheduledAction(ctx context.Context, a ScheduledAction) (*ScalableTarget, error) {
	ref := targetRef{Namespace: a.ServiceNamespace, ResourceID: a.ResourceId, Dimension: a.ScalableDimension}
	var target *ScalableTarget
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		t, err := loadTarget(tx, ref)
		if err != nil {
			return err
		}
		if act := a.ScalableTargetAction; act != nil {
			if act.MinCapacity != nil {
				t.MinCapacity = int32(*act.MinCapacity)
			}
			if act.MaxCapacity != nil {
				t.MaxCapacity = int32(*act.MaxCapacity)
			}
			// A range the action inverts follows the bound it sets, as
			// AWS keeps min ≤ max.
			if t.MinCapacity > t.MaxCapacity {
				if act.MinCapacity != nil {
					t.MaxCapacity = t.MinCapacity
				} else {
					t.MinCapacity = t.MaxCapacity
				}
			}
		}
		if err := tx.Put(tableTargets, ref.key(), t); err != nil {
			return err
		}
		target = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	_, err = b.RecordActivity(ctx, Activity{
		ServiceNamespace: a.ServiceNamespace, ResourceID: a.ResourceId, ScalableDimension: a.ScalableDimension,
		Description: fmt.Sprintf("Setting min capacity to %d and max capacity to %d", target.MinCapacity, target.MaxCapacity),
		Cause:       fmt.Sprintf("scheduled action name %s was triggered", a.ScheduledActionName),
	})
	return target, err
}
