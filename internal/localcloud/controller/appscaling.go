package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	aas "github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultCooldown is Application Auto Scaling's cooldown for ECS services
// when a policy names none, for scale-out and scale-in alike.
const defaultCooldown = 300 * time.Second

// alarmRepeat is how often an alarm that stays in ALARM invokes its
// Application Auto Scaling action again: once a minute, as CloudWatch does
// for scaling actions (its other actions run only on a state change).
const alarmRepeat = time.Minute

// targetState is what Application Auto Scaling remembers of one scalable
// target between passes. It lives in memory: a restarted local cloud
// forgets cooldowns, as it forgets metric data.
type targetState struct {
	lastScaleOut, lastScaleIn time.Time
	// scaleOutFrom is the capacity the last scale-out started from: while
	// its cooldown runs, the metric still reflects that capacity.
	scaleOutFrom int
	invoked      map[string]time.Time // alarm name → last invocation
	scheduleSeen time.Time            // when scheduled actions were last checked
	// rangeSeen is the capacity range last acted on: a new range (a
	// registration, a scheduled action) moves the desired count into it,
	// a manual change outside it waits for the next scaling, as on AWS.
	rangeSeen    [2]int32
	rangeChecked bool
}

// scalingDecision is one policy's wish for a target's capacity.
type scalingDecision struct {
	desired     int
	policy      string
	alarm       string
	out         bool
	cooldown    time.Duration
	targetTrack bool
}

