package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/service/logs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultStopTimeout is ECS's grace between SIGTERM and SIGKILL.
const defaultStopTimeout = 30 * time.Second

// taskProcess is one container of a task that this controller started.
type taskProcess struct {
	taskARN   string
	container string
	address   string // the task's, "" on the host's network
	essential bool
	exited    bool
	exitCode  int // once exited; -1 when it could not start
	// dependsOn are the containers this one's dependsOn names: they
	// stop after it.
	dependsOn []string
	stopSent  bool
	// stopTimeout is the container definition's grace between SIGTERM
	// and SIGKILL (ECS's 30 s when it sets none).
	stopTimeout time.Duration
	// startedAt and startTimeout bound how long the containers that
	// depend on this one wait for it to reach their condition (0: as
	// long as it takes).
	startedAt    time.Time
	startTimeout time.Duration
}

// RuntimeID names a task's container in the runtime: "<task id>/<container>".
func RuntimeID(taskARN, container string) string { return taskID(taskARN) + "/" + container }

// processesOf lists the live processes of a task.
func (c *Controller) processesOf(taskARN string) []string {
	var ids []string
	for id, p := range c.processes {
		if p.taskARN == taskARN && !p.exited {
			ids = append(ids, id)
		}
	}
	return ids
}

// reconcileTasks moves every task through its lifecycle: start what was
// placed, drain and stop what should stop, and notice tasks that lost their
// processes (a local cloud restart) or processes that lost their task (a
// reset).
func (c *Controller) reconcileTasks(ctx context.Context) error {
	c.startFirewall = nil // read again for this pass's starts
	var tasks []*ecs.Task
	services := map[string]*ecs.Service{} // by cluster ARN + group
	err := c.deps.ECS.View(ctx, func(s *ecs.State) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, cluster := range clusters {
			ts, err := s.Tasks(cluster.ClusterArn)
			if err != nil {
				return err
			}
			tasks = append(tasks, ts...)
			svcs, err := s.Services(cluster.ClusterArn)
			if err != nil {
				return err
			}
			for _, svc := range svcs {
				services[cluster.ClusterArn+"|"+serviceGroup(svc.ServiceName)] = svc
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := time.Now()
	var errs []error
	for _, t := range tasks {
		svc := services[t.ClusterArn+"|"+t.Group]
		if err := c.advanceTask(ctx, t, svc, now); err != nil {
			errs = append(errs, fmt.Errorf("task %s: %w", taskID(t.TaskArn), err))
		}
	}
	return errors.Join(errs...)
}

// stopOrphans stops the processes whose task is gone or stopped (a reset, a
// deleted cluster), each looked up in its own task's account and region.
func (c *Controller) stopOrphans(ctx context.Context) error {
	var errs []error
	for id, p := range c.processes {
		if p.exited {
			continue
		}
		scoped, err := inScopeOf(ctx, p.taskARN)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		live := false
		err = c.deps.ECS.View(scoped, func(s *ecs.State) error {
			t, err := s.Task(clusterOfTask(p.taskARN), p.taskARN)
			live = t != nil && t.LastStatus != statusStopped
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("task %s: %w", taskID(p.taskARN), err))
			continue
		}
		if !live {
			c.stopProcess(ctx, id, 0)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) advanceTask(ctx context.Context, t *ecs.Task, svc *ecs.Service, now time.Time) error {
	live := c.processesOf(t.TaskArn)
	switch {
	case t.LastStatus == statusStopped:
		return nil
	case t.LastStatus == statusDeprovisioning:
		return c.updateTask(ctx, t.ClusterArn, t.TaskArn, finishDeprovisioning)
	case t.DesiredStatus == statusStopped && len(live) == 0 && (t.LastStatus == statusProvisioning || t.LastStatus == statusPending):
		return c.markStopped(ctx, t.ClusterArn, t.TaskArn, nil)
	case t.LastStatus == statusPending && t.DesiredStatus != statusStopped:
		return c.startTask(ctx, t, svc)
	case t.LastStatus == statusActivating && c.starts[t.TaskArn] != nil:
		if t.DesiredStatus == statusStopped {
			delete(c.starts, t.TaskArn)
			return c.finishIfGone(ctx, t, svc)
		}
		return c.continueStart(ctx, t, svc)
	case t.LastStatus == statusRunning && t.DesiredStatus == statusStopped:
		return c.deactivate(ctx, t, svc, now)
	case t.LastStatus == statusDeactivating && !now.Before(t.StoppingAt.Time().Add(c.drainDelay(svc))):
		return c.beginStopping(ctx, t)
	case (t.LastStatus == statusActivating || t.LastStatus == statusRunning || t.LastStatus == statusDeactivating || t.LastStatus == statusStopping) && len(live) == 0 && !c.startedHere(t.TaskArn):
		// Its processes died with a previous run of the local cloud: the
		// host failed, not the task, so it is no deployment failure.
		if err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
			requestStop(task, "InfrastructureHealth", "Task stopped because the local cloud restarted and its processes were gone")
		}); err != nil {
			return err
		}
		if t.LastStatus == statusActivating || t.LastStatus == statusStopping {
			// No process exit will move these on: finish them here.
			if err := c.deregisterTargets(ctx, t, svc); err != nil {
				return err
			}
			return c.markStopped(ctx, t.ClusterArn, t.TaskArn, nil)
		}
		return nil
	case t.LastStatus == statusRunning && svc != nil:
		c.checkTargetHealth(ctx, t, svc, now)
	}
	return nil
}

// startedHere reports whether this controller ever ran a process of the task.
func (c *Controller) startedHere(taskARN string) bool {
	for _, p := range c.processes {
		if p.taskARN == taskARN {
			return true
		}
	}
	return false
}

// startTask resolves each container's image to a process image and starts
// it; a missing image fails the task the way a failed pull does.
func (c *Controller) startTask(ctx context.Context, t *ecs.Task, svc *ecs.Service) error {
	var def *ecs.TaskDefinition
	if err := c.deps.ECS.View(ctx, func(s *ecs.State) (err error) {
		def, err = s.TaskDefinition(t.TaskDefinitionArn)
		return err
	}); err != nil || def == nil {
		return fmt.Errorf("task definition %s: %w", t.TaskDefinitionArn, err)
	}
	// Its containers share one network, filtered from the start.
	egress, err := c.startEgress(ctx, taskAddress(t))
	if err != nil {
		return fmt.Errorf("egress rules of task %s: %w", taskID(t.TaskArn), err)
	}
	now := time.Now()
	specs := make([]runtime.TaskSpec, 0, len(def.ContainerDefinitions))
	for _, cd := range def.ContainerDefinitions {
		img, err := c.deps.Images(cd.Image)
		if err != nil {
			return err
		}
		// The agent reads secrets before it pulls: a missing one stops
		// the task with ResourceInitializationError.
		secretEnv, err := c.resolveSecrets(ctx, def.ExecutionRoleArn, taskID(t.TaskArn), cd.Secrets)
		if err != nil {
			return c.failStart(ctx, t, svc, cd.Name, err.Error())
		}
		id, output := RuntimeID(t.TaskArn, cd.Name), c.outputTo(ctx, t, cd)
		spec := runtime.TaskSpec{ID: id, Image: cd.Image, Output: output}
		if img != nil {
			spec = img.TaskSpec(id, cd.Command, c.containerEnv(t, cd), output)
			maps.Copy(spec.Env, secretEnv)
		}
		spec.Address = taskAddress(t)
		spec.Egress = egress
		spec.Container = containerSpec(t, def, cd, c.taskEnv(t, cd))
		maps.Copy(spec.Container.Env, secretEnv)
		// The runtime decides what runs the image (a container, a process
		// image) and readies it; an image nothing can run fails the task
		// the way a failed pull does.
		if err := runtime.Resolve(ctx, c.deps.Runtime, spec); err != nil {
			var pull *runtime.PullError
			if errors.As(err, &pull) {
				return c.failStart(ctx, t, svc, cd.Name, err.Error())
			}
			return err
		}
		specs = append(specs, spec)
	}
	if err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
		task.LastStatus = statusActivating
		task.PullStartedAt = awsjson.NewTime(now)
		task.PullStoppedAt = awsjson.NewTime(now)
	}); err != nil {
		return err
	}
	c.starts[t.TaskArn] = &startPlan{def: def, specs: specs, started: make([]bool, len(specs))}
	return c.continueStart(ctx, t, svc)
}

// containerEnv is what a process image's process sees: a few host basics
// (the process needs PATH to find its interpreter) and taskEnv, which wins.
func (c *Controller) containerEnv(t *ecs.Task, cd ecs.ContainerDefinition) map[string]string {
	env := map[string]string{}
	for _, name := range []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER"} {
		if v, ok := os.LookupEnv(name); ok {
			env[name] = v
		}
	}
	for name, value := range c.taskEnv(t, cd) {
		env[name] = value
	}
	return env
}

