package stack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
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

// The checks start fast and slow down to healthPollInterval: a local cloud
// is healthy within seconds, AWS within minutes, and both should be seen
// soon after it happens without polling AWS more than every few seconds.
const (
	firstHealthPoll    = 250 * time.Millisecond
	healthPollInterval = 3 * time.Second
)

// maxStoppedPages bounds how many pages of stopped tasks one poll reads: a
// crash loop leaves many, and the newest few are what explains it.
const maxStoppedPages = 3

// maxRunningPages bounds the pages of running tasks one poll reads: 1,000
// tasks, more than a service berth deploys runs.
const maxRunningPages = 10

// ErrUnhealthy is wrapped by every error saying the service failed, as
// opposed to the wait being interrupted or AWS being unreachable.
var ErrUnhealthy = errors.New("service is not healthy")

// WaitHealthy returns once the service is steady (runningCount equals the
// desired count and its only deployment is COMPLETED) and every target in
// its target group is healthy. It follows the deployment it finds, as ECS's
// own waiters do: its rolloutState and the deployment circuit breaker decide
// failure, and only tasks that failed count (see isFailure). When the
// deployment failed it returns at once a *DeploymentFailedError that shows
// why its tasks stopped and the last lines they printed.
//
// progress hears of every snapshot that changed something: the one-line
// status and where each phase of the rollout stands (see Phase), both read
// from the same observations that decide readiness.
func WaitHealthy(ctx context.Context, cfg aws.Config, s *spec.Spec, progress func(Progress)) (*Outputs, error) {
	if progress == nil {
		progress = func(Progress) {}
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
	w := &waiter{}
	var last Progress
	pause := firstHealthPoll
	for {
		h, err := observeHealth(ctx, c, names.Cluster, names.Service, outputs.TargetGroupARN)
		if err != nil {
			return nil, err
		}
		h.hint = blockedHint(ctx, c, names.LoadBalancer, h)
		v, err := w.assess(h)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names.Service, err)
		}
		if v.failed != nil {
			v.failed.events = eventsSince(h.service, v.failed.deployment)
			v.failed.targets = unhealthyTargets(h.targets)
			return nil, fmt.Errorf("%s: %w", names.Service, explain(ctx, c, names.Cluster, v.failed))
		}
		now := Progress{Status: v.status, Deployment: w.deployment, Phases: v.phases}
		if v.ready || !now.equal(last) {
			progress(now)
			last = now
		}
		if v.ready {
			return outputs, nil
		}
		timer := time.NewTimer(pause)
		pause = min(2*pause, healthPollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("waiting for %s to become healthy (last: %s): %w", names.Service, last.Status, ctx.Err())
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
	outputs.URL = specURL(s, outputs.LoadBalancerDNS)
	if h := s.LoadBalancer.HTTPS; h != nil && h.CertificateARN != "" {
		// The user's certificate names the domain to serve.
		cert, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(h.CertificateARN)})
		if err != nil {
			return nil, fmt.Errorf("describe certificate %s: %w", h.CertificateARN, err)
		}
		outputs.Domain, outputs.CertificateARN = aws.ToString(cert.Certificate.DomainName), h.CertificateARN
	} else if h != nil {
		outputs.Domain = h.Domain
	}
	return outputs, nil
}

// health is one snapshot of everything that decides readiness.
type health struct {
	service *ecstypes.Service
	// stopped are the service's tasks that were told to stop, newest first.
	stopped []ecstypes.Task
	// running are the service's tasks meant to run, in any lastStatus.
	running []ecstypes.Task
	targets []elbtypes.TargetHealthDescription
	// hint says which security group rule keeps the load balancer from
	// targets that time out, "" when none does (blockedHint).
	hint string
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
	stopped, err := ServiceTaskARNs(ctx, c, cluster, service, ecstypes.DesiredStatusStopped, maxStoppedPages)
	if err != nil {
		return nil, err
	}
	running, err := ServiceTaskARNs(ctx, c, cluster, service, ecstypes.DesiredStatusRunning, maxRunningPages)
	if err != nil {
		return nil, err
	}
	// One DescribeTasks for both kinds while they fit in one call (a
	// service's usual case), rather than one per kind and poll.
	tasks, err := DescribeTasks(ctx, c, cluster, append(stopped, running...))
	if err != nil {
		return nil, err
	}
	wasStopped := map[string]bool{}
	for _, arn := range stopped {
		wasStopped[arn] = true
	}
	for _, t := range tasks {
		if wasStopped[aws.ToString(t.TaskArn)] {
			h.stopped = append(h.stopped, t)
		} else {
			h.running = append(h.running, t)
		}
	}
	newestStopFirst := func(a, b ecstypes.Task) int { return stopTime(b).Compare(stopTime(a)) }
	slices.SortStableFunc(h.stopped, newestStopFirst)
	slices.SortStableFunc(h.running, newestStopFirst)
	targets, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return nil, fmt.Errorf("describe target health: %w", err)
	}
	h.targets = targets.TargetHealthDescriptions
	return h, nil
}

