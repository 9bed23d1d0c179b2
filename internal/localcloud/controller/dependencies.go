package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// startPlan is a task on its way to RUNNING: its containers, resolved, and
// which have started. Containers start as their dependsOn conditions are
// met, over as many passes as that takes.
type startPlan struct {
	def     *ecs.TaskDefinition
	specs   []runtime.TaskSpec
	started []bool
}

// The conditions of a container's dependsOn.
const (
	conditionStart    = "START"
	conditionComplete = "COMPLETE"
	conditionSuccess  = "SUCCESS"
	conditionHealthy  = "HEALTHY"
)

// continueStart starts each container whose dependencies are met; once all
// have started the task is RUNNING and joins its target groups. A
// dependency that can no longer be met stops the task.
func (c *Controller) continueStart(ctx context.Context, t *ecs.Task, svc *ecs.Service) error {
	plan := c.starts[t.TaskArn]
	if plan == nil {
		return nil
	}
	for i, spec := range plan.specs {
		if plan.started[i] {
			continue
		}
		cd := plan.def.ContainerDefinitions[i]
		met, broken := c.dependenciesMet(t.TaskArn, cd)
		if broken != "" {
			delete(c.starts, t.TaskArn)
			return c.failDependency(ctx, t, svc, cd.Name, broken)
		}
		if !met {
			continue
		}
		plan.started[i] = true
		stopTimeout := defaultStopTimeout
		if cd.StopTimeout != nil {
			stopTimeout = time.Duration(*cd.StopTimeout) * time.Second
		}
		var dependsOn []string
		for _, dep := range cd.DependsOn {
			dependsOn = append(dependsOn, dep.ContainerName)
		}
		var startTimeout time.Duration
		if cd.StartTimeout != nil {
			startTimeout = time.Duration(*cd.StartTimeout) * time.Second
		}
		c.processes[spec.ID] = &taskProcess{taskARN: t.TaskArn, container: cd.Name, address: spec.Address, essential: cd.Essential == nil || *cd.Essential,
			stopTimeout: stopTimeout, dependsOn: dependsOn, startedAt: time.Now(), startTimeout: startTimeout}
		if err := c.deps.Runtime.Start(ctx, spec); err != nil {
			// The runtime reports the failure as an exit event too; the
			// task stops when that event is handled.
			c.log.Info("container failed to start", "task", taskID(t.TaskArn), "container", cd.Name, "error", err)
			delete(c.starts, t.TaskArn)
			return nil
		}
		if check, ok := c.healthCheckOf(cd.HealthCheck); ok {
			c.startProbe(ctx, spec.ID, t.TaskArn, cd.Name, c.processes[spec.ID].essential, check)
		}
		if err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
			for j := range task.Containers {
				if task.Containers[j].Name == cd.Name && task.Containers[j].LastStatus == statusPending {
					task.Containers[j].LastStatus = statusRunning
				}
			}
		}); err != nil {
			return err
		}
	}
	for _, started := range plan.started {
		if !started {
			return nil // the next pass (a start, an exit, a health change) looks again
		}
	}
	delete(c.starts, t.TaskArn)
	err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
		if task.LastStatus != statusActivating {
			return // an exit event got there first
		}
		task.LastStatus = statusRunning
		task.StartedAt = awsjson.NewTime(time.Now())
		task.Connectivity = "CONNECTED"
		task.ConnectivityAt = task.StartedAt
	})
	if err != nil {
		return err
	}
	if svc != nil {
		c.launchSucceeded(svc.ServiceArn)
		return c.registerTargets(ctx, t, svc)
	}
	return nil
}

// dependenciesMet says whether cd's dependsOn conditions hold now; broken
// says why one never will (its container exited, failed, turned
// unhealthy, or outlasted its startTimeout), as the ECS agent reports it.
func (c *Controller) dependenciesMet(taskARN string, cd ecs.ContainerDefinition) (met bool, broken string) {
	met = true
	now := time.Now()
	for _, dep := range cd.DependsOn {
		id := RuntimeID(taskARN, dep.ContainerName)
		p := c.processes[id]
		if p == nil {
			met = false // not started yet
			continue
		}
		unresolvable := fmt.Sprintf("DependencyError: dependency graph: failed to resolve the container ordering dependency [%s] for target [%s]", dep.ContainerName, cd.Name)
		reached := true
		switch dep.Condition {
		case conditionStart:
		case conditionComplete:
			reached = p.exited
		case conditionSuccess:
			if p.exited && p.exitCode != 0 {
				return false, unresolvable + " as dependency did not exit successfully."
			}
			reached = p.exited
		case conditionHealthy:
			probe := c.probes[id]
			switch {
			case p.exited || (probe != nil && probe.status == healthUnhealthy):
				return false, unresolvable + " as dependency did not become healthy."
			case probe == nil:
				return false, unresolvable + " as dependency has no health check."
			}
			reached = probe.status == healthHealthy
		}
		// The dependency's startTimeout is how long its dependents wait
		// for it to get there; the agent then gives up on the task.
		if !reached && p.startTimeout > 0 && now.After(p.startedAt.Add(p.startTimeout)) {
			return false, fmt.Sprintf("DependencyError: dependency graph: container ordering dependency [%s] for target [%s] has timed out.", dep.ContainerName, cd.Name)
		}
		met = met && reached
	}
	return met, broken
}

// failDependency stops a task one of whose containers can never start.
func (c *Controller) failDependency(ctx context.Context, t *ecs.Task, svc *ecs.Service, container, reason string) error {
	if err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
		requestStop(task, "TaskFailedToStart", reason)
		for i := range task.Containers {
			if task.Containers[i].Name == container {
				task.Containers[i].Reason = reason
			}
		}
	}, withStop(c, svc)); err != nil {
		return err
	}
	return c.finishIfGone(ctx, t, svc)
}

// finishIfGone stops what still runs of a task that will not start, or,
// when nothing does, finishes it.
func (c *Controller) finishIfGone(ctx context.Context, t *ecs.Task, svc *ecs.Service) error {
	live := c.processesOf(t.TaskArn)
	for _, id := range live {
		c.stopProcess(ctx, id, c.processes[id].stopTimeout)
	}
	if len(live) > 0 {
		return nil // the last exit finishes the task
	}
	c.forgetProcesses(t.TaskArn)
	return c.markStopped(ctx, t.ClusterArn, t.TaskArn, svc)
}

// forgetProcesses drops a finished task's containers and health checks.
func (c *Controller) forgetProcesses(taskARN string) {
	for id, proc := range c.processes {
		if proc.taskARN == taskARN {
			c.stopProbe(id)
			delete(c.processes, id)
		}
	}
}
