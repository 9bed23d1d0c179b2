package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
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

// reconcileManagedScaling is ECS cluster auto scaling: for each capacity
// provider with managed scaling, the group's desired capacity follows the
// number of instances the cluster's tasks need (CapacityProviderReservation
// M/N aimed at targetCapacity). It scales out only: scale-in waits for a
// later version (AWS itself takes 15 minutes of low use to scale in).
func (c *Controller) reconcileManagedScaling(ctx context.Context) error {
	type plan struct {
		group   string
		needed  int
		target  int
		cluster string
	}
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
	var plans []plan
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
				target := 100
				if ms := cp.AutoScalingGroupProvider.ManagedScaling; ms.TargetCapacity != nil && *ms.TargetCapacity > 0 {
					target = int(*ms.TargetCapacity)
				}
				plans = append(plans, plan{group: groupNameFromARN(asgARN), needed: busy + extra, target: target, cluster: cluster.ClusterName})
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
		g, err := c.deps.AutoScaling.Group(ctx, p.group)
		if err != nil || g == nil || g.Deleting {
			continue
		}
		desired := int(math.Ceil(float64(p.needed) * 100 / float64(p.target)))
		desired = min(max(desired, g.MinSize), g.MaxSize)
		if desired <= g.DesiredCapacity {
			continue
		}
		c.log.Info("managed scaling: scaling out", "cluster", p.cluster, "group", p.group, "from", g.DesiredCapacity, "to", desired)
		if err := c.deps.AutoScaling.SetDesiredCapacity(ctx, p.group, desired); err != nil {
			errs = append(errs, fmt.Errorf("scaling %s to %d: %w", p.group, desired, err))
		}
	}
	return errors.Join(errs...)
}

// busyInstances counts the group's container instances that run tasks, and
// how many awsvpc tasks one of its instances can hold.
func busyInstances(s *ecs.State, clusterARN string, group map[string]bool) (busy, perInstance int, err error) {
	instances, err := s.ContainerInstances(clusterARN)
	if err != nil {
		return 0, 0, err
	}
	perInstance = 1
	for _, ci := range instances {
		if ci.Status != "ACTIVE" || !group[ci.Ec2InstanceId] {
			continue
		}
		if ci.RunningTasksCount+ci.PendingTasksCount > 0 {
			busy++
		}
		if it, ok := ec2.LookupInstanceType(attribute(ci, "ecs.instance-type")); ok {
			perInstance = max(it.MaxENIs-1, 1)
		}
	}
	return busy, perInstance, nil
}