// ServiceTaskARNs lists the service's tasks of one desired status, at most
// maxPages pages of them (0: every page). The deploy's wait polls with a
// bound; berth status reads them all.
func ServiceTaskARNs(ctx context.Context, c *engine.Clients, cluster, service string, status ecstypes.DesiredStatus, maxPages int) ([]string, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(c.ECS, &ecs.ListTasksInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: status,
	})
	for read := 0; pages.HasMorePages() && (maxPages == 0 || read < maxPages); read++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s tasks of %s: %w", strings.ToLower(string(status)), service, err)
		}
		arns = append(arns, page.TaskArns...)
	}
	return arns, nil
}

// DescribeTasks describes the cluster's tasks by ARN, in calls of at most
// 100 (DescribeTasks' limit), in the order ECS answers.
func DescribeTasks(ctx context.Context, c *engine.Clients, cluster string, arns []string) ([]ecstypes.Task, error) {
	var tasks []ecstypes.Task
	for len(arns) > 0 {
		batch := arns[:min(100, len(arns))]
		arns = arns[len(batch):]
		out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		tasks = append(tasks, out.Tasks...)
	}
	return tasks, nil
}

// stopTime is when a task stopped, or was told to, or was created.
func stopTime(t ecstypes.Task) time.Time {
	for _, at := range []*time.Time{t.StoppedAt, t.StoppingAt, t.CreatedAt} {
		if at != nil {
			return *at
		}
	}
	return time.Time{}
}

// isFailure tells a task that failed from one stopped from outside its
// deployment: scaled in or replaced by the scheduler, stopped with StopTask,
// interrupted (Spot), or lost with its host (InfrastructureHealth; the local
// cloud's restart). Only failures count, as in ECS's circuit breaker.
func isFailure(t ecstypes.Task) bool {
	switch t.StopCode {
	case ecstypes.TaskStopCodeTaskFailedToStart, ecstypes.TaskStopCodeEssentialContainerExited:
		return true
	case ecstypes.TaskStopCodeServiceSchedulerInitiated:
		reason := aws.ToString(t.StoppedReason)
		return strings.Contains(reason, "failed ELB health checks") || strings.Contains(reason, "failed container health checks")
	}
	return false
}

// circuitBreakerThreshold is how many failed tasks fail a deployment:
// half the desired count, at least 3 and at most 200.
func circuitBreakerThreshold(desired int) int {
	return min(200, max(3, int(math.Ceil(0.5*float64(desired)))))
}

// waiter is what a wait remembers between snapshots.
type waiter struct {
	// deployment is the one this wait follows: the PRIMARY deployment at
	// the first snapshot (the one a deploy just started), then whichever
	// deployment replaced it.
	deployment     string
	taskDefinition string
	// history are the stopped tasks of the first snapshot. The local rule
	// (see localRule) never counts them: they stopped before this wait.
	history map[string]bool
	// timeline is where the rollout's phases stand (see rollout.advance).
	timeline rollout
}

// verdict is what one snapshot says.
type verdict struct {
	ready  bool
	status string // what the wait is waiting for
	phases []PhaseProgress
	failed *failure
}

// failure is a failed deployment, before its tasks' logs are read.
type failure struct {
	service    string
	deployment string
	reason     string
	// rollback says what became of the service: rolled back, or why not.
	rollback string
	tasks    []ecstypes.Task // the deployment's failed tasks, newest first
	// events are the service's events since the deployment began, and
	// targets the unhealthy targets with their reason codes, as the last
	// snapshot saw them.
	events, targets []string
}