// taskEnv is what ECS injects into a container and the container
// definition's own environment, which wins: all a container image gets
// besides its own ENV.
func (c *Controller) taskEnv(t *ecs.Task, cd ecs.ContainerDefinition) map[string]string {
	env := map[string]string{}
	scope, _ := store.ScopeOfARN(t.TaskArn) // the task's own region
	env["AWS_REGION"] = scope.Region
	env["AWS_DEFAULT_REGION"] = scope.Region
	env["AWS_EXECUTION_ENV"] = "AWS_ECS_EC2"
	env["HOST"] = taskAddress(t)
	if env["HOST"] == "" {
		env["HOST"] = "127.0.0.1"
	}
	// PORT, like HOST, is one of the names a process image's command may
	// use as a whole argument (runtime.SubstitutedNames).
	for _, pm := range cd.PortMappings {
		if pm.ContainerPort > 0 {
			env["PORT"] = strconv.Itoa(int(pm.ContainerPort))
			break
		}
	}
	if endpoint := c.deps.Endpoint(); endpoint != "" {
		meta := endpoint + "/_berth/metadata/v4/" + taskID(t.TaskArn)
		env["ECS_CONTAINER_METADATA_URI_V4"] = meta
		env["ECS_CONTAINER_METADATA_URI"] = meta
		// AWS calls from the task reach the local cloud, not AWS.
		env["AWS_ENDPOINT_URL"] = endpoint
	}
	for _, kv := range cd.Environment {
		env[kv.Name] = kv.Value
	}
	return env
}

