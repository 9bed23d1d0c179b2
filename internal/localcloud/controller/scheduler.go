package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// Task states, as ECS names them.
const (
	statusProvisioning   = "PROVISIONING"
	statusPending        = "PENDING"
	statusActivating     = "ACTIVATING"
	statusRunning        = "RUNNING"
	statusDeactivating   = "DEACTIVATING"
	statusStopping       = "STOPPING"
	statusDeprovisioning = "DEPROVISIONING"
	statusStopped        = "STOPPED"
)

// requestStop asks for a task to stop, keeping the first reason given.
func requestStop(t *ecs.Task, code, reason string) {
	if t.DesiredStatus == statusStopped {
		return
	}
	t.DesiredStatus = statusStopped
	t.StopCode = code
	t.StoppedReason = reason
}

// active reports whether a task still counts toward its service: it is meant
// to run and has not stopped.
func active(t *ecs.Task) bool {
	return t.DesiredStatus != statusStopped && t.LastStatus != statusStopped
}

func serviceGroup(serviceName string) string { return "service:" + serviceName }

// reconcileServices runs the service scheduler of every cluster. A Fargate
// task placed in a subnet whose zone the controller has not learnt yet
// waits (see placeOnFargate); the zones are then read from EC2, outside the
// ECS transaction, and the clusters scheduled once more.
func (c *Controller) reconcileServices(ctx context.Context) error {
	var clusters []*ecs.Cluster
	if err := c.deps.ECS.View(ctx, func(s *ecs.State) (err error) {
		clusters, err = s.Clusters()
		return err
	}); err != nil {
		return err
	}
	for round := 0; ; round++ {
		var errs []error
		for _, cluster := range clusters {
			if cluster.Status != "ACTIVE" {
				continue
			}
			if err := c.deps.ECS.Update(ctx, func(s *ecs.State) error { return c.scheduleCluster(s, cluster.ClusterArn) }); err != nil {
				errs = append(errs, fmt.Errorf("cluster %s: %w", cluster.ClusterName, err))
			}
		}
		if len(c.zonesWanted) == 0 || round > 0 {
			return errors.Join(errs...)
		}
		if err := c.learnZones(ctx); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
}

// learnZones reads the zones of the subnets placeOnFargate asked for.
func (c *Controller) learnZones(ctx context.Context) error {
	for id := range c.zonesWanted {
		subnet, err := c.deps.EC2.Subnet(ctx, id)
		if err != nil {
			return err
		}
		zone := "" // a subnet that is gone: ECS answers the task's zone empty
		if subnet != nil {
			zone = subnet.AvailabilityZone
		}
		c.subnetZones[id] = zone
		delete(c.zonesWanted, id)
	}
	return nil
}

// scheduleCluster runs every service of one cluster, then places the tasks
// waiting for an instance, all in one transaction.
func (c *Controller) scheduleCluster(s *ecs.State, clusterARN string) error {
	services, err := s.Services(clusterARN)
	if err != nil {
		return err
	}
	tasks, err := s.Tasks(clusterARN)
	if err != nil {
		return err
	}
	leaving, err := drainingInstances(s, clusterARN)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, svc := range services {
		var mine []*ecs.Task
		for _, t := range tasks {
			if t.Group == serviceGroup(svc.ServiceName) {
				mine = append(mine, t)
			}
		}
		newTasks, err := c.scheduleService(s, svc, mine, leaving, now)
		if err != nil {
			return fmt.Errorf("service %s: %w", svc.ServiceName, err)
		}
		tasks = append(tasks, newTasks...)
	}
	return c.place(s, clusterARN, services, tasks)
}

// primaryDeployment is the service's PRIMARY deployment, nil if it has none.
func primaryDeployment(svc *ecs.Service) *ecs.Deployment {
	for i := range svc.Deployments {
		if svc.Deployments[i].Status == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

// deploymentLimits are the bounds a rolling deployment keeps to.
func deploymentLimits(svc *ecs.Service) (maxActive, minHealthy int) {
	maxPercent, minPercent := 200, 100
	if cfg := svc.DeploymentConfiguration; cfg != nil {
		if cfg.MaximumPercent != nil {
			maxPercent = int(*cfg.MaximumPercent)
		}
		if cfg.MinimumHealthyPercent != nil {
			minPercent = int(*cfg.MinimumHealthyPercent)
		}
	}
	desired := int(svc.DesiredCount)
	maxActive = desired * maxPercent / 100
	if maxActive < desired {
		maxActive = desired
	}
	minHealthy = int(math.Ceil(float64(desired) * float64(minPercent) / 100))
	return maxActive, minHealthy
}

// circuitBreakerThreshold is how many failed tasks fail a deployment.
func circuitBreakerThreshold(desired int) int { return ecs.CircuitBreakerThreshold(desired) }

// reasonInstanceDraining is the stoppedReason of a service task replaced
// because its container instance is DRAINING.
const reasonInstanceDraining = "Task stopped during instance draining"

// drainingInstances are the cluster's DRAINING container instances, by ARN.
func drainingInstances(s *ecs.State, clusterARN string) (map[string]bool, error) {
	instances, err := s.ContainerInstances(clusterARN)
	if err != nil {
		return nil, err
	}
	leaving := map[string]bool{}
	for _, ci := range instances {
		if ci.Status == "DRAINING" {
			leaving[ci.ContainerInstanceArn] = true
		}
	}
	return leaving, nil
}

// scheduleService launches, stops and counts the tasks of one service, and
// moves its deployments along. It returns the tasks it created. Tasks on a
// DRAINING instance (leaving) are replaced as an older deployment's are:
// replacements start elsewhere within maximumPercent, and they stop only
// as far as minimumHealthyPercent allows.
func (c *Controller) scheduleService(s *ecs.State, svc *ecs.Service, tasks []*ecs.Task, leaving map[string]bool, now time.Time) ([]*ecs.Task, error) {
	primary := primaryDeployment(svc)
	if primary == nil {
		return nil, nil
	}
	// What follows edits svc in place (its deployments' slice included):
	// keep its encoding to store it only when it changed.
	before, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}

	var launched []*ecs.Task
	var stopped []string
	if svc.Status == "DRAINING" {
		for _, t := range tasks {
			if active(t) {
				requestStop(t, "ServiceSchedulerInitiated", fmt.Sprintf("Scaling activity initiated by (deployment %s)", primary.Id))
				stopped = append(stopped, taskID(t.TaskArn))
			}
		}
	} else {
		desired := int(svc.DesiredCount)
		primary.DesiredCount = svc.DesiredCount
		maxActive, minHealthy := deploymentLimits(svc)
		var primaryActive, oldActive []*ecs.Task
		healthy := 0
		for _, t := range tasks {
			if !active(t) {
				continue
			}
			if t.StartedBy == primary.Id && !leaving[t.ContainerInstanceArn] {
				primaryActive = append(primaryActive, t)
			} else {
				oldActive = append(oldActive, t)
			}
			if c.taskHealthy(svc, t, now) {
				healthy++
			}
		}

		// Scale in the primary deployment: newest (least settled) first.
		for i := len(primaryActive) - 1; i >= 0 && len(primaryActive) > desired; i-- {
			t := primaryActive[i]
			requestStop(t, "ServiceSchedulerInitiated", fmt.Sprintf("Scaling activity initiated by (deployment %s)", primary.Id))
			stopped = append(stopped, taskID(t.TaskArn))
			primaryActive = slices.Delete(primaryActive, i, i+1)
		}

		// Replace older deployments' tasks and those on draining
		// instances without dropping below the minimum healthy count;
		// unhealthy ones (a PENDING task on a draining instance among
		// them) may always go.
		canStop := healthy - minHealthy
		for _, t := range oldActive {
			isHealthy := c.taskHealthy(svc, t, now)
			if isHealthy && canStop <= 0 {
				continue
			}
			if isHealthy {
				canStop--
			}
			reason := fmt.Sprintf("Scaling activity initiated by (deployment %s)", primary.Id)
			if leaving[t.ContainerInstanceArn] {
				// The words AWS documents for a task its draining
				// instance gives up.
				reason = reasonInstanceDraining
			}
			requestStop(t, "ServiceSchedulerInitiated", reason)
			stopped = append(stopped, taskID(t.TaskArn))
		}
		remainingOld := 0
		for _, t := range oldActive {
			if active(t) {
				remainingOld++
			}
		}

		// Launch what the primary deployment lacks, within maximumPercent,
		// unless its rollout failed or launches are backing off.
		toLaunch := min(desired-len(primaryActive), maxActive-len(primaryActive)-remainingOld)
		if toLaunch > 0 && primary.RolloutState != "FAILED" && c.mayLaunch(svc.ServiceArn, now) {
			def, err := s.TaskDefinition(primary.TaskDefinition)
			if err != nil {
				return nil, err
			}
			if def == nil {
				return nil, fmt.Errorf("task definition %s is gone", primary.TaskDefinition)
			}
			cluster, err := s.Cluster(svc.ClusterArn)
			if err != nil || cluster == nil {
				return nil, fmt.Errorf("cluster %s: %w", svc.ClusterArn, err)
			}
			var ids []string
			for range toLaunch {
				t := s.NewTask(cluster, def, primary.Id, serviceGroup(svc.ServiceName))
				if err := s.PutTask(t); err != nil {
					return nil, err
				}
				launched = append(launched, t)
				ids = append(ids, "(task "+taskID(t.TaskArn)+")")
			}
			s.AddServiceEvent(svc, fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.ServiceName, len(ids), strings.Join(ids, " ")))
		}
	}
	for _, t := range tasks {
		if slices.Contains(stopped, taskID(t.TaskArn)) {
			if err := s.PutTask(t); err != nil {
				return nil, err
			}
		}
	}
	if len(stopped) > 0 && svc.Status != "DRAINING" {
		s.AddServiceEvent(svc, fmt.Sprintf("(service %s) has stopped %d running tasks: (task %s).", svc.ServiceName, len(stopped), strings.Join(stopped, ") (task ")))
	}

	c.updateCounts(s, svc, append(tasks, launched...), now)
	after, err := json.Marshal(svc)
	if err != nil || bytes.Equal(before, after) {
		return launched, err
	}
	return launched, s.PutService(svc)
}

// updateCounts refreshes the service's and its deployments' task counts,
// retires replaced deployments, completes rollouts and finishes deletes.
func (c *Controller) updateCounts(s *ecs.State, svc *ecs.Service, tasks []*ecs.Task, now time.Time) {
	running, pending := map[string]int32{}, map[string]int32{}
	healthyPrimary, anyActive := 0, false
	primary := primaryDeployment(svc)
	for _, t := range tasks {
		if !active(t) {
			continue
		}
		anyActive = true
		if t.LastStatus == statusRunning {
			running[t.StartedBy]++
		} else {
			pending[t.StartedBy]++
		}
		if primary != nil && t.StartedBy == primary.Id && c.taskHealthy(svc, t, now) {
			healthyPrimary++
		}
	}
	svc.RunningCount, svc.PendingCount = 0, 0
	kept := svc.Deployments[:0]
	for _, d := range svc.Deployments {
		d.RunningCount, d.PendingCount = running[d.Id], pending[d.Id]
		svc.RunningCount += d.RunningCount
		svc.PendingCount += d.PendingCount
		if d.Status != "PRIMARY" && d.RunningCount+d.PendingCount == 0 {
			continue // fully replaced: INACTIVE deployments drop off the list
		}
		kept = append(kept, d)
	}
	svc.Deployments = kept

	if svc.Status == "DRAINING" {
		if !anyActive {
			svc.Status = "INACTIVE"
			svc.DesiredCount = 0
		}
		return
	}
	primary = primaryDeployment(svc) // the list was rebuilt above
	if primary == nil || primary.RolloutState != "IN_PROGRESS" {
		return
	}
	if len(svc.Deployments) == 1 && healthyPrimary == int(svc.DesiredCount) && primary.RunningCount == svc.DesiredCount && primary.PendingCount == 0 {
		primary.RolloutState = "COMPLETED"
		primary.RolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", primary.Id)
		primary.UpdatedAt = awsjson.NewTime(now)
		s.AddServiceEvent(svc, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", svc.ServiceName, primary.Id))
		s.AddServiceEvent(svc, fmt.Sprintf("(service %s) has reached a steady state.", svc.ServiceName))
	}
}

// taskHealthy is ECS's view of a service task: running, its container
// health checks passed, and healthy in every target group it is
// registered in.
func (c *Controller) taskHealthy(svc *ecs.Service, t *ecs.Task, now time.Time) bool {
	if t.LastStatus != statusRunning || t.DesiredStatus == statusStopped {
		return false
	}
	if c.awaitsContainerHealth(t.TaskArn) && t.HealthStatus != healthHealthy {
		return false
	}
	if len(svc.LoadBalancers) == 0 {
		return true
	}
	for _, binding := range svc.LoadBalancers {
		target, _ := c.serviceTarget(t, binding)
		state := c.targetState(binding.TargetGroupArn, target.ID, target.Port)
		if state != lb.StateHealthy {
			return false
		}
	}
	return true
}

// targetState is the balancer's current state of one target.
func (c *Controller) targetState(targetGroupARN, ip string, port int) string {
	for _, h := range c.deps.Balancer.TargetHealth(targetGroupARN) {
		if h.Target.ID == ip && (h.Target.Port == port || h.Target.Port == 0) {
			return h.State
		}
	}
	return ""
}

// mayLaunch throttles a service whose tasks keep failing, as ECS does, so a
// broken image does not turn into a tight crash loop.
func (c *Controller) mayLaunch(serviceARN string, now time.Time) bool {
	b, ok := c.backoff[serviceARN]
	return !ok || !now.Before(b.next)
}

// launchFailed stretches a service's launch backoff: 1 s, 2 s, 4 s … 1 min.
func (c *Controller) launchFailed(serviceARN string, now time.Time) {
	b := c.backoff[serviceARN]
	b.failures++
	delay := time.Second << min(b.failures-1, 6)
	b.next = now.Add(min(delay, time.Minute))
	c.backoff[serviceARN] = b
}

// launchSucceeded resets the backoff once a task reaches RUNNING.
func (c *Controller) launchSucceeded(serviceARN string) { delete(c.backoff, serviceARN) }

type launchBackoff struct {
	failures int
	next     time.Time
}

func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