// assess decides from one snapshot: ready, still converging (the status
// says why), or failed.
func (w *waiter) assess(h *health) (verdict, error) {
	svc := h.service
	if svc == nil {
		return verdict{}, fmt.Errorf("%w: the service does not exist or is being deleted", ErrUnhealthy)
	}
	if w.history == nil {
		w.history = map[string]bool{}
		for _, t := range h.stopped {
			w.history[aws.ToString(t.TaskArn)] = true
		}
	}
	primary := findDeployment(svc, func(d ecstypes.Deployment) bool { return aws.ToString(d.Status) == "PRIMARY" })
	if primary == nil {
		return verdict{status: "the service has no deployment yet"}, nil
	}
	if w.deployment == "" {
		w.deployment, w.taskDefinition = aws.ToString(primary.Id), aws.ToString(primary.TaskDefinition)
	}
	watched := findDeployment(svc, func(d ecstypes.Deployment) bool { return aws.ToString(d.Id) == w.deployment })
	failedTasks := h.failedTasks(w.deployment)

	switch {
	case watched != nil && watched.RolloutState == ecstypes.DeploymentRolloutStateFailed:
		f := &failure{service: aws.ToString(svc.ServiceName), deployment: w.deployment, reason: aws.ToString(watched.RolloutStateReason), tasks: failedTasks}
		if f.reason == "" {
			f.reason = "rollout FAILED"
		}
		f.reason += fmt.Sprintf(" (%d failed tasks; the circuit breaker's threshold is %d)",
			max(int(watched.FailedTasks), len(failedTasks)), circuitBreakerThreshold(int(svc.DesiredCount)))
		switch {
		case watched != primary:
			f.rollback = fmt.Sprintf("The circuit breaker rolled the service back to %s (deployment %s).", shortTaskDefinition(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id))
		case breaker(svc) != nil && breaker(svc).Rollback:
			f.rollback = "There is no completed deployment to roll back to, so the service launches no more tasks."
		default:
			f.rollback = "Rollback is off, so the service stays on this deployment and launches no more tasks."
		}
		return verdict{failed: f}, nil
	case watched != primary:
		// The followed deployment was replaced. A deployment that failed and
		// vanished with its tasks before a snapshot saw it FAILED was rolled
		// back; any other was superseded by a newer deploy, which the wait
		// follows instead.
		if watched == nil && len(failedTasks) > 0 && aws.ToString(primary.TaskDefinition) != w.taskDefinition {
			return verdict{failed: &failure{
				service: aws.ToString(svc.ServiceName), deployment: w.deployment, tasks: failedTasks,
				reason: fmt.Sprintf("%d of its tasks failed (the circuit breaker's threshold is %d) and it was replaced by deployment %s",
					len(failedTasks), circuitBreakerThreshold(int(svc.DesiredCount)), aws.ToString(primary.Id)),
				rollback: fmt.Sprintf("The circuit breaker rolled the service back to %s (deployment %s).", shortTaskDefinition(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id)),
			}}, nil
		}
		w.deployment, w.taskDefinition = aws.ToString(primary.Id), aws.ToString(primary.TaskDefinition)
		failedTasks = h.failedTasks(w.deployment)
	}
	if f := w.localRule(svc, primary, failedTasks); f != nil {
		return verdict{failed: f}, nil
	}

	healthy, registered := 0, 0
	for _, t := range h.targets {
		if t.TargetHealth == nil {
			continue
		}
		switch t.TargetHealth.State {
		case elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthStateEnumUnused:
			continue
		case elbtypes.TargetHealthStateEnumHealthy:
			healthy++
		}
		registered++
	}
	unhealthy := unhealthyTargets(h.targets)
	desired := int(svc.DesiredCount)
	status := fmt.Sprintf("tasks running %d/%d, deployments %d (%s), targets healthy %d/%d",
		svc.RunningCount, desired, len(svc.Deployments), strings.ToLower(string(primary.RolloutState)), healthy, desired)
	if n := max(int(primary.FailedTasks), len(failedTasks)); n > 0 {
		status += fmt.Sprintf(", failed tasks %d (the deployment fails at %d)", n, circuitBreakerThreshold(desired))
	}
	if len(unhealthy) > 0 {
		status += "; unhealthy: " + strings.Join(unhealthy, ", ")
	}
	if h.hint != "" {
		status += "; " + h.hint
	}
	if event := latestPlacementProblem(svc, primary); event != "" {
		status += "; " + event
	}
	ready := int(svc.RunningCount) == desired && len(svc.Deployments) == 1 &&
		primary.RolloutState == ecstypes.DeploymentRolloutStateCompleted &&
		healthy == registered && healthy >= desired
	return verdict{ready: ready, status: status, phases: w.timeline.advance(h, svc, primary, ready)}, nil
}

