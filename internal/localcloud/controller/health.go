package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// Health statuses of containers and tasks, as ECS reports them.
const (
	healthUnknown   = "UNKNOWN"
	healthHealthy   = "HEALTHY"
	healthUnhealthy = "UNHEALTHY"
)

// reasonContainerHealth is the stoppedReason ECS gives a service task that
// its scheduler replaced because an essential container turned unhealthy.
const reasonContainerHealth = "Task failed container health checks"

// ECS's defaults for a container health check's timing (seconds).
const (
	defaultHealthInterval = 30
	defaultHealthTimeout  = 5
	defaultHealthRetries  = 3
)

// healthCheck is a container definition's healthCheck as the controller
// runs it, its timing on the controller's time scale.
type healthCheck struct {
	argv        []string
	interval    time.Duration
	timeout     time.Duration
	startPeriod time.Duration
	retries     int
}

// healthCheckOf reads a container definition's healthCheck; ok is false
// when it has none (or "NONE", which turns an image's check off).
func (c *Controller) healthCheckOf(h *ecs.HealthCheck) (check healthCheck, ok bool) {
	if h == nil || len(h.Command) == 0 {
		return healthCheck{}, false
	}
	switch h.Command[0] {
	case "NONE":
		return healthCheck{}, false
	case "CMD":
		check.argv = h.Command[1:]
	case "CMD-SHELL":
		check.argv = []string{"/bin/sh", "-c", strings.Join(h.Command[1:], " ")}
	default:
		// Without a prefix, the words are a shell command, as in a
		// Dockerfile's HEALTHCHECK CMD in shell form.
		check.argv = []string{"/bin/sh", "-c", strings.Join(h.Command, " ")}
	}
	if len(check.argv) == 0 {
		return healthCheck{}, false
	}
	seconds := func(v *int32, def int32) time.Duration {
		if v == nil || *v <= 0 {
			return c.period(time.Duration(def) * time.Second)
		}
		return c.period(time.Duration(*v) * time.Second)
	}
	check.interval = seconds(h.Interval, defaultHealthInterval)
	// The timeout is how long the command may take, which no time scale
	// shortens: a loaded machine starts a shell no faster.
	check.timeout = time.Duration(defaultHealthTimeout) * time.Second
	if h.Timeout != nil && *h.Timeout > 0 {
		check.timeout = time.Duration(*h.Timeout) * time.Second
	}
	check.startPeriod = 0
	if h.StartPeriod != nil && *h.StartPeriod > 0 {
		check.startPeriod = c.period(time.Duration(*h.StartPeriod) * time.Second)
	}
	check.retries = defaultHealthRetries
	if h.Retries != nil && *h.Retries > 0 {
		check.retries = int(*h.Retries)
	}
	return check, true
}

// healthProbe is the running health check of one container.
type healthProbe struct {
	taskARN   string
	container string
	essential bool
	// status is the last status recorded in the task (Run goroutine).
	status string
	stop   context.CancelFunc
}

// containerHealthChange is a probe's new verdict on its container.
type containerHealthChange struct {
	id     string // runtime id
	status string
}

// startProbe runs the container's health check until stopProbe, as Docker
// does: the first check one interval after the start, a pass makes the
// container HEALTHY, `retries` failures in a row UNHEALTHY, and failures
// within the start period do not count.
func (c *Controller) startProbe(ctx context.Context, id, taskARN, container string, essential bool, check healthCheck) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.probes[id] = &healthProbe{taskARN: taskARN, container: container, essential: essential, status: healthUnknown, stop: cancel}
	go func() {
		started := time.Now()
		ticker := time.NewTicker(check.interval)
		defer ticker.Stop()
		status, failures := healthUnknown, 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			checkCtx, done := context.WithTimeout(ctx, check.timeout)
			code, err := runtime.ExecIn(checkCtx, c.deps.Runtime, id, check.argv)
			done()
			if ctx.Err() != nil {
				return
			}
			next := status
			switch {
			case err == nil && code == 0:
				failures, next = 0, healthHealthy
			case time.Since(started) < check.startPeriod:
				continue
			default:
				failures++
				if failures >= check.retries {
					next = healthUnhealthy
				}
			}
			if next != status {
				status = next
				c.onContainerHealth(containerHealthChange{id: id, status: status})
			}
		}
	}()
}