// outputTo routes a container's output to its awslogs stream,
// <prefix>/<container>/<task id>, as the awslogs driver names it, in the
// log group of the task's account and region (ctx's scope).
func (c *Controller) outputTo(ctx context.Context, t *ecs.Task, cd ecs.ContainerDefinition) func(runtime.OutputLine) {
	lc := cd.LogConfiguration
	if lc == nil || lc.LogDriver != "awslogs" || lc.Options["awslogs-group"] == "" {
		return nil
	}
	scope, ok := store.ScopeFrom(ctx)
	if !ok {
		c.log.Warn("task output has no region to go to", "task", taskID(t.TaskArn), "error", store.ErrNoScope)
		return nil
	}
	group := lc.Options["awslogs-group"]
	stream := taskID(t.TaskArn)
	if prefix := lc.Options["awslogs-stream-prefix"]; prefix != "" {
		stream = prefix + "/" + cd.Name + "/" + taskID(t.TaskArn)
	}
	if lc.Options["awslogs-create-group"] == "true" {
		if err := c.deps.Logs.CreateGroupIfMissing(ctx, group); err != nil {
			c.log.Warn("creating log group", "group", group, "error", err)
		}
	}
	return func(line runtime.OutputLine) {
		c.logs.add(streamKey{scope: scope, group: group, stream: stream}, logs.Event{Time: line.Time, Message: line.Text})
	}
}

// failStart stops a task that could not start, counting the failure toward
// its deployment's circuit breaker.
func (c *Controller) failStart(ctx context.Context, t *ecs.Task, svc *ecs.Service, container, reason string) error {
	return c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
		requestStop(task, "TaskFailedToStart", reason)
		for i := range task.Containers {
			if task.Containers[i].Name == container {
				task.Containers[i].Reason = reason
			}
		}
	}, withStop(c, svc))
}

// deactivate takes a stopping task out of its target groups; it keeps
// running (draining) for the deregistration delay.
func (c *Controller) deactivate(ctx context.Context, t *ecs.Task, svc *ecs.Service, now time.Time) error {
	if err := c.deregisterTargets(ctx, t, svc); err != nil {
		return err
	}
	return c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
		task.LastStatus = statusDeactivating
		task.StoppingAt = awsjson.NewTime(now)
	})
}

// drainDelay is the longest deregistration delay of the task's groups.
func (c *Controller) drainDelay(svc *ecs.Service) time.Duration {
	if svc == nil {
		return 0
	}
	var delay time.Duration
	for _, binding := range svc.LoadBalancers {
		delay = max(delay, c.deregistrationDelay(binding.TargetGroupArn))
	}
	return delay
}

