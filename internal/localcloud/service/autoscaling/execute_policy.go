package autoscaling

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// SetDesiredCapacityHonoring is SetDesiredCapacity with HonorCooldown: a
// change during the group's cooldown is refused. Every change records a
// scaling activity and starts the cooldown.
func (b *Backend) SetDesiredCapacityHonoring(ctx context.Context, name string, desired int, honorCooldown bool) error {
	if name == "" {
		return required("autoScalingGroupName", false)
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(name)
		}
		switch {
		case desired > g.MaxSize:
			return validationError("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.MaxSize)
		case desired < g.MinSize:
			return validationError("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.MinSize)
		}
		now := b.now().UTC()
		if honorCooldown && now.Before(g.CooldownUntil) {
			return scalingActivityInProgress("Scaling activity is in progress or the cooldown period for the AutoScalingGroup %s has not expired.", name)
		}
		return b.changeDesired(tx, g, desired, time.Duration(g.DefaultCooldown)*time.Second,
			"a user request explicitly set group desired capacity changing the desired capacity")
	}))
}

// changeDesired sets a group's desired capacity, records the activity and
// starts a cooldown; a change to the same capacity records nothing.
func (b *Backend) changeDesired(tx *store.Tx, g *Group, desired int, cooldown time.Duration, cause string) error {
	if desired == g.DesiredCapacity {
		return tx.Put(tableGroups, g.Name, g)
	}
	from := g.DesiredCapacity
	g.DesiredCapacity = desired
	g.CooldownUntil = b.now().UTC().Add(cooldown)
	if err := tx.Put(tableGroups, g.Name, g); err != nil {
		return err
	}
	_, err := b.putActivity(tx, g, fmt.Sprintf("Setting desired capacity of the group from %d to %d", from, desired),
		fmt.Sprintf("At %s %s from %d to %d.", b.now().UTC().Format("2006-01-02T15:04:05Z"), cause, from, desired))
	return err
}

func (b *Backend) handleExecutePolicy(ctx context.Context, in *wire.ExecutePolicyType) (*struct{}, error) {
	return nil, b.ExecutePolicy(ctx, in.AutoScalingGroupName, in.PolicyName, isTrue(in.HonorCooldown), in.MetricValue, in.BreachThreshold)
}

// ExecutePolicy runs a simple or step scaling policy once, as its alarm
// would: the adjustment it names (for a step policy, the step the metric's
// distance from the breach threshold falls in) changes the desired
// capacity within the group's bounds.
func (b *Backend) ExecutePolicy(ctx context.Context, group, policyRef string, honorCooldown bool, metric, threshold *float64) error {
	if err := required("policyName", policyRef != ""); err != nil {
		return err
	}
	policies, err := b.Policies(ctx, group, []string{policyRef}, nil)
	if err != nil {
		return err
	}
	if len(policies) == 0 {
		return validationError("No scaling policy found for service namespace: autoscaling, resource ID: autoScalingGroupName/%s, policy name: %s", group, policyRef)
	}
	p := policies[0]
	spec := p.Spec
	var adjustment int
	switch spec.PolicyType {
	case "SimpleScaling":
		adjustment = *spec.ScalingAdjustment
	case "StepScaling":
		if metric == nil || threshold == nil {
			return validationError("MetricValue and BreachThreshold are required for a StepScaling policy")
		}
		step, ok := stepFor(spec.StepAdjustments, *metric-*threshold)
		if !ok {
			return validationError("The metric value %g is outside every step adjustment of policy %s", *metric, p.Name)
		}
		adjustment = step
	default:
		return validationError("ExecutePolicy is not supported for a %s policy", spec.PolicyType)
	}
	if spec.Enabled != nil && !*spec.Enabled {
		return validationError("The policy %s is disabled", p.Name)
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, p.GroupName)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(g.Name)
		}
		if g.Suspended("AlarmNotification") {
			return scalingActivityInProgress("The AlarmNotification process of the AutoScalingGroup %s is suspended.", g.Name)
		}
		now := b.now().UTC()
		// Step scaling has no cooldown; the others honour it when asked.
		if honorCooldown && spec.PolicyType == "SimpleScaling" && now.Before(g.CooldownUntil) {
			return scalingActivityInProgress("Scaling activity is in progress or the cooldown period for the AutoScalingGroup %s has not expired.", g.Name)
		}
		desired := adjusted(g.DesiredCapacity, spec.AdjustmentType, adjustment, spec.MinAdjustmentMagnitude)
		desired = min(max(desired, g.MinSize), g.MaxSize)
		cooldown := time.Duration(g.DefaultCooldown) * time.Second
		if spec.Cooldown != nil {
			cooldown = time.Duration(*spec.Cooldown) * time.Second
		}
		return b.changeDesired(tx, g, desired, cooldown, "policy "+p.Name+" changed the desired capacity")
	}))
}

// adjusted is the desired capacity an adjustment asks for, before the
// group's bounds: ChangeInCapacity adds it, ExactCapacity is it, and
// PercentChangeInCapacity adds that percentage of the current capacity,
// rounded toward zero but by at least one instance, and by at least
// MinAdjustmentMagnitude when that is set.
func adjusted(current int, adjustmentType string, adjustment int, minMagnitude *int) int {
	switch adjustmentType {
	case "ExactCapacity":
		return adjustment
	case "PercentChangeInCapacity":
		change := float64(current) * float64(adjustment) / 100
		n := int(math.Trunc(change))
		switch {
		case change > 0 && n == 0:
			n = 1
		case change < 0 && n == 0:
			n = -1
		}
		if minMagnitude != nil && abs(n) < *minMagnitude {
			if n < 0 {
				n = -*minMagnitude
			} else {
				n = *minMagnitude
			}
		}
		return current + n
	default: // ChangeInCapacity
		return current + adjustment
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// stepFor finds the step whose interval holds diff (the metric minus the
// breach threshold): lower bound inclusive, upper bound exclusive, a
// missing bound unbounded.
func stepFor(steps []wire.StepAdjustment, diff float64) (int, bool) {
	for _, st := range steps {
		lower := math.Inf(-1)
		if st.MetricIntervalLowerBound != nil {
			lower = *st.MetricIntervalLowerBound
		}
		upper := math.Inf(1)
		if st.MetricIntervalUpperBound != nil {
			upper = *st.MetricIntervalUpperBound
		}
		if diff >= lower && diff < upper {
			return valueOf(st.ScalingAdjustment), true
		}
	}
	return 0, false
}