// stopProbe ends a container's health check.
func (c *Controller) stopProbe(id string) {
	if p := c.probes[id]; p != nil {
		p.stop()
		delete(c.probes, id)
	}
}

// onContainerHealth hands a probe's verdict to the Run goroutine; it never
// blocks.
func (c *Controller) onContainerHealth(change containerHealthChange) {
	c.healthMu.Lock()
	c.pendingContainerHealth = append(c.pendingContainerHealth, change)
	c.healthMu.Unlock()
	select {
	case c.healthSignal <- struct{}{}:
	default:
	}
}

func (c *Controller) takeContainerHealthChanges() []containerHealthChange {
	c.healthMu.Lock()
	defer c.healthMu.Unlock()
	changes := c.pendingContainerHealth
	c.pendingContainerHealth = nil
	return changes
}

// recordContainerHealth writes the probes' verdicts into their tasks: the
// container's healthStatus, the task's (its essential containers'), and a
// service task whose health turned UNHEALTHY is replaced, as the service
// scheduler does.
func (c *Controller) recordContainerHealth(ctx context.Context, changes []containerHealthChange) {
	for _, change := range changes {
		probe := c.probes[change.id]
		if probe == nil {
			continue // the container ended meanwhile
		}
		probe.status = change.status
		scoped, err := inScopeOf(ctx, probe.taskARN)
		if err != nil {
			c.log.Warn("recording container health", "task", taskID(probe.taskARN), "error", err)
			continue
		}
		task, svc := c.taskAndService(scoped, probe.taskARN)
		if task == nil {
			continue
		}
		health := c.taskHealth(probe.taskARN)
		err = c.updateTask(scoped, task.ClusterArn, task.TaskArn, func(t *ecs.Task) {
			for i := range t.Containers {
				if t.Containers[i].Name == probe.container {
					t.Containers[i].HealthStatus = change.status
				}
			}
			t.HealthStatus = health
			if svc != nil && health == healthUnhealthy && t.LastStatus == statusRunning {
				requestStop(t, "ServiceSchedulerInitiated", reasonContainerHealth)
			}
		}, withStop(c, svc), withHealthEvent(svc))
		if err != nil {
			c.log.Warn("recording container health", "task", taskID(probe.taskARN), "error", err)
		}
	}
}

// taskHealth is a task's health from its essential containers' health
// checks: UNHEALTHY when one failed, HEALTHY when all passed, else (still
// checking, or no essential container has a check) UNKNOWN.
func (c *Controller) taskHealth(taskARN string) string {
	checked, healthy := 0, 0
	for _, p := range c.probes {
		if p.taskARN != taskARN || !p.essential {
			continue
		}
		checked++
		switch p.status {
		case healthUnhealthy:
			return healthUnhealthy
		case healthHealthy:
			healthy++
		}
	}
	if checked > 0 && healthy == checked {
		return healthHealthy
	}
	return healthUnknown
}

// awaitsContainerHealth reports whether an essential container of the task
// has a health check, so the task counts as healthy only once it passes.
func (c *Controller) awaitsContainerHealth(taskARN string) bool {
	for _, p := range c.probes {
		if p.taskARN == taskARN && p.essential {
			return true
		}
	}
	return false
}

// withHealthEvent writes the service event ECS writes when its scheduler
// replaces a task for its container health checks.
func withHealthEvent(svc *ecs.Service) updateOption {
	return func(s *ecs.State, before, after *ecs.Task) error {
		if svc == nil || before.DesiredStatus == statusStopped || after.StoppedReason != reasonContainerHealth {
			return nil
		}
		current, err := s.Service(svc.ClusterArn, svc.ServiceArn)
		if err != nil || current == nil {
			return err
		}
		s.AddServiceEvent(current, fmt.Sprintf("(service %s) (task %s) failed container health checks.", current.ServiceName, taskID(after.TaskArn)))
		return s.PutService(current)
	}
}