// beginStopping sends SIGTERM to the task's processes (SIGKILL after the
// stop timeout); their exit events finish the task.
func (c *Controller) beginStopping(ctx context.Context, t *ecs.Task) error {
	live := c.processesOf(t.TaskArn)
	if len(live) == 0 {
		return c.markStopped(ctx, t.ClusterArn, t.TaskArn, nil)
	}
	if err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) { task.LastStatus = statusStopping }); err != nil {
		return err
	}
	c.stopNextWave(ctx, t.TaskArn)
	return nil
}

// stopNextWave stops the task's containers that no running container
// depends on: ECS stops containers in the reverse of their dependsOn
// start order, so a container's dependencies outlive it. Each exit of a
// STOPPING task calls it again for the next wave.
func (c *Controller) stopNextWave(ctx context.Context, taskARN string) {
	live := c.processesOf(taskARN)
	for _, id := range live {
		p := c.processes[id]
		if p.stopSent {
			continue
		}
		needed := false
		for _, other := range live {
			needed = needed || slices.Contains(c.processes[other].dependsOn, p.container)
		}
		if !needed {
			p.stopSent = true
			c.stopProcess(ctx, id, p.stopTimeout)
		}
	}
}

// stopProcess stops one process without blocking the loop.
func (c *Controller) stopProcess(ctx context.Context, id string, grace time.Duration) {
	go func() {
		if err := c.deps.Runtime.Stop(context.WithoutCancel(ctx), id, grace); err != nil && !errors.Is(err, runtime.ErrTaskNotFound) {
			c.log.Warn("stopping a process", "id", id, "error", err)
		}
	}()
}

// stopAll stops every process at shutdown.
func (c *Controller) stopAll() {
	for id := range c.probes {
		c.stopProbe(id)
	}
	for id, p := range c.processes {
		if !p.exited {
			c.stopProcess(context.Background(), id, 5*time.Second)
		}
	}
}

// onProcessExit records a container's end; an essential container's end
// stops its task, and a task with no process left is STOPPED.
func (c *Controller) onProcessExit(ctx context.Context, ev runtime.TaskEvent) {
	p, ok := c.processes[ev.ID]
	if !ok {
		return
	}
	p.exited = true
	p.exitCode = ev.ExitCode
	if ev.Err != nil {
		p.exitCode = -1
	}
	ctx, err := inScopeOf(ctx, p.taskARN)
	if err != nil {
		c.log.Warn("recording a container exit", "task", p.taskARN, "error", err)
		delete(c.processes, ev.ID)
		return
	}
	c.stopProbe(ev.ID)
	task, svc := c.taskAndService(ctx, p.taskARN)
	if task == nil {
		delete(c.processes, ev.ID)
		delete(c.starts, p.taskARN) // a reset forgot the task mid-start
		return
	}
	exitCode := int32(ev.ExitCode)
	err = c.updateTask(ctx, task.ClusterArn, task.TaskArn, func(t *ecs.Task) {
		for i := range t.Containers {
			if t.Containers[i].Name != p.container {
				continue
			}
			t.Containers[i].LastStatus = statusStopped
			if ev.Err != nil {
				t.Containers[i].Reason = ev.Err.Error()
			} else {
				t.Containers[i].ExitCode = &exitCode
			}
		}
		// A container that could not start fails its task, essential
		// or not: the task cannot become what its definition says.
		if p.essential || ev.Err != nil {
			switch {
			case ev.Err != nil:
				requestStop(t, "TaskFailedToStart", ev.Err.Error())
			default:
				requestStop(t, "EssentialContainerExited", "Essential container in task exited")
			}
		}
	}, withStop(c, svc))
	if err != nil {
		c.log.Warn("recording a container exit", "task", taskID(task.TaskArn), "error", err)
	}
	if p.essential || ev.Err != nil || task.LastStatus == statusStopping {
		c.stopNextWave(ctx, task.TaskArn) // the rest of a stopping task goes too
	}
	if p.essential || ev.Err != nil {
		delete(c.starts, task.TaskArn) // the rest will not start
	}
	if len(c.processesOf(task.TaskArn)) == 0 && c.starts[task.TaskArn] == nil {
		// Its last lines are in its log stream before it is STOPPED, so
		// whoever reads why it stopped can read what it printed.
		c.logs.flush(ctx)
		if err := c.deregisterTargets(ctx, task, svc); err != nil {
			c.log.Warn("deregistering targets", "task", taskID(task.TaskArn), "error", err)
		}
		if err := c.markStopped(ctx, task.ClusterArn, task.TaskArn, svc); err != nil {
			c.log.Warn("stopping a task", "task", taskID(task.TaskArn), "error", err)
		}
		c.forgetProcesses(task.TaskArn)
	}
}