// reconcileApplicationAutoScaling is Application Auto Scaling's data plane
// for ECS services: it runs the scheduled actions that are due and
// invokes the policies whose alarms are in ALARM, then sets the service's
// desiredCount through ECS (the scheduler starts and stops the tasks) and
// records each change as a scaling activity.
func (c *Controller) reconcileApplicationAutoScaling(ctx context.Context) error {
	if c.deps.AppAutoScaling == nil || c.deps.CloudWatch == nil {
		return nil
	}
	scalables, err := c.deps.AppAutoScaling.Scalables(ctx)
	if err != nil || len(scalables) == 0 {
		return err
	}
	alarms, err := c.deps.CloudWatch.AlarmsWithActionPrefix(ctx, "arn:")
	if err != nil {
		return err
	}
	scope, _ := store.ScopeFrom(ctx)
	now := time.Now()
	var errs []error
	for _, s := range scalables {
		if s.Target.ServiceNamespace != "ecs" || s.Target.ScalableDimension != "ecs:service:DesiredCount" {
			continue // kept as data: the local cloud scales ECS services
		}
		key := scope.String() + "|" + s.Target.ResourceID
		st := c.scaling[key]
		if st == nil {
			st = &targetState{invoked: map[string]time.Time{}, scheduleSeen: now}
			c.scaling[key] = st
		}
		if err := c.scaleTarget(ctx, s, st, alarms, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Target.ResourceID, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) scaleTarget(ctx context.Context, s aas.Scalable, st *targetState, alarms []cloudwatch.AlarmState, now time.Time) error {
	t := s.Target
	suspended := func(f func(*aas.SuspendedState) *bool) bool {
		return t.SuspendedState != nil && f(t.SuspendedState) != nil && *f(t.SuspendedState)
	}
	// Scheduled actions first: they move the range the policies act in.
	if !suspended(func(s *aas.SuspendedState) *bool { return s.ScheduledScalingSuspended }) {
		for _, a := range s.ScheduledActions {
			if !a.FiresBetween(st.scheduleSeen, now) {
				continue
			}
			target, err := c.deps.AppAutoScaling.ApplyScheduledAction(ctx, a)
			if err != nil {
				return err
			}
			t.MinCapacity, t.MaxCapacity = target.MinCapacity, target.MaxCapacity
		}
	}
	st.scheduleSeen = now

	svc, err := c.serviceOf(ctx, t.ResourceID)
	if err != nil || svc == nil {
		return err
	}
	current := int(svc.DesiredCount)
	newRange := !st.rangeChecked || st.rangeSeen != [2]int32{t.MinCapacity, t.MaxCapacity}
	st.rangeSeen, st.rangeChecked = [2]int32{t.MinCapacity, t.MaxCapacity}, true
	switch {
	case !newRange:
	case current < int(t.MinCapacity):
		return c.setDesired(ctx, t, st, current, int(t.MinCapacity), fmt.Sprintf("minimum capacity was set to %d", t.MinCapacity), now, true)
	case current > int(t.MaxCapacity):
		return c.setDesired(ctx, t, st, current, int(t.MaxCapacity), fmt.Sprintf("maximum capacity was set to %d", t.MaxCapacity), now, false)
	}

	byAction := map[string][]cloudwatch.AlarmState{}
	for _, a := range alarms {
		for _, action := range a.Actions {
			byAction[action] = append(byAction[action], a)
		}
	}
	var outs, ins []scalingDecision
	scaleInReady := map[string]bool{} // target tracking policies whose low alarm fires
	scaleInPolicies := 0
	for _, p := range s.Policies {
		if p.PolicyType == aas.PolicyTargetTracking {
			if cfg := p.TargetTrackingScalingPolicyConfiguration; cfg == nil || cfg.DisableScaleIn == nil || !*cfg.DisableScaleIn {
				scaleInPolicies++
			}
		}
		for _, a := range byAction[p.PolicyARN] {
			if a.State != cloudwatch.StateAlarm || !a.HasValue {
				continue
			}
			if p.PolicyType == aas.PolicyTargetTracking && strings.Contains(a.Name, "-AlarmLow-") {
				scaleInReady[p.PolicyName] = true
			}
			last, invoked := st.invoked[a.Name]
			if invoked && !last.Before(a.Transitioned) && now.Sub(last) < c.period(alarmRepeat) {
				continue // invoked in this state within the last minute
			}
			d, ok := c.decide(p, a, current, st)
			st.invoked[a.Name] = now
			if !ok {
				continue
			}
			if d.out {
				outs = append(outs, d)
			} else {
				ins = append(ins, d)
			}
		}
	}

	if len(outs) > 0 && !suspended(func(s *aas.SuspendedState) *bool { return s.DynamicScalingOutSuspended }) {
		best := outs[0]
		for _, d := range outs[1:] {
			if d.desired > best.desired {
				best = d
			}
		}
		// During a scale-out cooldown, desired was computed from the
		// capacity before the last scale-out: only a larger one goes ahead.
		desired := min(best.desired, int(t.MaxCapacity))
		if desired <= current {
			return nil
		}
		return c.setDesired(ctx, t, st, current, desired, fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", best.alarm, best.policy), now, true)
	}
	if len(ins) == 0 || suspended(func(s *aas.SuspendedState) *bool { return s.DynamicScalingInSuspended }) {
		return nil
	}
	// No scale-in while a deployment rolls, and target tracking scales in
	// only when every one of its policies agrees.
	if len(svc.Deployments) > 1 {
		return nil
	}
	best := ins[0]
	for _, d := range ins[1:] {
		if d.desired > best.desired {
			best = d
		}
	}
	if best.targetTrack && len(scaleInReady) < scaleInPolicies {
		return nil
	}
	for _, d := range ins {
		if d.targetTrack {
			best.cooldown = max(best.cooldown, d.cooldown)
		}
	}
	// A scale-in cooldown blocks the next scale-in (a scale-out may come
	// at any time, and ends it).
	if !st.lastScaleIn.IsZero() && st.lastScaleIn.After(st.lastScaleOut) && now.Sub(st.lastScaleIn) < best.cooldown {
		return nil
	}
	desired := max(best.desired, int(t.MinCapacity))
	if desired >= current {
		return nil
	}
	return c.setDesired(ctx, t, st, current, desired, fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", best.alarm, best.policy), now, false)
}

// decide is what one policy asks for when one of its alarms fires.
func (c *Controller) decide(p aas.ScalingPolicy, a cloudwatch.AlarmState, current int, st *targetState) (scalingDecision, bool) {
	d := scalingDecision{policy: p.PolicyName, alarm: a.Name}
	if cfg := p.TargetTrackingScalingPolicyConfiguration; cfg != nil && p.PolicyType == aas.PolicyTargetTracking {
		d.targetTrack = true
		target := *cfg.TargetValue
		if strings.Contains(a.Name, "-AlarmHigh-") {
			d.out = true
			d.cooldown = c.period(cooldownOf(cfg.ScaleOutCooldown))
			base := current
			if !st.lastScaleOut.IsZero() && time.Since(st.lastScaleOut) < d.cooldown {
				// The capacity the last scale-out added counts: the metric
				// still measures the capacity before it.
				base = st.scaleOutFrom
			}
			d.desired = int(math.Ceil(float64(base) * a.Value / target))
			return d, true
		}
		if cfg.DisableScaleIn != nil && *cfg.DisableScaleIn {
			return d, false
		}
		d.cooldown = c.period(cooldownOf(cfg.ScaleInCooldown))
		// Scale in no further than the metric allows at the target:
		// rounding up keeps enough capacity.
		d.desired = int(math.Ceil(float64(current) * a.Value / target))
		return d, true
	}
	cfg := p.StepScalingPolicyConfiguration
	if cfg == nil || p.PolicyType != aas.PolicyStep {
		return d, false
	}
	diff := a.Value - a.Threshold
	step, ok := stepAdjustment(cfg.StepAdjustments, diff)
	if !ok {
		return d, false
	}
	d.cooldown = c.period(cooldownOf(cfg.Cooldown))
	switch cfg.AdjustmentType {
	case "ExactCapacity":
		d.desired = int(step)
	case "PercentChangeInCapacity":
		change := float64(current) * float64(step) / 100
		n := int(change) // toward zero, but never less than one task
		switch {
		case change > 0 && change < 1:
			n = 1
		case change < 0 && change > -1:
			n = -1
		}
		if m := cfg.MinAdjustmentMagnitude; m != nil && abs(n) < int(*m) {
			n = int(*m) * sign(n)
		}
		d.desired = current + n
	default: // ChangeInCapacity
		d.desired = current + int(step)
	}
	d.out = d.desired > current
	return d, d.desired != current
}

// stepAdjustment finds the step whose interval (relative to the alarm's
// threshold; lower bound inclusive, upper exclusive) holds diff.
func stepAdjustment(steps []aas.StepAdjustment, diff float64) (int, bool) {
	for _, s := range steps {
		if s.ScalingAdjustment == nil {
			continue // the model requires it: validation keeps such a step out
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if s.MetricIntervalLowerBound != nil {
			lo = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			hi = *s.MetricIntervalUpperBound
		}
		if diff >= lo && diff < hi || (diff == hi && math.IsInf(lo, -1)) {
			return *s.ScalingAdjustment, true
		}
	}
	return 0, false
}

func cooldownOf(seconds *int) time.Duration {
	if seconds == nil {
		return defaultCooldown
	}
	return time.Duration(*seconds) * time.Second
}

func abs(n int) int { return max(n, -n) }

func sign(n int) int {
	if n < 0 {
		return -1
	}
	return 1
}

// serviceOf reads the ECS service a service/<cluster>/<service> resource
// id names; nil when it is gone.
func (c *Controller) serviceOf(ctx context.Context, resourceID string) (*ecs.Service, error) {
	parts := strings.Split(resourceID, "/")
	if len(parts) != 3 {
		return nil, nil
	}
	var svc *ecs.Service
	err := c.deps.ECS.View(ctx, func(s *ecs.State) error {
		var err error
		svc, err = s.Service(parts[1], parts[2])
		return err
	})
	if svc != nil && svc.Status != "ACTIVE" {
		svc = nil
	}
	return svc, err
}

// setDesired changes the service's desiredCount through ECS, as
// Application Auto Scaling calls UpdateService, and records the activity:
// InProgress before the change, so that whoever sees the new count also
// finds the activity that made it, then ended with ECS's answer.
func (c *Controller) setDesired(ctx context.Context, t aas.ScalableTarget, st *targetState, from, to int, cause string, now time.Time, out bool) error {
	id, err := c.deps.AppAutoScaling.RecordActivity(ctx, aas.Activity{
		ServiceNamespace: t.ServiceNamespace, ResourceID: t.ResourceID, ScalableDimension: t.ScalableDimension,
		Description: fmt.Sprintf("Setting desired count to %d.", to), Cause: cause,
		StatusCode: aas.ActivityInProgress, StatusMessage: fmt.Sprintf("Setting desired count to %d.", to),
	})
	if err != nil {
		return err
	}
	parts := strings.Split(t.ResourceID, "/")
	err = c.deps.ECS.Update(ctx, func(s *ecs.State) error {
		svc, err := s.Service(parts[1], parts[2])
		if err != nil || svc == nil {
			return err
		}
		svc.DesiredCount = int32(to)
		for i := range svc.Deployments {
			if svc.Deployments[i].Status == "PRIMARY" {
				svc.Deployments[i].DesiredCount = int32(to)
			}
		}
		return s.PutService(svc)
	})
	status, message := aas.ActivitySuccessful, fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", to)
	if err != nil {
		status, message = aas.ActivityFailed, err.Error()
	}
	if finErr := c.deps.AppAutoScaling.FinishActivity(ctx, id, status, message); finErr != nil && err == nil {
		err = finErr
	}
	if err != nil {
		return err
	}
	c.log.Info("application auto scaling", "resource", t.ResourceID, "from", from, "to", to, "cause", cause)
	if out {
		st.lastScaleOut, st.scaleOutFrom = now, from
	} else {
		st.lastScaleIn = now
	}
	return nil
}
