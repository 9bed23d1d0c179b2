package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// groupNameFromARN returns the group name of an Auto Scaling group ARN
// (…:autoScalingGroup:<uuid>:autoScalingGroupName/<name>).
func groupNameFromARN(arn string) string {
	_, name, ok := strings.Cut(arn, ":autoScalingGroupName/")
	if !ok {
		return arn
	}
	return name
}

// providerState is what managed scaling remembers of one capacity
// provider between passes (in memory, like the metric data it reads).
type providerState struct {
	periodStart  int64 // the reservation period being measured (unix s)
	peak         float64
	lastScaleOut time.Time
}

// capacityPlan is one capacity provider's view of its group this pass.
type capacityPlan struct {
	provider, cluster, group string
	needed                   int // M of CapacityProviderReservation (instances needed)
	target                   int // targetCapacity
	minStep, maxStep         int // minimum/maximumScalingStepSize
	warmup                   time.Duration
	protect                  bool            // managedTerminationProtection ENABLED
	busy                     map[string]bool // instance id → runs tasks
}

// reconcileManagedScaling is ECS cluster auto scaling. For each capacity
// provider with managed scaling it computes CapacityProviderReservation as
// ECS documents it, M/N×100 with M the instances the cluster's tasks need
// (those running tasks, plus what the tasks that cannot be placed need)
// and N the group's instances, and publishes it once a period in
// AWS/ECS/ManagedScaling. The group's desired capacity then tracks
// targetCapacity in both directions, within the step sizes:
//
//   - out at once when tasks cannot be placed (a reservation above the
//     target), to ceil(M×100/target), then not again before the instance
//     warm-up period has passed;
//   - in after 15 consecutive periods below the target, by the idle
//     instances only, as AWS's low alarm does.
//
// With managed termination protection, instances that run tasks are
// protected from scale-in and idle ones are not, through Auto Scaling's
// SetInstanceProtection, so that scale-in only ever takes idle instances.
func (c *Controller) reconcileManagedScaling(ctx context.Context) error {
	// Which instances each group holds, read before the ECS transaction (a
	// container instance registered before its capacity provider existed
	// carries no provider name, so membership is the group's word).
	groups, err := c.deps.AutoScaling.Groups(ctx)
	if err != nil {
		return err
	}
	members := map[string]map[string]bool{} // group ARN → instance ids
	for _, g := range groups {
		members[g.ARN] = map[string]bool{}
		for _, inst := range g.Instances {
			members[g.ARN][inst.InstanceID] = true
		}
	}
	var plans []capacityPlan
	err = c.deps.ECS.View(ctx, func(s *ecs.State) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, cluster := range clusters {
			if cluster.Status != "ACTIVE" {
				continue
			}
			stuck := c.unplaced[cluster.ClusterArn]
			for _, name := range cluster.CapacityProviders {
				cp, err := s.CapacityProvider(name)
				if err != nil {
					return err
				}
				if cp == nil || cp.AutoScalingGroupProvider == nil || cp.AutoScalingGroupProvider.ManagedScaling == nil || cp.AutoScalingGroupProvider.ManagedScaling.Status != "ENABLED" {
					continue
				}
				asgARN := cp.AutoScalingGroupProvider.AutoScalingGroupArn
				busy, perInstance, err := busyInstances(s, cluster.ClusterArn, members[asgARN])
				if err != nil {
					return err
				}
				extra := stuck.distinct
				if shared := stuck.tasks - stuck.distinct; shared > 0 {
					extra += int(math.Ceil(float64(shared) / float64(max(perInstance, 1))))
				}
				ms := cp.AutoScalingGroupProvider.ManagedScaling
				plans = append(plans, capacityPlan{
					provider: cp.Name, cluster: cluster.ClusterName, group: groupNameFromARN(asgARN),
					needed: countBusy(busy) + extra, target: int(orDefault(ms.TargetCapacity, 100)),
					minStep: int(orDefault(ms.MinimumScalingStepSize, 1)), maxStep: int(orDefault(ms.MaximumScalingStepSize, 10000)),
					warmup:  time.Duration(orDefault(ms.InstanceWarmupPeriod, 300)) * time.Second,
					protect: cp.AutoScalingGroupProvider.ManagedTerminationProtection == "ENABLED",
					busy:    busy,
				})
				stuck = unplaced{} // one provider takes the cluster's waiting tasks
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range plans {
		if err := c.scaleProvider(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("capacity provider %s: %w", p.provider, err))
		}
	}
	return errors.Join(errs...)
}

func orDefault(v *int32, def int32) int32 {
	if v == nil || *v <= 0 {
		return def
	}
	return *v
}

func countBusy(busy map[string]bool) int {
	n := 0
	for _, b := range busy {
		if b {
			n++
		}
	}
	return n
}

// lowReservationPeriods is how many consecutive periods the reservation
// must stay under the target before managed scaling scales in.
const lowReservationPeriods = 15

func (c *Controller) scaleProvider(ctx context.Context, p capacityPlan) error {
	g, err := c.deps.AutoScaling.Group(ctx, p.group)
	if err != nil || g == nil || g.Deleting {
		return err
	}
	inService := 0
	for _, inst := range g.Instances {
		if inst.LifecycleState != autoscaling.StateTerminating && inst.LifecycleState != autoscaling.StateTerminatingWait {
			inService++
		}
	}
	reservation := 100.0
	switch {
	case inService == 0 && p.needed > 0:
		reservation = 200
	case inService > 0:
		reservation = 100 * float64(p.needed) / float64(inService)
	}
	scope, _ := store.ScopeFrom(ctx)
	key := scope.String() + "|" + p.provider
	st := c.providers[key]
	now := time.Now()
	period := int64(c.period(metricPeriod) / time.Second)
	current := now.Unix() / period * period
	if st == nil {
		st = &providerState{periodStart: current}
		c.providers[key] = st
	}
	dims := []cloudwatch.Dimension{{Name: "CapacityProviderName", Value: p.provider}, {Name: "ClusterName", Value: p.cluster}}
	// A period's datapoint is the highest reservation its passes saw: a
	// task that waited for an instance for one pass shows.
	if c.deps.CloudWatch != nil && current > st.periodStart {
		// A late pass fills every period it closes, as publishECSMetrics does.
		for at := st.periodStart; at < current; at += period {
			if err := c.deps.CloudWatch.Put(ctx, "AWS/ECS/ManagedScaling", "CapacityProviderReservation", dims, max(st.peak, reservation), "Percent", time.Unix(at, 0)); err != nil {
				return err
			}
		}
		st.periodStart, st.peak = current, 0
	}
	st.peak = max(st.peak, reservation)

	if p.protect {
		if err := c.syncProtection(ctx, g, p.busy); err != nil {
			return err
		}
	}

	needed := int(math.Ceil(float64(p.needed) * 100 / float64(p.target)))
	switch {
	case needed > g.DesiredCapacity:
		if !st.lastScaleOut.IsZero() && now.Sub(st.lastScaleOut) < c.period(p.warmup) {
			return nil // the instances just launched are warming up
		}
		step := min(max(needed-g.DesiredCapacity, p.minStep), p.maxStep)
		desired := min(g.DesiredCapacity+step, g.MaxSize)
		if desired <= g.DesiredCapacity {
			return nil
		}
		c.log.Info("managed scaling: scaling out", "cluster", p.cluster, "group", p.group, "from", g.DesiredCapacity, "to", desired, "reservation", reservation)
		if err := c.deps.AutoScaling.SetDesiredCapacity(ctx, p.group, desired); err != nil {
			return fmt.Errorf("scaling %s to %d: %w", p.group, desired, err)
		}
		st.lastScaleOut = now
	case needed < g.DesiredCapacity && g.DesiredCapacity > g.MinSize:
		if !c.reservationLow(ctx, dims, p.target, period, current) {
			return nil
		}
		idle := 0
		for _, inst := range g.Instances {
			if !p.busy[inst.InstanceID] && (!inst.ProtectedFromScaleIn || !p.protect) {
				idle++
			}
		}
		step := min(max(g.DesiredCapacity-needed, p.minStep), p.maxStep, idle)
		desired := max(g.DesiredCapacity-step, g.MinSize, needed)
		if desired >= g.DesiredCapacity {
			return nil
		}
		c.log.Info("managed scaling: scaling in", "cluster", p.cluster, "group", p.group, "from", g.DesiredCapacity, "to", desired, "reservation", reservation)
		if err := c.deps.AutoScaling.SetDesiredCapacity(ctx, p.group, desired); err != nil {
			return fmt.Errorf("scaling %s to %d: %w", p.group, desired, err)
		}
	}
	return nil
}

// reservationLow reports whether each of the last 15 complete periods of
// the provider's CapacityProviderReservation is below the target.
func (c *Controller) reservationLow(ctx context.Context, dims []cloudwatch.Dimension, target int, period, current int64) bool {
	if c.deps.CloudWatch == nil {
		return false
	}
	points, err := c.deps.CloudWatch.Statistics(ctx, cloudwatch.StatisticsQuery{
		Namespace: "AWS/ECS/ManagedScaling", MetricName: "CapacityProviderReservation", Dimensions: dims, Statistic: "Average",
		Start: time.Unix(current-lowReservationPeriods*period, 0), End: time.Unix(current, 0), Period: time.Duration(period) * time.Second,
	})
	if err != nil || len(points) < lowReservationPeriods {
		return false
	}
	for _, pt := range points {
		if pt.Value >= float64(target) {
			return false
		}
	}
	return true
}

// syncProtection protects the group's instances that run tasks from
// scale-in and lifts the protection of idle ones, as ECS does under
// managed termination protection; it writes only what differs.
func (c *Controller) syncProtection(ctx context.Context, g *autoscaling.Group, busy map[string]bool) error {
	var protect, release []string
	for _, inst := range g.Instances {
		if inst.LifecycleState == autoscaling.StateTerminating || inst.LifecycleState == autoscaling.StateTerminatingWait {
			continue
		}
		switch {
		case busy[inst.InstanceID] && !inst.ProtectedFromScaleIn:
			protect = append(protect, inst.InstanceID)
		case !busy[inst.InstanceID] && inst.ProtectedFromScaleIn:
			release = append(release, inst.InstanceID)
		}
	}
	if len(protect) > 0 {
		if err := c.deps.AutoScaling.SetInstanceProtection(ctx, g.Name, protect, true); err != nil {
			return err
		}
	}
	if len(release) > 0 {
		return c.deps.AutoScaling.SetInstanceProtection(ctx, g.Name, release, false)
	}
	return nil
}

// busyInstances says which of the group's container instances run tasks,
// and how many awsvpc tasks one of its instances can hold.
func busyInstances(s *ecs.State, clusterARN string, group map[string]bool) (busy map[string]bool, perInstance int, err error) {
	instances, err := s.ContainerInstances(clusterARN)
	if err != nil {
		return nil, 0, err
	}
	perInstance = 1
	busy = map[string]bool{}
	for _, ci := range instances {
		if ci.Status != "ACTIVE" || !group[ci.Ec2InstanceId] {
			continue
		}
		busy[ci.Ec2InstanceId] = ci.RunningTasksCount+ci.PendingTasksCount > 0
		if it, ok := ec2.LookupInstanceType(attribute(ci, "ecs.instance-type")); ok {
			perInstance = max(it.MaxENIs-1, 1)
		}
	}
	return busy, perInstance, nil
}