// unhealthyTargets are the targets failing their health checks, each with
// its reason code and description, sorted.
func unhealthyTargets(targets []elbtypes.TargetHealthDescription) []string {
	var unhealthy []string
	for _, t := range targets {
		if t.TargetHealth != nil && t.TargetHealth.State == elbtypes.TargetHealthStateEnumUnhealthy {
			unhealthy = append(unhealthy, fmt.Sprintf("%s %s (%s)", aws.ToString(t.Target.Id),
				t.TargetHealth.Reason, aws.ToString(t.TargetHealth.Description)))
		}
	}
	slices.Sort(unhealthy)
	return unhealthy
}

// localRule is berth's own circuit breaker where ECS's does not judge: a
// service without one, or a deployment that already COMPLETED (ECS stops
// evaluating then, and tasks that crash after a restart would be replaced
// for ever). It fails the wait once as many tasks failed during this wait
// as ECS's threshold, so the same rule decides on every endpoint.
func (w *waiter) localRule(svc *ecstypes.Service, d *ecstypes.Deployment, failedTasks []ecstypes.Task) *failure {
	b := breaker(svc)
	if b != nil && b.Enable && d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
		return nil // ECS decides, and says so in rolloutState
	}
	var recent []ecstypes.Task
	for _, t := range failedTasks {
		if !w.history[aws.ToString(t.TaskArn)] {
			recent = append(recent, t)
		}
	}
	threshold := circuitBreakerThreshold(int(svc.DesiredCount))
	if len(recent) < threshold {
		return nil
	}
	why := "the service has no deployment circuit breaker"
	if b != nil && b.Enable {
		why = "its deployment already completed, so ECS's circuit breaker no longer judges it"
	}
	return &failure{
		service: aws.ToString(svc.ServiceName), deployment: aws.ToString(d.Id), tasks: failedTasks,
		reason: fmt.Sprintf("%d of its tasks failed while berth waited; %s, so berth gives up at the breaker's threshold of %d",
			len(recent), why, threshold),
		rollback: "Nothing was rolled back.",
	}
}

func breaker(svc *ecstypes.Service) *ecstypes.DeploymentCircuitBreaker {
	if svc.DeploymentConfiguration == nil {
		return nil
	}
	return svc.DeploymentConfiguration.DeploymentCircuitBreaker
}

func findDeployment(svc *ecstypes.Service, match func(ecstypes.Deployment) bool) *ecstypes.Deployment {
	for i, d := range svc.Deployments {
		if match(d) {
			return &svc.Deployments[i]
		}
	}
	return nil
}

// failedTasks are the stopped tasks of deployment that failed, newest first.
func (h *health) failedTasks(deployment string) []ecstypes.Task {
	var failed []ecstypes.Task
	for _, t := range h.stopped {
		if aws.ToString(t.StartedBy) == deployment && isFailure(t) {
			failed = append(failed, t)
		}
	}
	return failed
}

// latestPlacementProblem surfaces the scheduler's newest complaint about
// capacity, which explains tasks stuck in PROVISIONING, unless it predates
// the deployment (a stale event explains nothing).
func latestPlacementProblem(svc *ecstypes.Service, d *ecstypes.Deployment) string {
	if len(svc.Events) == 0 {
		return ""
	}
	event := svc.Events[0]
	if event.CreatedAt != nil && d.CreatedAt != nil && event.CreatedAt.Before(*d.CreatedAt) {
		return ""
	}
	msg := aws.ToString(event.Message)
	if strings.Contains(msg, "unable to place a task") {
		return msg
	}
	return ""
}

// shortTaskDefinition turns a task definition ARN into "family:revision".
func shortTaskDefinition(arn string) string {
	if _, name, ok := strings.Cut(arn, ":task-definition/"); ok {
		return name
	}
	return arn
}
