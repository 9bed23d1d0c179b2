package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// DefaultHealthTimeout bounds WaitHealthy when ctx has no deadline: a tuned
// rolling deploy takes 1–2 minutes, an untuned one 6–7.
const DefaultHealthTimeout = 15 * time.Minute

// failedTaskLimit is how many failed tasks of the current deployment make
// WaitHealthy give up: one can be bad luck, two with the same cause are the
// cause, and ECS would keep retrying for a long time.
const failedTaskLimit = 2

// The checks start fast and slow down to healthPollInterval: a local cloud
// is healthy within seconds, AWS within minutes, and both should be seen
// soon after it happens without polling AWS more than every few seconds.
const (
	firstHealthPoll    = 250 * time.Millisecond
	healthPollInterval = 3 * time.Second
)

// ErrUnhealthy is wrapped by every error saying the service failed, as
// opposed to the wait being interrupted or AWS being unreachable.
var ErrUnhealthy = errors.New("service is not healthy")

// WaitHealthy returns once the service is steady (runningCount equals the
// desired count and its only deployment is COMPLETED) and every target in
// its target group is healthy. It fails fast with the cause, the stopped
// tasks' reasons or the deployment's failure reason, instead of waiting for
// the timeout.
func WaitHealthy(ctx context.Context, cfg aws.Config, s *spec.Spec, progress func(string)) (*Outputs, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultHealthTimeout)
		defer cancel()
	}
	c := engine.NewClients(cfg)
	names := NamesFor(s.Name)
	outputs, err := locate(ctx, c, s, names)
	if err != nil {
		return nil, err
	}
	var last string
	pause := firstHealthPoll
	for {
		h, err := observeHealth(ctx, c, names.Cluster, names.Service, outputs.TargetGroupARN)
		if err != nil {
			return nil, err
		}
		ready, status, err := h.assess()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names.Service, err)
		}
		if ready {
			progress(status)
			return outputs, nil
		}
		if status != last {
			progress(status)
			last = status
		}
		timer := time.NewTimer(pause)
		pause = min(2*pause, healthPollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("waiting for %s to become healthy (last: %s): %w", names.Service, last, ctx.Err())
		case <-timer.C:
		}
	}
}

// locate finds the stack's load balancer and target group by name.
func locate(ctx context.Context, c *engine.Clients, s *spec.Spec, names Names) (*Outputs, error) {
	outputs := &Outputs{ClusterName: names.Cluster, ServiceName: names.Service, LogGroup: names.LogGroup}
	groups, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{names.TargetGroup}})
	if err != nil || len(groups.TargetGroups) == 0 {
		return nil, fmt.Errorf("target group %s of stack %s not found (deploy it first): %w", names.TargetGroup, s.Name, errors.Join(ErrUnhealthy, err))
	}
	outputs.TargetGroupARN = aws.ToString(groups.TargetGroups[0].TargetGroupArn)
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{names.LoadBalancer}})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		return nil, fmt.Errorf("load balancer %s of stack %s not found (deploy it first): %w", names.LoadBalancer, s.Name, errors.Join(ErrUnhealthy, err))
	}
	outputs.LoadBalancerDNS = aws.ToString(lbs.LoadBalancers[0].DNSName)
	outputs.URL = serviceURL(outputs.LoadBalancerDNS, s.LoadBalancer.Port)
	return outputs, nil
}

// health is one snapshot of everything that decides readiness.
type health struct {
	service *ecstypes.Service
	// stopped are tasks of the service that stopped, newest first.
	stopped []ecstypes.Task
	targets []elbtypes.TargetHealthDescription
}

func observeHealth(ctx context.Context, c *engine.Clients, cluster, service, targetGroupARN string) (*health, error) {
	services, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return nil, fmt.Errorf("describe service %s: %w", service, err)
	}
	h := &health{}
	for i, svc := range services.Services {
		if aws.ToString(svc.Status) == "ACTIVE" {
			h.service = &services.Services[i]
		}
	}
	if h.service == nil {
		return h, nil
	}
	stopped, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusStopped,
	})
	if err != nil {
		return nil, fmt.Errorf("list stopped tasks: %w", err)
	}
	if len(stopped.TaskArns) > 0 {
		tasks, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: stopped.TaskArns})
		if err != nil {
			return nil, fmt.Errorf("describe stopped tasks: %w", err)
		}
		h.stopped = tasks.Tasks
	}
	targets, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return nil, fmt.Errorf("describe target health: %w", err)
	}
	h.targets = targets.TargetHealthDescriptions
	return h, nil
}