// taskAndService reads a task and the service it belongs to (nil for a
// standalone task); task is nil when it is gone.
func (c *Controller) taskAndService(ctx context.Context, taskARN string) (task *ecs.Task, svc *ecs.Service) {
	_ = c.deps.ECS.View(ctx, func(s *ecs.State) error {
		task, _ = s.Task(clusterOfTask(taskARN), taskARN)
		if task != nil {
			svcs, _ := s.Services(task.ClusterArn)
			for _, candidate := range svcs {
				if serviceGroup(candidate.ServiceName) == task.Group {
					svc = candidate
				}
			}
		}
		return nil
	})
	return task, svc
}

// markStopped finishes a task whose containers are all gone: STOPPED, with
// its times, its reason kept; an awsvpc task passes through DEPROVISIONING
// first (withDeprovisioning).
func (c *Controller) markStopped(ctx context.Context, clusterARN, taskARN string, svc *ecs.Service) error {
	now := awsjson.NewTime(time.Now())
	return c.updateTask(ctx, clusterARN, taskARN, func(t *ecs.Task) {
		requestStop(t, "TaskFailedToStart", "Task stopped before it started")
		t.LastStatus = statusStopped
		t.StoppedAt = now
		t.ExecutionStoppedAt = now
		if t.StoppingAt.IsZero() {
			t.StoppingAt = now
		}
		for i := range t.Containers {
			t.Containers[i].LastStatus = statusStopped
		}
	}, withStop(c, svc), withDeprovisioning)
}

// updateOption runs extra work in a task update's transaction.
type updateOption func(s *ecs.State, before, after *ecs.Task) error