// assess decides from one snapshot: ready, still converging (status says
// why), or failed (the error says why).
func (h *health) assess() (bool, string, error) {
	svc := h.service
	if svc == nil {
		return false, "", fmt.Errorf("%w: the service does not exist or is being deleted", ErrUnhealthy)
	}
	var primary *ecstypes.Deployment
	for i, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			primary = &svc.Deployments[i]
		}
	}
	if primary != nil && primary.RolloutState == ecstypes.DeploymentRolloutStateFailed {
		return false, "", fmt.Errorf("%w: deployment failed: %s%s", ErrUnhealthy, aws.ToString(primary.RolloutStateReason), h.stoppedReasons(""))
	}
	if primary != nil {
		if failed := h.failedTasks(aws.ToString(primary.Id)); len(failed) >= failedTaskLimit {
			return false, "", fmt.Errorf("%w: %d tasks of the new deployment stopped%s", ErrUnhealthy, len(failed), h.stoppedReasons(aws.ToString(primary.Id)))
		}
	}

	healthy, registered := 0, 0
	var unhealthy []string
	for _, t := range h.targets {
		if t.TargetHealth == nil {
			continue
		}
		switch t.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthStateEnumUnused:
			continue
		case elbtypes.TargetHealthStateEnumHealthy:
			healthy++
		case elbtypes.TargetHealthStateEnumUnhealthy:
			unhealthy = append(unhealthy, fmt.Sprintf("%s %s (%s)", aws.ToString(t.Target.Id),
				t.TargetHealth.Reason, aws.ToString(t.TargetHealth.Description)))
		}
		registered++
	}
	desired := int(svc.DesiredCount)
	rollout := "no deployment"
	if primary != nil {
		rollout = string(primary.RolloutState)
	}
	status := fmt.Sprintf("tasks running %d/%d, deployments %d (%s), targets healthy %d/%d",
		svc.RunningCount, desired, len(svc.Deployments), strings.ToLower(rollout), healthy, desired)
	if len(unhealthy) > 0 {
		slices.Sort(unhealthy)
		status += "; unhealthy: " + strings.Join(unhealthy, ", ")
	}
	if event := latestPlacementProblem(svc); event != "" {
		status += "; " + event
	}
	ready := int(svc.RunningCount) == desired && len(svc.Deployments) == 1 && primary != nil &&
		primary.RolloutState == ecstypes.DeploymentRolloutStateCompleted &&
		healthy == registered && healthy >= desired
	return ready, status, nil
}

// failedTasks are the stopped tasks of deployment that did not stop on
// purpose (scale-in and user stops do not count).
func (h *health) failedTasks(deployment string) []ecstypes.Task {
	var failed []ecstypes.Task
	for _, t := range h.stopped {
		if deployment != "" && aws.ToString(t.StartedBy) != deployment {
			continue
		}
		if t.StopCode == ecstypes.TaskStopCodeUserInitiated || strings.HasPrefix(aws.ToString(t.StoppedReason), "Scaling activity") {
			continue
		}
		failed = append(failed, t)
	}
	return failed
}

// stoppedReasons lists each distinct stop reason once, with container exit
// codes, because those are what a user acts on.
func (h *health) stoppedReasons(deployment string) string {
	seen := map[string]bool{}
	var reasons []string
	for _, t := range h.failedTasks(deployment) {
		reason := aws.ToString(t.StoppedReason)
		for _, ct := range t.Containers {
			if r := aws.ToString(ct.Reason); r != "" {
				reason += ": " + r
			}
			if ct.ExitCode != nil {
				reason += fmt.Sprintf(" (container %s exited with %d)", aws.ToString(ct.Name), aws.ToInt32(ct.ExitCode))
			}
		}
		if reason != "" && !seen[reason] {
			seen[reason] = true
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	return "; stopped tasks: " + strings.Join(reasons, "; ")
}

// latestPlacementProblem surfaces the scheduler's newest complaint about
// capacity, which explains tasks stuck in PROVISIONING.
func latestPlacementProblem(svc *ecstypes.Service) string {
	if len(svc.Events) == 0 {
		return ""
	}
	msg := aws.ToString(svc.Events[0].Message)
	if strings.Contains(msg, "unable to place a task") || strings.Contains(msg, "unable to consistently start tasks") {
		return msg
	}
	return ""
}