// withStop counts a failed service task toward its deployment's circuit
// breaker: one that failed to start, or, while its deployment is rolling
// out, one whose essential container exited or that failed its load
// balancer or container health checks (ECS's two stages). Stops from outside the
// deployment (scale-in, a newer deployment, StopTask, a restart of the
// local cloud) are no failures, and neither is a crash of a task that
// served after its deployment completed.
func withStop(c *Controller, svc *ecs.Service) updateOption {
	return func(s *ecs.State, before, after *ecs.Task) error {
		if svc == nil || before.DesiredStatus == statusStopped || after.DesiredStatus != statusStopped {
			return nil
		}
		failed := after.StopCode == "TaskFailedToStart" || after.StopCode == "EssentialContainerExited" ||
			(after.StopCode == "ServiceSchedulerInitiated" && (strings.HasPrefix(after.StoppedReason, "Task failed ELB health checks") || after.StoppedReason == reasonContainerHealth))
		if !failed {
			return nil
		}
		current, err := s.Service(svc.ClusterArn, svc.ServiceArn)
		if err != nil || current == nil {
			return err
		}
		if !after.StartedAt.IsZero() && !rollingOut(current, after.StartedBy) {
			return nil
		}
		c.launchFailed(current.ServiceArn, time.Now())
		for i := range current.Deployments {
			d := &current.Deployments[i]
			if d.Id != after.StartedBy {
				continue
			}
			d.FailedTasks++
			breaker := current.DeploymentConfiguration != nil && current.DeploymentConfiguration.DeploymentCircuitBreaker != nil && current.DeploymentConfiguration.DeploymentCircuitBreaker.Enable
			if breaker && d.RolloutState == "IN_PROGRESS" && int(d.FailedTasks) >= circuitBreakerThreshold(int(current.DesiredCount)) {
				d.RolloutState = "FAILED"
				d.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
				s.AddServiceEvent(current, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", current.ServiceName, d.Id))
				if current.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback && s.RollBack(current, d.Id) {
					s.AddServiceEvent(current, fmt.Sprintf("(service %s) rolling back to deployment %s.", current.ServiceName, current.Deployments[0].Id))
				}
				break // RollBack may have moved the deployments
			}
		}
		s.AddServiceEvent(current, fmt.Sprintf("(service %s) is unable to consistently start tasks successfully. (task %s) %s", current.ServiceName, taskID(after.TaskArn), after.StoppedReason))
		return s.PutService(current)
	}
}

// rollingOut reports whether the deployment is still IN_PROGRESS.
func rollingOut(svc *ecs.Service, deployment string) bool {
	for _, d := range svc.Deployments {
		if d.Id == deployment {
			return d.RolloutState == "IN_PROGRESS"
		}
	}
	return false
}

// updateTask applies change to the stored task in one transaction.
func (c *Controller) updateTask(ctx context.Context, clusterARN, taskARN string, change func(*ecs.Task), opts ...updateOption) error {
	return c.deps.ECS.Update(ctx, func(s *ecs.State) error {
		task, err := s.Task(clusterARN, taskARN)
		if err != nil {
			return err
		}
		if task == nil {
			return nil // reset or pruned: nothing to update
		}
		before := *task
		change(task)
		for _, opt := range opts {
			if err := opt(s, &before, task); err != nil {
				return err
			}
		}
		return s.PutTask(task)
	})
}

// clusterOfTask derives the cluster ARN from a long-format task ARN.
func clusterOfTask(arn string) string {
	prefix, rest, ok := strings.Cut(arn, ":task/")
	if !ok {
		return ""
	}
	cluster, _, _ := strings.Cut(rest, "/")
	return prefix + ":cluster/" + cluster
}

// registerTargets puts a running service task into its target groups.
func (c *Controller) registerTargets(ctx context.Context, t *ecs.Task, svc *ecs.Service) error {
	for _, binding := range svc.LoadBalancers {
		target, ok := c.serviceTarget(t, binding)
		if binding.TargetGroupArn == "" || !ok {
			continue
		}
		if err := c.deps.ELBv2.RegisterTargets(ctx, binding.TargetGroupArn, []elbv2.Target{target}); err != nil {
			return fmt.Errorf("registering %s:%d in %s: %w", target.ID, target.Port, binding.TargetGroupArn, err)
		}
		_ = c.deps.ECS.Update(ctx, func(s *ecs.State) error {
			current, err := s.Service(svc.ClusterArn, svc.ServiceArn)
			if err != nil || current == nil {
				return err
			}
			s.AddServiceEvent(current, fmt.Sprintf("(service %s) registered 1 targets in (target-group %s)", current.ServiceName, binding.TargetGroupArn))
			return s.PutService(current)
		})
	}
	return nil
}

// deregisterTargets takes a task out of its service's target groups.
func (c *Controller) deregisterTargets(ctx context.Context, t *ecs.Task, svc *ecs.Service) error {
	if svc == nil {
		return nil
	}
	for _, binding := range svc.LoadBalancers {
		target, ok := c.serviceTarget(t, binding)
		if !ok {
			continue
		}
		if err := c.deps.ELBv2.DeregisterTargets(ctx, binding.TargetGroupArn, []elbv2.Target{target}); err != nil {
			c.log.Debug("deregistering a target", "target", target.ID, "group", binding.TargetGroupArn, "error", err)
		}
	}
	return nil
}

// checkTargetHealth replaces a service task whose target failed its health
// checks once the service's grace period is over, as the scheduler does.
func (c *Controller) checkTargetHealth(ctx context.Context, t *ecs.Task, svc *ecs.Service, now time.Time) {
	if t.DesiredStatus == statusStopped || len(svc.LoadBalancers) == 0 {
		return
	}
	grace := time.Duration(0)
	if svc.HealthCheckGracePeriodSeconds != nil {
		grace = time.Duration(*svc.HealthCheckGracePeriodSeconds) * time.Second
	}
	if now.Before(t.StartedAt.Time().Add(grace)) {
		return
	}
	for _, binding := range svc.LoadBalancers {
		target, _ := c.serviceTarget(t, binding)
		if c.targetState(binding.TargetGroupArn, target.ID, target.Port) != "unhealthy" {
			continue
		}
		reason := fmt.Sprintf("Task failed ELB health checks in (target-group %s)", binding.TargetGroupArn)
		err := c.updateTask(ctx, t.ClusterArn, t.TaskArn, func(task *ecs.Task) {
			requestStop(task, "ServiceSchedulerInitiated", reason)
		}, withStop(c, svc))
		if err != nil {
			c.log.Warn("stopping an unhealthy task", "task", taskID(t.TaskArn), "error", err)
		}
		return
	}
}
